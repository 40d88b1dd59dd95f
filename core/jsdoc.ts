/**
 * `@acquires` tags in JSDoc text: which tags a name's suffix calls for, which a comment has, and the
 * comment rewritten to list them. Pure text, shared by the `doc` rule's suggestion, the `suffix`
 * rule's rename suggestion and `lock-audit --fix`, so a rename keeps its tags in step with the name.
 */
import { tokenLabel, type Policy } from "./policy.js";
import { acquiredOfTokens, requiredSuffix, suffixOf } from "./suffix.js";

/** An `@acquires` tag at the start of a JSDoc line (after the optional `*`) or inline in a one-line JSDoc. */
const ACQUIRES_TAG = /@acquires(?=\s|$)[ \t]*(\S*)/g;
const TAG_LINE = /^\s*\*?\s*@acquires(?=\s|$)/;

/** The labels (`rs:w`, `sm`) a name's suffix claims, merged to the strongest mode and sorted into declared order. */
export function expectedLabels(name: string, policy: Policy): string[] {
  const { tokens } = suffixOf(name, policy);
  return requiredSuffix(acquiredOfTokens(tokens)).map(tokenLabel);
}

/** The labels of the `@acquires` tags in a comment (`/** … *\/` text, or its value), in written order. */
export function writtenLabels(commentText: string): string[] {
  return [...commentText.matchAll(ACQUIRES_TAG)].map((match) => match[1]);
}

export function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, i) => label === b[i]);
}

/** A new JSDoc holding only the tags; `indent` undefined when the declaration does not start its line. */
export function newJsDoc(labels: readonly string[], indent: string | undefined, eol: string): string {
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

/** A text edit: replace `[start, end)` with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Leading whitespace of the line `position` is on, when nothing but whitespace precedes it there. */
export function indentAt(text: string, position: number): string | undefined {
  const lineStart = text.lastIndexOf("\n", position - 1) + 1;
  const before = text.slice(lineStart, position);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

/**
 * The edit that makes a declaration's JSDoc list `labels`: rewrite the comment, drop a comment that
 * only held stale tags, or add one before `declarationStart`. Undefined when the tags are already right.
 * `comment` is the declaration's JSDoc (its range in `text`), when it has one.
 */
export function tagEdit(text: string, comment: { start: number; end: number } | undefined, declarationStart: number, labels: readonly string[]): TextEdit | undefined {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  if (!comment) return labels.length === 0 ? undefined : { start: declarationStart, end: declarationStart, text: newJsDoc(labels, indentAt(text, declarationStart), eol) };
  const commentText = text.slice(comment.start, comment.end);
  if (sameLabels(writtenLabels(commentText), labels)) return undefined;
  const rewritten = rewriteJsDoc(commentText, labels, indentAt(text, comment.start) ?? "", eol);
  if (rewritten !== undefined) return { start: comment.start, end: comment.end, text: rewritten };
  // Only stale tags were in it: drop the comment and the whitespace up to what follows.
  const after = /^\s*/.exec(text.slice(comment.end))![0].length;
  return { start: comment.start, end: comment.end + after, text: "" };
}
