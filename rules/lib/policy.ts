/**
 * How a rule finds the lock order for the file it lints: embedded settings first (kept correct by
 * `eslint --cache`), then `settings["lock-discipline"].lockOrder`, then the nearest lock-order.json.
 */
import { dirname, resolve } from "node:path";
import type { TSESLint } from "@typescript-eslint/utils";
import { findLockOrder, loadLockOrder, loadLockOrderIfPresent } from "../../core/config.js";
import { buildPolicy, LockOrderConfigError, type LockOrderJson, type Policy } from "../../core/policy.js";

export const SETTINGS_KEY = "lock-discipline";

export interface LockDisciplineSettings {
  /** Path of lock-order.json (relative to ESLint's cwd); overrides discovery. */
  lockOrder?: string;
  /** The parsed lock-order.json, embedded by `plugin.withLockOrder()` at config load. */
  policy?: LockOrderJson;
}

const embedded = new WeakMap<object, Policy>();

/**
 * A configuration error, shown by ESLint as one line: ESLint prints `error.stack` of what a rule throws,
 * so the stack is replaced by the message. ESLint then stops with exit code 2, once, not once per file.
 */
export function configurationError(error: LockOrderConfigError): Error {
  const wrapped = new Error(error.errors.map((problem) => `lock-discipline: ${problem.line}`).join("\n"));
  wrapped.stack = wrapped.message;
  return wrapped;
}

function settingsOf(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): LockDisciplineSettings {
  const value = (context.settings as Record<string, unknown> | undefined)?.[SETTINGS_KEY];
  return typeof value === "object" && value !== null ? (value as LockDisciplineSettings) : {};
}

/** Set once the "no lock-order.json" warning is printed: it is said once per process, not once per file and rule. */
let warnedNoLockOrder = false;

/**
 * Without any lock order the rules can check nothing; a silent pass would look like a clean code
 * base, so the first file without one says so on stderr (ESLint's own output stays untouched).
 */
function warnNoLockOrder(filename: string): void {
  if (warnedNoLockOrder) return;
  warnedNoLockOrder = true;
  console.warn(
    `lock-discipline: no lock-order.json for ${filename} (none in settings, none in its folder or any parent), so the lock-discipline rules check nothing; create one (docs/lock-order.md) or add lockDiscipline.withLockOrder("path/to/lock-order.json") to eslint.config.js`,
  );
}

/** The policy of each linted file: the rules of one file ask once, whatever their number. */
const policyOfFile = new WeakMap<object, { settings: LockDisciplineSettings; policy: Policy | undefined }>();

/** The policy for the linted file, or undefined when there is none (the rules then stay silent). */
export function policyFor(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): Policy | undefined {
  const settings = settingsOf(context);
  const ast = context.sourceCode.ast;
  const known = policyOfFile.get(ast);
  if (known && known.settings === settings) return known.policy;
  const policy = resolvePolicy(context, settings);
  policyOfFile.set(ast, { settings, policy });
  return policy;
}

function resolvePolicy(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>, settings: LockDisciplineSettings): Policy | undefined {
  try {
    if (settings.policy && typeof settings.policy === "object") {
      // The file withLockOrder() read is the truth while it exists: a long-running ESLint (an editor)
      // keeps the config it loaded, so an edit to lock-order.json must be seen here, at the next lint.
      // The embedded copy is what `eslint --cache` keys on, and stands in for a file that is gone.
      if (typeof settings.lockOrder === "string") {
        const current = loadLockOrderIfPresent(resolve(context.cwd, settings.lockOrder));
        if (current) return current;
      }
      let policy = embedded.get(settings.policy);
      if (!policy) {
        policy = buildPolicy(settings.policy, settings.lockOrder ? resolve(context.cwd, settings.lockOrder) : "<settings>");
        embedded.set(settings.policy, policy);
      }
      return policy;
    }
    if (typeof settings.lockOrder === "string") return loadLockOrder(resolve(context.cwd, settings.lockOrder));
    const filename = context.filename;
    if (!filename || filename.startsWith("<")) return undefined;
    const found = findLockOrder(dirname(filename));
    if (found === undefined) {
      warnNoLockOrder(filename);
      return undefined;
    }
    return loadLockOrder(found);
  } catch (error) {
    if (error instanceof LockOrderConfigError) throw configurationError(error);
    throw error;
  }
}
