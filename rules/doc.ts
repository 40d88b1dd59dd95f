/**
 * `doc`: a function whose name carries a lock suffix documents each lock with an `@acquires` tag,
 * so a reader who hovers over a call sees the locks without decoding the suffix.
 *
 * The tags list the locks the suffix claims, in declared order (`insertService_rsw_mlw` →
 * `@acquires rs:w`, `@acquires ml:w`). Whether the suffix itself is right is `suffix`'s job; this
 * rule only keeps the JSDoc in step with the name. A name without a suffix must not keep stale tags.
 */
import { AST_NODE_TYPES, AST_TOKEN_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import { tokenLabel, type Policy } from "../core/policy.js";
import { acquiredOfTokens, requiredSuffix, suffixOf } from "../core/suffix.js";
import { createRule } from "./lib/create-rule.js";
import { functionNameOf, type FunctionName, type FunctionNode } from "./lib/function-names.js";
import { policyFor } from "./lib/policy.js";

export type DocMessageId = "missingDoc" | "wrongTags" | "staleTags" | "writeTags";

/** An `@acquires` tag at the start of a JSDoc line (after the optional `*`) or inline in a one-line JSDoc. */
const ACQUIRES_TAG = /@acquires(?=\s|$)[ \t]*(\S*)/g;
const TAG_LINE = /^\s*\*?\s*@acquires(?=\s|$)/;

/** The labels (`rs:w`, `sm`) a suffix claims, merged to the strongest mode and sorted into declared order. */
function expectedLabels(name: string, policy: Policy): string[] {
  const { tokens } = suffixOf(name, policy);
  return requiredSuffix(acquiredOfTokens(tokens)).map(tokenLabel);
}

/** The nearest `/** … *\/` comment between the previous token and the node, as TypeScript attaches JSDoc. */
function jsDocOf(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node): TSESTree.BlockComment | undefined {
  const comments = sourceCode.getCommentsBefore(node);
  for (let i = comments.length - 1; i >= 0; i -= 1) {
    const comment = comments[i];
    if (comment.type === AST_TOKEN_TYPES.Block && comment.value.startsWith("*") && !comment.value.startsWith("**")) return comment;
  }
  return undefined;
}

/** The name an overload signature declares (`function f(a: string): void;`, a body-less method), if it is one. */
function overloadName(node: TSESTree.Node): string | undefined {
  const inner =
    (node.type === AST_NODE_TYPES.ExportNamedDeclaration || node.type === AST_NODE_TYPES.ExportDefaultDeclaration) && node.declaration
      ? node.declaration
      : node;
  if (inner.type === AST_NODE_TYPES.TSDeclareFunction) return inner.id?.name;
  if (inner.type === AST_NODE_TYPES.MethodDefinition && inner.value.type === AST_NODE_TYPES.TSEmptyBodyFunctionExpression && !inner.computed) {
    if (inner.key.type === AST_NODE_TYPES.Identifier) return inner.key.name;
    if (inner.key.type === AST_NODE_TYPES.PrivateIdentifier) return `#${inner.key.name}`;
  }
  return undefined;
}

/**
 * Where the function's JSDoc may be: its own declaration, then its overload signatures (nearest
 * first), as TypeScript shows the first overload's JSDoc. The last entry is where a new JSDoc goes.
 */
function docCandidates(docNode: TSESTree.Node, name: string): TSESTree.Node[] {
  const candidates = [docNode];
  const parent = docNode.parent;
  const siblings = parent && "body" in parent && Array.isArray(parent.body) ? (parent.body as TSESTree.Node[]) : undefined;
  if (!siblings) return candidates;
  for (let i = siblings.indexOf(docNode) - 1; i >= 0 && overloadName(siblings[i]) === name; i -= 1) candidates.push(siblings[i]);
  return candidates;
}

function writtenLabels(comment: TSESTree.BlockComment): string[] {
  return [...comment.value.matchAll(ACQUIRES_TAG)].map((match) => match[1]);
}

/** Leading whitespace of the line `node` starts on, when nothing but whitespace precedes it there. */
function indentBefore(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node | TSESTree.Token): string | undefined {
  const line = sourceCode.lines[node.loc.start.line - 1] ?? "";
  const before = line.slice(0, node.loc.start.column);
  return /^\s*$/.test(before) ? before : undefined;
}

function newJsDoc(labels: readonly string[], indent: string | undefined, eol: string): string {
  if (indent === undefined) return `/** ${labels.map((label) => `@acquires ${label}`).join(" ")} */ `;
  return `/**${eol}${labels.map((label) => `${indent} * @acquires ${label}${eol}`).join("")}${indent} */${eol}${indent}`;
}

/**
 * The comment with its `@acquires` lines replaced by `labels` (at the place of the first old tag, or
 * after the other text), everything else kept as written. A one-line JSDoc becomes a block.
 * Undefined when nothing would be left (the comment only held stale tags).
 */
export function rewriteJsDoc(commentText: string, labels: readonly string[], indent: string, eol = "\n"): string | undefined {
  const tagLines = labels.map((label) => `${indent} * @acquires ${label}`);
  const inner = commentText.slice(3, -2);
  if (!inner.includes("\n")) {
    // `/** Inserts a rumor. @acquires rs:w */`: split inline tags onto their own lines.
    const segments = inner
      .trim()
      .split(/(?=@[A-Za-z])/)
      .map((segment) => segment.trim())
      .filter((segment) => segment !== "");
    return assemble(
      segments.map((segment) => `${indent} * ${segment}`),
      tagLines,
      indent,
      eol,
    );
  }
  const lines = inner.split(/\r?\n/);
  const first = lines.shift()!.trim();
  const last = lines.pop()!;
  const body = [...(first ? [`${indent} * ${first}`] : []), ...lines];
  const lastText = last.replace(/^\s*\*?\s?/, "").trimEnd();
  if (lastText) body.push(`${indent} * ${lastText}`);
  return assemble(body, tagLines, indent, eol);
}

function assemble(body: string[], tagLines: string[], indent: string, eol: string): string | undefined {
  const firstTag = body.findIndex((line) => TAG_LINE.test(line));
  const kept = body.filter((line) => !TAG_LINE.test(line));
  if (tagLines.length === 0 && kept.every((line) => /^\s*\*?\s*$/.test(line))) return undefined;
  const at = firstTag >= 0 ? firstTag : kept.length;
  kept.splice(at, 0, ...tagLines);
  return `/**${eol}${kept.map((line) => `${line}${eol}`).join("")}${indent} */`;
}

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
    messages: {
      missingDoc: "`{{name}}` takes {{expected}} (its suffix) but has no JSDoc; document each lock with `@acquires <id>`, in declared order.",
      wrongTags: "The JSDoc of `{{name}}` must list {{expected}} (its suffix, in declared order); it lists {{written}}.",
      staleTags: "`{{name}}` has no lock suffix, but its JSDoc still lists {{written}}; remove the tags or add the suffix.",
      writeTags: "Write {{expected}}.",
    },
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
      const candidates = docCandidates(named.docNode, named.name);
      let comment: TSESTree.BlockComment | undefined;
      for (const node of candidates) if ((comment = jsDocOf(sourceCode, node))) break;
      if (!suffixed && !comment?.value.includes("@acquires")) return;
      const expected = expectedLabels(named.name, policy!);
      const firstDeclaration = candidates[candidates.length - 1];
      const written = comment ? writtenLabels(comment) : [];
      if (written.length === expected.length && written.every((label, i) => label === expected[i])) return;

      const data = { name: named.name, expected: quoteLabels(expected), written: quoteLabels(written) };
      const fix = (fixer: TSESLint.RuleFixer): TSESLint.RuleFix => {
        // New lines follow the file's line endings.
        const eol = sourceCode.text.includes("\r\n") ? "\r\n" : "\n";
        if (!comment) return fixer.insertTextBefore(firstDeclaration, newJsDoc(expected, indentBefore(sourceCode, firstDeclaration), eol));
        const indent = indentBefore(sourceCode, comment) ?? "";
        const rewritten = rewriteJsDoc(sourceCode.getText(comment), expected, indent, eol);
        if (rewritten !== undefined) return fixer.replaceText(comment, rewritten);
        // Only stale tags were in it: drop the comment and the whitespace up to what follows.
        const next = sourceCode.getTokenAfter(comment, { includeComments: true });
        return fixer.removeRange([comment.range[0], next ? next.range[0] : comment.range[1]]);
      };
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
