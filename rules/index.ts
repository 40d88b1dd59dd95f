/**
 * The ESLint plugin, `lock-discipline/eslint-plugin`: seven rules, the recommended flat config, and
 * `withLockOrder()`, which reads lock-order.json once at config load and embeds it in `settings`.
 */
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { TSESLint } from "@typescript-eslint/utils";
import { findLockOrder, LOCK_ORDER_FILE, loadLockOrder } from "../core/config.js";
import { LockOrderConfigError, type LockOrderJson } from "../core/policy.js";
import doc from "./doc.js";
import keySource from "./key-source.js";
import { configurationError, SETTINGS_KEY, type LockDisciplineSettings } from "./lib/policy.js";
import noRecursion from "./no-recursion.js";
import order from "./order.js";
import release from "./release.js";
import suffix from "./suffix.js";
import target from "./target.js";

export type { LockDisciplineDocs } from "./lib/create-rule.js";
export type { LockDisciplineSettings } from "./lib/policy.js";
export type { LockDeclaration, LockKind, LockOrderJson, MethodOverrides } from "../core/policy.js";

export const rules = {
  suffix,
  order,
  "no-recursion": noRecursion,
  release,
  doc,
  "key-source": keySource,
  target,
};

export type RuleName = keyof typeof rules;

/** The flat config object that `withLockOrder()` returns. */
export interface LockOrderConfig {
  name: "lock-discipline/lock-order";
  settings: { [SETTINGS_KEY]: Required<LockDisciplineSettings> };
}

export interface LockDisciplinePlugin {
  meta: { name: "lock-discipline"; version: string };
  rules: typeof rules;
  configs: {
    /** Every rule as an error, except `doc`, a warning. Namespace `lock-discipline`. */
    recommended: TSESLint.FlatConfig.Config & { name: "lock-discipline/recommended" };
  };
  withLockOrder: typeof withLockOrder;
}

/**
 * The package version. Read through `createRequire` because this file runs from two depths:
 * `rules/index.ts` under vitest and `dist/rules/index.js` when built; both have the package.json above them.
 */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const candidate of ["../package.json", "../../package.json"]) {
    try {
      const manifest = require(candidate) as { name?: unknown; version?: unknown };
      if (manifest.name === "lock-discipline" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // not at this depth; try the next
    }
  }
  return "0.0.0";
}

/**
 * A flat config object with the lock order read and validated now, at config load, and embedded in
 * `settings`. ESLint's cache key includes the settings, so `eslint --cache` re-lints every file when
 * lock-order.json changes (a path alone would leave stale results). The rules still read the file
 * itself again when it changes, so a long-running ESLint that keeps this config (an editor) follows
 * edits; the embedded copy stands in only when the file is gone. Without `file`, the nearest
 * lock-order.json from the current directory up is used. A problem in the file throws one line
 * (file, JSON path, fix) without a stack, and ESLint exits 2.
 */
export function withLockOrder(file?: string): LockOrderConfig {
  try {
    const path = file === undefined ? findLockOrder(process.cwd()) : resolve(file);
    if (path === undefined) {
      throw new LockOrderConfigError(
        join(process.cwd(), LOCK_ORDER_FILE),
        "",
        "not found in this folder or any parent",
        "create lock-order.json (see docs/lock-order.md) or pass its path to withLockOrder(path)",
      );
    }
    const policy = loadLockOrder(path);
    return {
      name: "lock-discipline/lock-order",
      settings: { [SETTINGS_KEY]: { lockOrder: path, policy: policy.json as LockOrderJson } },
    };
  } catch (error) {
    if (error instanceof LockOrderConfigError) throw configurationError(error);
    throw error;
  }
}

/** Each rule at the severity its `meta.docs.recommended` names (the README table reads the same field). */
const recommendedRules = Object.fromEntries(
  Object.entries(rules).map(([name, rule]) => [`${SETTINGS_KEY}/${name}`, rule.meta.docs?.recommended ?? "error"]),
) as Record<`lock-discipline/${RuleName}`, "error" | "warn">;

const plugin: LockDisciplinePlugin = {
  meta: { name: "lock-discipline", version: packageVersion() },
  rules,
  configs: {} as LockDisciplinePlugin["configs"],
  withLockOrder,
};

// The recommended config refers to the plugin object itself, so it is attached after the plugin exists.
plugin.configs.recommended = {
  name: "lock-discipline/recommended",
  plugins: { "lock-discipline": plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: recommendedRules,
};

export default plugin;
