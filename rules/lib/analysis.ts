/**
 * One analysis per linted file, shared by `suffix`, `order`, `no-recursion` and `release`: the file is
 * extracted once, each function's steps run once through the core's held-set interpreter, and every
 * rule reads the part it reports. The cache is keyed by the file's AST (a per-file cache: nothing is
 * kept across files, so rules stay correct when ESLint lints files in parallel or re-lints a buffer).
 */
import type { TSESLint, TSESTree } from "@typescript-eslint/utils";
import { analyzeFlow, type CallEffect, type CallStep, type FlowResult, type LockAcquisition, type LockRef } from "../../core/flow.js";
import { tokenLabel, type Mode, type Policy } from "../../core/policy.js";
import { suffixOf } from "../../core/suffix.js";
import { extractFile, type CalleeRef, type ExtractedFunction } from "./extract.js";
import { policyFor } from "./policy.js";
import { lockEnvFor, lockRefOf, type LockEnv } from "./resolve-lock.js";

type RuleContext = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;

export interface AnalyzedFunction extends ExtractedFunction {
  readonly flow: FlowResult<TSESTree.Node>;
}

export interface FileLockAnalysis {
  readonly policy: Policy;
  readonly env: LockEnv;
  readonly functions: readonly AnalyzedFunction[];
  /** Parts of the file the front end could not handle (left out silently; tests assert there are none). */
  readonly failures: readonly { readonly node: TSESTree.Node; readonly error: unknown }[];
}

/** `null` records "no lock-order.json for this file" so the other rules skip the lookup too. */
const analyses = new WeakMap<object, FileLockAnalysis | null>();

const NO_FLOW: FlowResult<TSESTree.Node> = Object.freeze({ acquired: new Map(), findings: [] });

/**
 * The lock analysis of the file being linted, or undefined when it has no lock order (the rules then
 * do nothing). Throws only a configuration error for a broken lock-order.json, as `policyFor` does.
 */
export function analyzeFileLocks(context: RuleContext): FileLockAnalysis | undefined {
  const ast = context.sourceCode.ast;
  const cached = analyses.get(ast);
  if (cached !== undefined) return cached ?? undefined;
  const policy = policyFor(context);
  if (!policy) {
    analyses.set(ast, null);
    return undefined;
  }
  const env = lockEnvFor(context, policy);
  const analysis = mentionsLocks(context.sourceCode.text, policy) ? analyze(env) : { policy, env, functions: [], failures: [] };
  analyses.set(ast, analysis);
  return analysis;
}

function analyze(env: LockEnv): FileLockAnalysis {
  const extraction = extractFile(env);
  const failures = [...extraction.failures];
  const resolveCall = callResolver(env.policy);
  const functions: AnalyzedFunction[] = [];
  for (const extracted of extraction.functions) {
    if (extracted.steps.length === 0) {
      functions.push({ ...extracted, flow: NO_FLOW });
      continue;
    }
    try {
      functions.push({ ...extracted, flow: analyzeFlow(extracted.steps, { resolveCall }) });
    } catch (error) {
      failures.push({ node: extracted.node, error });
    }
  }
  return { policy: env.policy, env, functions, failures };
}

/** What a call takes, as its callee's name says: `add_rsw` acquires rs for writing. */
function callResolver(policy: Policy): (step: CallStep<TSESTree.Node, CalleeRef>) => CallEffect | undefined {
  const byName = new Map<string, CallEffect | null>();
  return (step) => {
    const name = step.callee.name;
    if (name === undefined || !name.includes("_")) return undefined;
    let effect = byName.get(name);
    if (effect === undefined) {
      const tokens = suffixOf(name, policy).tokens;
      effect = tokens.length
        ? { label: name, acquires: tokens.map((token): LockAcquisition => ({ lock: lockRefOf(token.lock), mode: token.mode ?? "w" })) }
        : null;
      byName.set(name, effect);
    }
    return effect ?? undefined;
  };
}

const mentionPatterns = new WeakMap<Policy, RegExp>();

/**
 * A cheap first look at the text: a file that calls no lock method and mentions no suffix token has
 * nothing for these rules (no acquisition, no suffixed call, no suffixed name), so it is not walked.
 */
export function mentionsLocks(text: string, policy: Policy): boolean {
  let pattern = mentionPatterns.get(policy);
  if (!pattern) {
    const methods = new Set<string>();
    for (const lock of policy.locks) for (const name of [...lock.methods.write, ...lock.methods.read, ...lock.methods.release]) methods.add(name);
    const alternatives: string[] = [];
    if (methods.size) alternatives.push(`\\.\\s*#?(?:${[...methods].map(escapeRegExp).join("|")})(?![\\w$])`);
    if (policy.tokens.size) alternatives.push(`_(?:${[...policy.tokens.keys()].join("|")})(?![A-Za-z0-9$])`);
    pattern = alternatives.length ? new RegExp(alternatives.join("|")) : /(?!)/;
    mentionPatterns.set(policy, pattern);
  }
  return pattern.test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- wording shared by the rules' messages ----

/** `rs:w`, `sm`: a lock with the mode it is taken in, as suffix tokens and `@acquires` tags spell it. */
export function lockLabel(lock: LockRef, mode: Mode): string {
  const declared = lock.declared;
  if (!declared) return lock.key;
  return tokenLabel({ lock: declared, mode: declared.kind === "rwlock" ? mode : undefined });
}

/** `rs:w and ml:r`, each lock once. */
export function lockList(items: readonly { readonly lock: LockRef; readonly mode: Mode }[]): string {
  const labels = [...new Set(items.map((item) => lockLabel(item.lock, item.mode)))];
  return labels.length <= 1 ? (labels[0] ?? "") : `${labels.slice(0, -1).join(", ")} and ${labels[labels.length - 1]}`;
}

/** A short source excerpt for messages (`this.list.runWrite`), cut to keep messages one line. */
export function excerpt(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node, max = 60): string {
  const text = sourceCode.getText(node).replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Where to report about a call: from its start to the end of its callee (`this.list.runWrite`), so a
 * call with a long callback does not underline the whole callback.
 */
export function callLoc(node: TSESTree.Node): TSESTree.SourceLocation {
  if (node.type === "CallExpression" || node.type === "NewExpression") return { start: node.loc.start, end: node.callee.loc.end };
  return node.loc;
}

/** The callee expression of a call node, for naming a direct acquisition (`this.list.runWrite`). */
export function calleeText(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node): string {
  if (node.type === "CallExpression" || node.type === "NewExpression") return excerpt(sourceCode, node.callee);
  return excerpt(sourceCode, node);
}
