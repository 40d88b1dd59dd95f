/**
 * `doc`: a function whose name carries a lock suffix documents each lock with an `@acquires` tag,
 * so a reader who hovers over a call sees the locks without decoding the suffix.
 *
 * The tags list the locks the suffix claims, in declared order (`insertService_rsw_mlw` →
 * `@acquires rs:w`, `@acquires ml:w`). Whether the suffix itself is right is `suffix`'s job; this
 * rule only keeps the JSDoc in step with the name. A name without a suffix must not keep stale tags.
 */
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import { expectedLabels, sameLabels, writtenLabels } from "../core/jsdoc.js";
import { MESSAGES, type MessageId } from "../core/messages.js";
import { createRule } from "./lib/create-rule.js";
import { functionNameOf, type FunctionName, type FunctionNode } from "./lib/function-names.js";
import { functionJsDoc, tagEditFor } from "./lib/jsdoc.js";
import { policyFor } from "./lib/policy.js";

export type DocMessageId = MessageId<"doc">;

/** Where the name is written: an identifier node also spans its type annotation (`const f_rsw: Fn = …`). */
function nameLoc(named: FunctionName): TSESTree.SourceLocation {
  const { nameNode, name } = named;
  if (nameNode.type !== AST_NODE_TYPES.Identifier && nameNode.type !== AST_NODE_TYPES.PrivateIdentifier) return nameNode.loc;
  const start = nameNode.loc.start;
  return { start, end: { line: start.line, column: start.column + name.length } };
}

function quoteLabels(labels: readonly string[]): string {
  return labels.length ? labels.map((label) => `@acquires ${label}`).join(", ") : "no @acquires tags";
}

export default createRule<[], DocMessageId>({
  name: "doc",
  meta: {
    type: "suggestion",
    docs: {
      description: "Require a JSDoc `@acquires` tag for every lock in a function's suffix, in declared order",
      recommended: "warn",
    },
    hasSuggestions: true,
    schema: [],
    messages: MESSAGES.doc,
  },
  defaultOptions: [],
  create(context) {
    const policy = policyFor(context);
    if (!policy) return {};
    const sourceCode = context.sourceCode;
    let fileHasTags: boolean | undefined;

    function check(fn: FunctionNode): void {
      const named = functionNameOf(fn);
      if (!named) return;
      // A name without `_` has no suffix: it only matters when its JSDoc has (stale) `@acquires` tags.
      const suffixed = named.name.includes("_");
      if (!suffixed && !(fileHasTags ??= sourceCode.text.includes("@acquires"))) return;
      const jsDoc = functionJsDoc(sourceCode, named);
      const comment = jsDoc.comment;
      if (!suffixed && !comment?.value.includes("@acquires")) return;
      const expected = expectedLabels(named.name, policy!);
      const written = comment ? writtenLabels(comment.value) : [];
      if (sameLabels(written, expected)) return;

      const data = { name: named.name, expected: quoteLabels(expected), written: quoteLabels(written) };
      const edit = tagEditFor(sourceCode, jsDoc, expected)!;
      const fix = (fixer: TSESLint.RuleFixer): TSESLint.RuleFix => fixer.replaceTextRange([edit.start, edit.end], edit.text);
      context.report({
        node: named.nameNode,
        loc: nameLoc(named),
        messageId: expected.length === 0 ? "staleTags" : comment ? "wrongTags" : "missingDoc",
        data,
        suggest: [{ messageId: "writeTags", data: { expected: expected.length ? data.expected : "no @acquires tags" }, fix }],
      });
    }

    return {
      FunctionDeclaration: check,
      FunctionExpression: check,
      ArrowFunctionExpression: check,
    };
  },
});
