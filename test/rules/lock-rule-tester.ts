/**
 * RuleTester wiring shared by the lock rules' tests: vitest hooks, the Habitat lock order embedded in
 * settings (so no test depends on file discovery), and a typed-linting tester for `other.member`.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RuleTester } from "@typescript-eslint/rule-tester";
import type { TSESLint } from "@typescript-eslint/utils";
import { afterAll, describe, it } from "vitest";

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

export const policy = JSON.parse(readFileSync(new URL("../../lock-order.json", import.meta.url), "utf8")) as object;

/** Module-level targets are relative to the lock order's folder: this virtual one. */
export const settings = { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } };

export const ruleTester = new RuleTester({ settings });

/** No settings at all: the rules look for lock-order.json next to the linted file and its parents. */
export const bareRuleTester = new RuleTester();

/** A project for typed linting: test cases are linted as `test/rules/typed/file.ts`, in its tsconfig. */
export const typedRoot = join(dirname(fileURLToPath(import.meta.url)), "typed");

export const typedRuleTester = new RuleTester({
  settings,
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: typedRoot } },
});

// @typescript-eslint/rule-tester 8.72 carries its own @typescript-eslint/utils 8.72, whose RuleModule
// type differs only nominally from the 8.73 one the rules are built with; at runtime they are the same.
export const testable = <M extends string>(module: TSESLint.RuleModule<M, []>) => module as unknown as Parameters<typeof ruleTester.run<M, []>>[1];
