/** What each finding id means: used by the SARIF rules table, the markdown report and the docs. */
import type { Level, RuleId } from "./types.js";

export const TOOL_NAME = "lock-audit";
export const DOCS_URL = "https://github.com/lock-discipline/lock-discipline/blob/main/docs/cli.md";

export interface RuleDescription {
  id: RuleId;
  level: Level;
  title: string;
  /** One sentence. */
  summary: string;
  /** A paragraph: what is checked and how to fix it. */
  help: string;
  helpUri: string;
}

export const RULES: readonly RuleDescription[] = [
  {
    id: "suffix",
    level: "error",
    title: "Function suffix matches the locks it takes",
    summary: "A function's name suffix must list exactly the locks it takes, directly or through its callees, in declared order and mode.",
    help:
      "The suffix (`insertService_rsw_mlw`) tells callers which locks a function may take. lock-audit computes the truth from the " +
      "whole program: every lock acquired directly, by callees in the same task, and inside callbacks run during a call. Rename the " +
      "function to the name in the message (`lock-audit --fix` renames it across all files).",
    helpUri: `${DOCS_URL}#suffix`,
  },
  {
    id: "order",
    level: "error",
    title: "Locks are taken in declared order",
    summary: "While a lock is held, no lock declared before it in lock-order.json may be taken, directly or by a callee.",
    help:
      "Two tasks that take the same locks in different orders can deadlock. lock-order.json declares one global order; at this " +
      "site a lock declared earlier is taken while a later one is held. The chain shows where the held lock was taken and the call " +
      "path down to the conflicting acquisition. Release the held lock first, or restructure so the earlier lock is taken first.",
    helpUri: `${DOCS_URL}#order`,
  },
  {
    id: "no-recursion",
    level: "error",
    title: "A held lock is not taken again",
    summary: "Locks are not reentrant: taking a lock that the task already holds (directly, through a callee, or in a loop) waits forever.",
    help:
      "At this site a lock is taken again while the same task holds it (the chain shows the path to the second acquisition). " +
      "Async locks are not reentrant, so the task waits for itself. Call a variant that expects the lock held, or release it first.",
    helpUri: `${DOCS_URL}#no-recursion`,
  },
  {
    id: "cycle",
    level: "error",
    title: "No cycles among undeclared locks",
    summary: "Locks missing from lock-order.json are nested in a cycle (A then B in one place, B then A in another): a possible deadlock.",
    help:
      "Each lock object that lock-order.json does not declare forms a lock class `Class.member`. lock-audit builds the graph of " +
      "which lock is taken while which is held, over the whole program, and reports every cycle once. Pick one order for these " +
      "locks and declare it in lock-order.json, then fix the sites that break it.",
    helpUri: `${DOCS_URL}#cycle`,
  },
  {
    id: "undeclared-lock",
    level: "note",
    title: "A lock nested with declared locks is not declared",
    summary: "A lock that is held together with declared locks is missing from lock-order.json, so its order is not checked.",
    help: "Add the lock to lock-order.json at the position where the code takes it relative to the declared locks.",
    helpUri: `${DOCS_URL}#undeclared-lock`,
  },
  {
    id: "unused-lock",
    level: "note",
    title: "A declared lock is never acquired",
    summary: "A lock declared in lock-order.json has no acquisition site in the analyzed program: a stale entry, or a target outside the project.",
    help:
      "lock-order.json declares the lock, its target names a declaration, but nothing in the program takes it. Remove the entry when " +
      "the lock is gone, or, when its target is declared in another package or a file the tsconfig does not include, analyze the " +
      "project that holds it (the note says where it is declared).",
    helpUri: `${DOCS_URL}#unused-lock`,
  },
  {
    id: "unanalyzable",
    level: "note",
    title: "Code that could not be analyzed",
    summary: "A file that does not parse, a module that cannot be resolved, or a function too deeply nested to analyze.",
    help:
      "lock-audit analyzes what it can and says what it could not: functions in this file or behind this import take no locks as " +
      "far as the analysis knows. Fix the syntax error or the import so the analysis is complete.",
    helpUri: `${DOCS_URL}#unanalyzable`,
  },
  {
    id: "suppression",
    level: "warning",
    title: "A suppression comment that does not work",
    summary: "A `// lock-audit-ignore-next-line` comment that names no known rule, gives no reason, or suppresses nothing.",
    help:
      "Write `// lock-audit-ignore-next-line <rule ids> -- <why>` on the line before the finding. A suppression needs a reason, " +
      "and one that no longer suppresses anything is reported so stale comments do not pile up.",
    helpUri: `${DOCS_URL}#suppression`,
  },
];

export const RULES_BY_ID: ReadonlyMap<RuleId, RuleDescription> = new Map(RULES.map((rule) => [rule.id, rule]));
