/**
 * `--fix`: renames every function whose suffix is wrong to the name the analysis computed, with
 * ts-morph's rename (the language service's: every reference in every file, overrides and
 * implementations included), then saves. The caller re-analyzes to report what remains.
 */
import { resolve } from "node:path";
import { Node, Project, ts, type Identifier, type PrivateIdentifier } from "ts-morph";
import { AuditError } from "./errors.js";
import type { Finding, FixReport, SourceSpan } from "./types.js";

interface PlannedRename {
  identifier: Identifier | PrivateIdentifier;
  location: SourceSpan;
  from: string;
  to: string;
}

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

export async function fixSuffixes(options: { projectFile: string; root: string; findings: readonly Finding[] }): Promise<FixReport> {
  const report: FixReport = { renamed: [], skipped: [] };
  const fixable = options.findings.filter((finding) => finding.ruleId === "suffix" && finding.fix);
  if (fixable.length === 0) return report;
  const project = new Project({ tsConfigFilePath: options.projectFile });
  const planned: PlannedRename[] = [];
  for (const finding of fixable) {
    const { from, to } = finding.fix!;
    const skip = (reason: string) => report.skipped.push({ location: finding.location, from, to, reason });
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
  for (const rename of planned) {
    if (rename.identifier.wasForgotten()) continue;
    const current = rename.identifier.getText();
    if (current === rename.to) continue; // renamed with another member of its family (an override, the other accessor)
    if (current !== rename.from) {
      report.skipped.push({ location: rename.location, from: rename.from, to: rename.to, reason: `an earlier rename changed it to ${current}` });
      continue;
    }
    const references = project.getLanguageService().findRenameLocations(rename.identifier).length;
    rename.identifier.rename(rename.to);
    report.renamed.push({ location: rename.location, from: rename.from, to: rename.to, references });
  }
  try {
    await project.save();
  } catch (error) {
    throw new AuditError("project", `cannot save the renamed files (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); check file permissions`);
  }
  return report;
}
