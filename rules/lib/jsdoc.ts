/** Where a function's JSDoc is in ESTree: its own declaration first, then its overload signatures. */
import { AST_NODE_TYPES, AST_TOKEN_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import { tagEdit, type TextEdit } from "../../core/jsdoc.js";
import type { FunctionName } from "./function-names.js";

/** The nearest `/** … *\/` comment between the previous token and the node, as TypeScript attaches JSDoc. */
function jsDocBefore(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node): TSESTree.BlockComment | undefined {
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
  for (let i = indexByPosition(siblings, docNode) - 1; i >= 0 && overloadName(siblings[i]) === name; i -= 1) candidates.push(siblings[i]);
  return candidates;
}

/** The index of `node` in `siblings`, which are in source order: a binary search (a linear one made each class quadratic). */
function indexByPosition(siblings: readonly TSESTree.Node[], node: TSESTree.Node): number {
  let low = 0;
  let high = siblings.length - 1;
  const start = node.range[0];
  while (low <= high) {
    const middle = (low + high) >> 1;
    const at = siblings[middle].range[0];
    if (at === start) return siblings[middle] === node ? middle : siblings.indexOf(node);
    if (at < start) low = middle + 1;
    else high = middle - 1;
  }
  return siblings.indexOf(node);
}

export interface FunctionJsDoc {
  /** The JSDoc TypeScript shows for the function, if any. */
  comment: TSESTree.BlockComment | undefined;
  /** The first declaration (an overload signature, or the function itself): where a new JSDoc goes. */
  firstDeclaration: TSESTree.Node;
}

export function functionJsDoc(sourceCode: Readonly<TSESLint.SourceCode>, named: FunctionName): FunctionJsDoc {
  const candidates = docCandidates(named.docNode, named.name);
  let comment: TSESTree.BlockComment | undefined;
  for (const node of candidates) if ((comment = jsDocBefore(sourceCode, node))) break;
  return { comment, firstDeclaration: candidates[candidates.length - 1] };
}

/** The edit that makes the function's JSDoc list exactly `labels` (see core/jsdoc.ts), or undefined. */
export function tagEditFor(sourceCode: Readonly<TSESLint.SourceCode>, jsDoc: FunctionJsDoc, labels: readonly string[]): TextEdit | undefined {
  const { comment, firstDeclaration } = jsDoc;
  return tagEdit(sourceCode.text, comment && { start: comment.range[0], end: comment.range[1] }, firstDeclaration.range[0], labels);
}
