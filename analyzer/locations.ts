/** Source positions as findings report them: paths relative to the analysis root, 1-based lines and columns. */
import { isAbsolute, relative } from "node:path";
import type { ts } from "ts-morph";
import type { SourceSpan } from "./types.js";

export class SourceSpans {
  private readonly relativeCache = new Map<string, string>();

  constructor(readonly root: string) {}

  /** `src/store.ts` for a file under the root (`/`-separated on every platform). */
  relativePath(fileName: string): string {
    let path = this.relativeCache.get(fileName);
    if (path === undefined) {
      path = isAbsolute(fileName) ? relative(this.root, fileName).replace(/\\/g, "/") : fileName.replace(/\\/g, "/");
      this.relativeCache.set(fileName, path);
    }
    return path;
  }

  ofRange(sourceFile: ts.SourceFile, start: number, end: number): SourceSpan {
    const from = sourceFile.getLineAndCharacterOfPosition(start);
    const to = sourceFile.getLineAndCharacterOfPosition(Math.max(start, end));
    return { file: this.relativePath(sourceFile.fileName), line: from.line + 1, column: from.character + 1, endLine: to.line + 1, endColumn: to.character + 1 };
  }

  of(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): SourceSpan {
    return this.ofRange(sourceFile, node.getStart(sourceFile), node.getEnd());
  }
}

export function compareSpans(a: SourceSpan, b: SourceSpan): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}
