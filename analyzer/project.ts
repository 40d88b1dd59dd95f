/**
 * Loading the project: one ts-morph Project from tsconfig.json, one Program, one type checker. The
 * analysis then reads the compiler nodes directly (`compilerNode`, ts-morph's bundled `ts`), which
 * avoids creating a wrapper object per node.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Project, ts } from "ts-morph";
import { AuditError } from "./errors.js";

export interface UnparsableFile {
  sourceFile: ts.SourceFile;
  diagnostic: ts.DiagnosticWithLocation;
}

export interface LoadedProject {
  project: Project;
  program: ts.Program;
  checker: ts.TypeChecker;
  /** Absolute path of tsconfig.json. */
  projectFile: string;
  /** Files to analyze: the program's own sources (no libraries, no declaration files) that parse. */
  sourceFiles: ts.SourceFile[];
  /** Program sources that have syntax errors: reported as notes, not analyzed. */
  unparsable: UnparsableFile[];
}

/** `--project` may name a tsconfig file or a folder holding tsconfig.json. */
export function resolveProjectFile(projectPath: string, cwd: string): string {
  const path = resolve(cwd, projectPath);
  if (!existsSync(path)) {
    throw new AuditError("project", `${projectPath}: no such file; pass --project path/to/tsconfig.json`);
  }
  if (statSync(path).isDirectory()) {
    const inside = join(path, "tsconfig.json");
    if (!existsSync(inside)) throw new AuditError("project", `${projectPath}: the folder has no tsconfig.json; pass --project path/to/tsconfig.json`);
    return inside;
  }
  return path;
}

function flatten(message: string | ts.DiagnosticMessageChain): string {
  return ts.flattenDiagnosticMessageText(message, " ").replace(/\s+/g, " ").trim();
}

/** The error diagnostics that make a tsconfig unusable, as one line. */
function configProblem(projectFile: string, diagnostics: readonly ts.Diagnostic[]): string | undefined {
  const error = diagnostics.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (!error) return undefined;
  // 18003: "No inputs were found in config file".
  if (error.code === 18003) return `${projectFile}: the tsconfig includes no TypeScript files; check "include"/"files"`;
  return `${projectFile}: ${flatten(error.messageText)}; fix the tsconfig`;
}

export function loadProject(projectFile: string): LoadedProject {
  const read = ts.readConfigFile(projectFile, ts.sys.readFile);
  if (read.error) throw new AuditError("project", `${projectFile}: ${flatten(read.error.messageText)}; fix the tsconfig`);

  let project: Project;
  try {
    // Dependencies are found by the Program itself; resolving them up front would build it twice.
    project = new Project({ tsConfigFilePath: projectFile, skipFileDependencyResolution: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new AuditError("project", `${projectFile}: ${message}; fix the tsconfig`);
  }
  const problem = configProblem(projectFile, project.getConfigFileParsingDiagnostics().map((d) => d.compilerObject));
  if (problem) throw new AuditError("project", problem);

  const program = project.getProgram().compilerObject;
  const projectDir = dirname(projectFile);
  const checker = program.getTypeChecker();
  const sourceFiles: ts.SourceFile[] = [];
  const unparsable: UnparsableFile[] = [];
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile || program.isSourceFileDefaultLibrary(sourceFile) || program.isSourceFileFromExternalLibrary(sourceFile)) continue;
    // Installed packages are not the project (a project may itself sit under some node_modules folder).
    if (/(^|[\\/])node_modules[\\/]/.test(relative(projectDir, sourceFile.fileName))) continue;
    const syntax = program.getSyntacticDiagnostics(sourceFile);
    if (syntax.length > 0) unparsable.push({ sourceFile, diagnostic: syntax[0] });
    else sourceFiles.push(sourceFile);
  }
  if (sourceFiles.length === 0 && unparsable.length === 0) {
    throw new AuditError("project", `${projectFile}: the tsconfig includes no TypeScript files; check "include"/"files"`);
  }
  return { project, program, checker, projectFile, sourceFiles, unparsable };
}

export function projectDirOf(projectFile: string): string {
  return dirname(projectFile);
}
