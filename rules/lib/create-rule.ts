import { ESLintUtils } from "@typescript-eslint/utils";

export const DOCS_BASE_URL = "https://github.com/lock-discipline/lock-discipline/blob/main/docs/rules/";

export interface LockDisciplineDocs {
  description: string;
  /** Part of `configs.recommended`, and at which severity. */
  recommended: "error" | "warn";
  /** The rule reads types when typed linting is on (it works without them too). */
  requiresTypeChecking?: false;
}

/** `createRule` as typescript-eslint does it: every rule links to `docs/rules/<name>.md`. */
export const createRule = ESLintUtils.RuleCreator<LockDisciplineDocs>((name) => `${DOCS_BASE_URL}${name}.md`);
