/**
 * The rename code action: the language service's rename locations for the function a `suffix`
 * finding names, over the project with the editor's unsaved text, as text edits per file, plus the
 * rewrite of the function's `@acquires` tags to its new name (as `--fix` does). Nothing is written;
 * the editor applies the workspace edit.
 */
import { resolve } from "node:path";
import { Node } from "ts-morph";
import type { Policy } from "../../core/policy.js";
import { tagEditAfterRename } from "../fix.js";
import type { TextEdit } from "vscode-languageserver/node";
import { createMorphProject } from "../project.js";

export interface RenameRequest {
  projectFile: string;
  overlays: ReadonlyMap<string, string>;
  /** The file and 0-based position of the name. */
  file: string;
  line: number;
  character: number;
  from: string;
  to: string;
  /** The lock order the new name's tags are written from. */
  policy: Policy;
}

/** Absolute path → edits, or undefined when the name there is not `from`. */
export function renameEdits(request: RenameRequest): Map<string, TextEdit[]> | undefined {
  const { project } = createMorphProject([request.projectFile]);
  for (const [path, text] of request.overlays) project.createSourceFile(resolve(path), text, { overwrite: true });
  project.resolveSourceFileDependencies();
  const sourceFile = project.getSourceFile(resolve(request.file));
  if (!sourceFile) return undefined;
  const position = sourceFile.compilerNode.getPositionOfLineAndCharacter(request.line, request.character);
  const node = sourceFile.getDescendantAtPos(position);
  if (!node || !(Node.isIdentifier(node) || Node.isPrivateIdentifier(node)) || node.getText() !== request.from) return undefined;
  const edits = new Map<string, TextEdit[]>();
  for (const location of project.getLanguageService().findRenameLocations(node)) {
    const file = location.getSourceFile();
    const span = location.getTextSpan();
    const start = file.compilerNode.getLineAndCharacterOfPosition(span.getStart());
    const end = file.compilerNode.getLineAndCharacterOfPosition(span.getEnd());
    const text = `${location.getPrefixText() ?? ""}${request.to}${location.getSuffixText() ?? ""}`;
    const path = resolve(file.getFilePath());
    edits.set(path, [...(edits.get(path) ?? []), { range: { start, end }, newText: text }]);
  }
  const tags = tagEditAfterRename(node, request.to, request.policy);
  if (tags) {
    const file = sourceFile.compilerNode;
    const path = resolve(sourceFile.getFilePath());
    const range = { start: file.getLineAndCharacterOfPosition(tags.start), end: file.getLineAndCharacterOfPosition(tags.end) };
    edits.set(path, [...(edits.get(path) ?? []), { range, newText: tags.text }]);
  }
  return edits;
}
