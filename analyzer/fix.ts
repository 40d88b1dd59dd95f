/**
 * `--fix`: renames every function whose suffix is wrong to the name the analysis computed, with
 * ts-morph's rename (the language service's: every reference in every file, overrides and
 * implementations included), and rewrites each renamed function's `@acquires` JSDoc tags to match
 * its new name (the same text rewrite as the `doc` rule's suggestion). Every change is made in
 * memory first; `beforeWrite` sees the plan, then the files are saved — or, with `dryRun`, only the
 * unified diff is returned. One function that cannot be renamed is skipped with its reason; it never
 * stops the others. The caller re-analyzes to report what remains.
 */
import { relative, resolve } from "node:path";
import { createTwoFilesPatch } from "diff";
import { Node, ts, type Identifier, type PrivateIdentifier, type SourceFile } from "ts-morph";
import { expectedLabels, tagEdit, type TextEdit } from "../core/jsdoc.js";
import type { Policy } from "../core/policy.js";
import { AuditError, firstLine } from "./errors.js";
import { createMorphProject } from "./project.js";
import type { Finding, FixReport, SourceSpan } from "./types.js";

interface PlannedRename {
  identifier: Identifier | PrivateIdentifier;
  location: SourceSpan;
  from: string;
  to: string;
}

export interface FixOptions {
  /** The tsconfigs analyzed (referenced projects are followed, as in the analysis). */
  projectFiles: readonly string[];
  root: string;
  findings: readonly Finding[];
  /** The lock order the findings were computed with: it says which `@acquires` tags a new name needs. */
  policy: Policy;
  /** Compute the renames and the diff, write nothing. */
  dryRun?: boolean;
  /** Called with the planned renames after they are computed and before any file is written. */
  beforeWrite?: (plan: FixReport) => void;
}

const IDENTIFIER = /^#?[A-Za-z_$][\w$]*$/;

/** A name already declared where the renamed function lives: renaming would clash. */
function nameTaken(identifier: Identifier | PrivateIdentifier, to: string): boolean {
  const declaration = identifier.getParentOrThrow();
  const container = declaration.getParent();
  if (container && (Node.isClassDeclaration(container) || Node.isClassExpression(container))) {
    return container.getMembers().some((member) => Node.hasName(member) && member.getName() === to);
  }
  if (container && Node.isObjectLiteralExpression(container)) return container.getProperty(to) !== undefined;
  const checker = identifier.getProject().getTypeChecker().compilerObject;
  return checker.getSymbolsInScope(declaration.compilerNode, ts.SymbolFlags.Value).some((symbol) => symbol.getName() === to);
}

/** The statement or member that carries a declaration's JSDoc (a variable's statement, a member itself). */
function docNodeOf(name: ts.Node): ts.Node | undefined {
  const declaration = name.parent;
  if (ts.isVariableDeclaration(declaration)) {
    const statement = declaration.parent?.parent;
    return statement && ts.isVariableStatement(statement) ? statement : undefined;
  }
  if (
    ts.isFunctionDeclaration(declaration) ||
    ts.isMethodDeclaration(declaration) ||
    ts.isGetAccessorDeclaration(declaration) ||
    ts.isSetAccessorDeclaration(declaration) ||
    ts.isPropertyDeclaration(declaration) ||
    ts.isPropertyAssignment(declaration)
  ) {
    return declaration;
  }
  return undefined;
}

/** The function's overload signatures before it (nearest first), as the `doc` rule looks for its JSDoc. */
function overloadsBefore(docNode: ts.Node): ts.Node[] {
  if (!(ts.isFunctionDeclaration(docNode) || ts.isMethodDeclaration(docNode)) || !docNode.name) return [];
  const name = docNode.name.getText();
  const siblings: readonly ts.Node[] = ts.isFunctionDeclaration(docNode)
    ? (docNode.parent as ts.SourceFile | ts.Block | ts.ModuleBlock).statements ?? []
    : (docNode.parent as ts.ClassLikeDeclaration).members ?? [];
  const overloads: ts.Node[] = [];
  for (let i = siblings.indexOf(docNode) - 1; i >= 0; i -= 1) {
    const sibling = siblings[i];
    const isOverload = (ts.isFunctionDeclaration(sibling) || ts.isMethodDeclaration(sibling)) && !sibling.body && sibling.name?.getText() === name;
    if (!isOverload) break;
    overloads.push(sibling);
  }
  return overloads;
}

/** The nearest `/** … *\/` comment before a node (TypeScript's JSDoc), as a range. */
function jsDocRange(text: string, node: ts.Node): { start: number; end: number } | undefined {
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  for (let i = ranges.length - 1; i >= 0; i -= 1) {
    const range = ranges[i];
    if (range.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", range.pos) && !text.startsWith("/***", range.pos)) {
      return { start: range.pos, end: range.end };
    }
  }
  return undefined;
}

/** The edit that keeps a renamed function's `@acquires` tags in step with its new name, if one is needed. */
export function tagEditAfterRename(identifier: Identifier | PrivateIdentifier, to: string, policy: Policy): TextEdit | undefined {
  const docNode = docNodeOf(identifier.compilerNode);
  if (!docNode) return undefined;
  const text = docNode.getSourceFile().text;
  const candidates = [docNode, ...overloadsBefore(docNode)];
  let comment: { start: number; end: number } | undefined;
  for (const candidate of candidates) if ((comment = jsDocRange(text, candidate))) break;
  const firstDeclaration = candidates[candidates.length - 1];
  return tagEdit(text, comment, firstDeclaration.getStart(), expectedLabels(to, policy));
}

export async function fixSuffixes(options: FixOptions): Promise<FixReport> {
  const report: FixReport = { renamed: [], skipped: [] };
  const fixable = options.findings.filter((finding) => finding.ruleId === "suffix" && finding.fix);
  if (fixable.length === 0) return report;
  const { project } = createMorphProject(options.projectFiles);
  // The analysis skipped dependency resolution; renames must see every file that refers to a name.
  project.resolveSourceFileDependencies();
  const originals = new Map(project.getSourceFiles().map((sourceFile) => [sourceFile, sourceFile.getFullText()]));
  const planned: PlannedRename[] = [];
  for (const finding of fixable) {
    const { from, to } = finding.fix!;
    const skip = (reason: string) => report.skipped.push({ location: finding.location, from, to, reason });
    if (!IDENTIFIER.test(to)) {
      skip(`${JSON.stringify(to)} is not a valid name`);
      continue;
    }
    const sourceFile = project.getSourceFile(resolve(options.root, finding.location.file));
    if (!sourceFile) {
      skip("the file is not part of the project");
      continue;
    }
    const position = sourceFile.compilerNode.getPositionOfLineAndCharacter(finding.location.line - 1, finding.location.column - 1);
    const node = sourceFile.getDescendantAtPos(position);
    if (!node || !(Node.isIdentifier(node) || Node.isPrivateIdentifier(node)) || node.getText() !== from) {
      skip("the name is not an identifier that can be renamed");
      continue;
    }
    if (nameTaken(node, to)) {
      skip(`${to} is already declared there`);
      continue;
    }
    planned.push({ identifier: node, location: finding.location, from, to });
  }

  // ts-morph keeps the wrappers valid across renames, so all targets are found before any text changes.
  const renamedIdentifiers: { identifier: Identifier | PrivateIdentifier; to: string }[] = [];
  for (const rename of planned) {
    if (rename.identifier.wasForgotten()) continue;
    const current = rename.identifier.getText();
    if (current === rename.to) {
      // Renamed with another member of its family (an override, the other accessor): its tags still follow.
      renamedIdentifiers.push({ identifier: rename.identifier, to: rename.to });
      continue;
    }
    if (current !== rename.from) {
      report.skipped.push({ location: rename.location, from: rename.from, to: rename.to, reason: `an earlier rename changed it to ${current}` });
      continue;
    }
    try {
      const references = project.getLanguageService().findRenameLocations(rename.identifier).length;
      rename.identifier.rename(rename.to);
      report.renamed.push({ location: rename.location, from: rename.from, to: rename.to, references });
      renamedIdentifiers.push({ identifier: rename.identifier, to: rename.to });
    } catch (error) {
      report.skipped.push({ location: rename.location, from: rename.from, to: rename.to, reason: `the rename failed (${firstLine(error)})` });
    }
  }

  // Tag edits are computed on the renamed text, then applied per file from the end, so earlier offsets stay valid.
  const edits = new Map<SourceFile, TextEdit[]>();
  for (const { identifier, to } of renamedIdentifiers) {
    if (identifier.wasForgotten()) continue;
    const edit = tagEditAfterRename(identifier, to, options.policy);
    if (!edit) continue;
    const sourceFile = identifier.getSourceFile();
    const list = edits.get(sourceFile) ?? [];
    if (!list.some((other) => other.start === edit.start)) list.push(edit);
    edits.set(sourceFile, list);
  }
  for (const [sourceFile, list] of edits) {
    let text = sourceFile.getFullText();
    for (const edit of list.sort((a, b) => b.start - a.start)) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
    sourceFile.replaceWithText(text);
  }

  const changed = [...originals].filter(([sourceFile, before]) => !sourceFile.wasForgotten() && sourceFile.getFullText() !== before);
  if (options.dryRun) {
    report.dryRun = true;
    report.diff = changed
      .map(([sourceFile, before]) => {
        const path = relative(options.root, sourceFile.getFilePath()).replace(/\\/g, "/");
        return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, sourceFile.getFullText(), undefined, undefined, { context: 3 }).replace(/^=+\n/m, "");
      })
      .join("");
  }
  options.beforeWrite?.(report);
  if (options.dryRun) return report;
  try {
    await Promise.all(changed.map(([sourceFile]) => sourceFile.save()));
  } catch (error) {
    throw new AuditError("project", `cannot save the renamed files (${firstLine(error)}); check file permissions`);
  }
  return report;
}
