/**
 * `suffix`: a function's name ends with the locks it takes, directly or through the functions it
 * calls in the same task, in declared order: `insertService_rsw_mlw`. The suffix is what makes a
 * lock-order violation visible at a call site, so it must be exactly right: a missing token hides a
 * lock from callers, an extra or too-strong one misleads reviewers.
 */
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import type { DeclaredLock, Mode } from "../core/policy.js";
import { expectedLabels } from "../core/jsdoc.js";
import { MESSAGES, suffixMessage, type MessageId } from "../core/messages.js";
import { compareSuffix, nameWithSuffix, requiredSuffix, type AcquiredLocks } from "../core/suffix.js";
import { analyzeFileLocks, type AnalyzedFunction, type FileLockAnalysis } from "./lib/analysis.js";
import { createRule } from "./lib/create-rule.js";
import type { FunctionName } from "./lib/function-names.js";
import { functionJsDoc, tagEditFor } from "./lib/jsdoc.js";

export type SuffixMessageId = MessageId<"suffix">;

const IDENTIFIER = /^#?[A-Za-z_$][\w$]*$/;

/** The declared locks a function takes in its own task, strongest mode each. */
function acquiredLocks(fn: AnalyzedFunction): AcquiredLocks {
  const acquired = new Map<DeclaredLock, Mode>();
  for (const acquisition of fn.flow.acquired.values()) {
    if (acquisition.lock.declared) acquired.set(acquisition.lock.declared, acquisition.mode);
  }
  return acquired;
}

/** The source range of the name itself (an identifier's node also spans its type annotation). */
function nameRange(name: FunctionName): TSESTree.Range {
  const node = name.nameNode;
  if (node.type === AST_NODE_TYPES.Identifier || node.type === AST_NODE_TYPES.PrivateIdentifier) return [node.range[0], node.range[0] + name.name.length];
  return node.range;
}

/**
 * The rename, and the JSDoc `@acquires` tags rewritten to match the new name (so the `doc` rule is
 * satisfied by the same suggestion). Undefined when the new name cannot be written there.
 */
function renameFix(sourceCode: Readonly<TSESLint.SourceCode>, name: FunctionName, expected: string, labels: readonly string[]): TSESLint.ReportFixFunction | undefined {
  const node = name.nameNode;
  const isLiteral = node.type === AST_NODE_TYPES.Literal;
  if (!isLiteral && !IDENTIFIER.test(expected)) return undefined;
  const tags = tagEditFor(sourceCode, functionJsDoc(sourceCode, name), labels);
  return (fixer) => {
    const rename = isLiteral
      ? fixer.replaceText(node, `${sourceCode.getText(node)[0]}${expected}${sourceCode.getText(node)[0]}`)
      : fixer.replaceTextRange(nameRange(name), expected);
    return tags ? [fixer.replaceTextRange([tags.start, tags.end], tags.text), rename] : [rename];
  };
}

function check(context: Readonly<TSESLint.RuleContext<SuffixMessageId, []>>, analysis: FileLockAnalysis, fn: AnalyzedFunction): void {
  const name = fn.name;
  if (!name) return;
  const written = analysis.suffixTokens(name.name);
  if (written.length === 0 && fn.flow.acquired.size === 0) return;
  const policy = analysis.policy;
  const required = requiredSuffix(acquiredLocks(fn));
  const mismatch = compareSuffix(written, required);
  if (!mismatch) return;
  const expected = nameWithSuffix(name.name, required, policy);
  const sourceCode = context.sourceCode;
  const [start, end] = nameRange(name);
  const fix = renameFix(sourceCode, name, expected, expectedLabels(expected, policy));
  context.report({
    loc: { start: sourceCode.getLocFromIndex(start), end: sourceCode.getLocFromIndex(end) },
    ...suffixMessage({ name: name.name, expected, mismatch, required }),
    suggest: fix ? [{ messageId: "renameTo", data: { expected }, fix }] : [],
  });
}

export default createRule<[], SuffixMessageId>({
  name: "suffix",
  meta: {
    type: "problem",
    docs: {
      description: "Require a function's name to end with the lock suffix of exactly the locks it takes, directly or through callees",
      recommended: "error",
    },
    hasSuggestions: true,
    messages: MESSAGES.suffix,
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        const analysis = analyzeFileLocks(context);
        if (!analysis) return;
        for (const fn of analysis.functions) check(context, analysis, fn);
      },
    };
  },
});
