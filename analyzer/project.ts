/**
 * Loading the project: one ts-morph Project from tsconfig.json, one Program, one type checker. The
 * analysis then reads the compiler nodes directly (`compilerNode`, ts-morph's bundled `ts`), which
 * avoids creating a wrapper object per node.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Project, ts } from "ts-morph";
import { AuditError, firstLine } from "./errors.js";

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
  /** The folders of every tsconfig of the program. */
  projectDirs: string[];
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

/** A tsconfig and what it contributes: its own files and the projects it references. */
interface ConfigEntry {
  configFile: string;
  parsed: ts.ParsedCommandLine;
}

function parseConfig(configFile: string): ts.ParsedCommandLine {
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new AuditError("project", `${configFile}: ${flatten(read.error.messageText)}; fix the tsconfig`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configFile), undefined, configFile);
  // 18003 "No inputs were found" is fine for a solution tsconfig (`"files": []` plus references).
  const problem = configProblem(
    configFile,
    parsed.errors.filter((d) => d.code !== 18003),
  );
  if (problem) throw new AuditError("project", problem);
  return parsed;
}

/**
 * Every project to analyze as one program: the given tsconfigs and, through `references`, the
 * projects they reference (a monorepo's solution tsconfig lists its packages that way). Each config
 * once, in first-seen order.
 */
export function expandProjects(projectFiles: readonly string[]): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const seen = new Set<string>();
  const visit = (configFile: string): void => {
    if (seen.has(configFile)) return;
    seen.add(configFile);
    const parsed = parseConfig(configFile);
    entries.push({ configFile, parsed });
    for (const reference of parsed.projectReferences ?? []) {
      const path = existsSync(reference.path) && statSync(reference.path).isDirectory() ? join(reference.path, "tsconfig.json") : reference.path;
      if (!existsSync(path)) throw new AuditError("project", `${configFile}: references ${reference.path}, which has no tsconfig.json; fix "references"`);
      visit(resolve(path));
    }
  };
  for (const file of projectFiles) visit(resolve(file));
  return entries;
}

/**
 * The compiler options of one program for several projects: the first project with files sets them,
 * and every project's `paths` mappings are kept, made absolute, so that path-mapped workspace
 * imports (`"@scope/*": ["../*\/src"]`) resolve the same as in their own project.
 */
function mergedOptions(entries: readonly ConfigEntry[]): ts.CompilerOptions {
  const primary = entries.find((entry) => entry.parsed.fileNames.length > 0) ?? entries[0];
  const paths: Record<string, string[]> = {};
  for (const { configFile, parsed } of entries) {
    const base = parsed.options.baseUrl ?? (parsed.options as { pathsBasePath?: string }).pathsBasePath ?? dirname(configFile);
    for (const [pattern, targets] of Object.entries(parsed.options.paths ?? {})) {
      paths[pattern] ??= targets.map((target) => resolve(base, target));
    }
  }
  const options: ts.CompilerOptions = { ...primary.parsed.options, noEmit: true };
  if (Object.keys(paths).length > 0) options.paths = paths;
  // Outputs and project-build settings do not matter to an analysis that emits nothing.
  delete options.composite;
  delete options.incremental;
  delete options.tsBuildInfoFile;
  return options;
}

/**
 * One ts-morph Project over every file of the given projects (shared by the analysis and `--fix`);
 * with `roots`, over those files only and what they import (the program follows their imports).
 */
export function createMorphProject(projectFiles: readonly string[], roots?: readonly string[]): { project: Project; entries: ConfigEntry[] } {
  const entries = expandProjects(projectFiles);
  const files = roots ? [...roots] : [...new Set(entries.flatMap((entry) => entry.parsed.fileNames.map((file) => resolve(file))))];
  try {
    if (entries.length === 1) {
      // Dependencies are found by the Program itself; resolving them up front would build it twice.
      const project = new Project({ tsConfigFilePath: entries[0].configFile, skipFileDependencyResolution: true, skipAddingFilesFromTsConfig: roots !== undefined });
      for (const file of roots ?? []) project.addSourceFileAtPath(file);
      return { project, entries };
    }
    const project = new Project({ compilerOptions: mergedOptions(entries), skipFileDependencyResolution: true });
    for (const file of files) project.addSourceFileAtPath(file);
    return { project, entries };
  } catch (error) {
    if (error instanceof RangeError) throw new AuditError("project", tooDeepToParse(files, error));
    throw new AuditError("project", `${entries[0].configFile}: ${firstLine(error)}; fix the tsconfig`);
  }
}

/**
 * TypeScript's parser recurses once per nesting level, so code nested some 800 levels deep
 * overflows the stack (tsc crashes on it too). Names the first file that does, found by parsing
 * each file on its own (only on this error path).
 */
function tooDeepToParse(files: readonly string[], error: RangeError): string {
  for (const file of files) {
    try {
      ts.createSourceFile(file, ts.sys.readFile(file) ?? "", ts.ScriptTarget.Latest, false);
    } catch (inner) {
      if (inner instanceof RangeError) {
        return `${file}: code nested deeper than the TypeScript parser can follow (${inner.message}; tsc fails on it too); split the deepest expression, or leave the file out of the tsconfig`;
      }
    }
  }
  return `a file of the project nests code deeper than the TypeScript parser can follow (${error.message}); split the deepest expression, or leave the file out of the tsconfig`;
}

/**
 * The program of the given projects; with `roots`, of those files and what they import only (a
 * `--cache` run after a few files changed, the rest of the facts coming from the cache).
 */
export function loadProject(projectFiles: string | readonly string[], overlays?: ReadonlyMap<string, string>, roots?: readonly string[]): LoadedProject {
  const list = typeof projectFiles === "string" ? [projectFiles] : projectFiles;
  const { project, entries } = createMorphProject(list, roots);
  // Unsaved editor text (the language server's open documents) replaces what is on disk.
  for (const [path, text] of overlays ?? []) project.createSourceFile(resolve(path), text, { overwrite: true });
  const projectFile = list[0];
  if (entries.length === 1) {
    const problem = configProblem(projectFile, project.getConfigFileParsingDiagnostics().map((d) => d.compilerObject));
    if (problem) throw new AuditError("project", problem);
  }

  const program = project.getProgram().compilerObject;
  const projectDirs = entries.map((entry) => dirname(entry.configFile));
  const checker = program.getTypeChecker();
  const { sourceFiles, unparsable } = programSources(program, projectDirs);
  if (sourceFiles.length === 0 && unparsable.length === 0) {
    throw new AuditError("project", `${projectFile}: the tsconfig includes no TypeScript files; check "include"/"files"${entries.length > 1 ? " of the projects it references" : ""}`);
  }
  return { project, program, checker, projectFile, projectDirs, sourceFiles, unparsable };
}

/** The program's files to analyze (its own sources, no libraries or declaration files), split by whether they parse. */
export function programSources(program: ts.Program, projectDirs: readonly string[]): { sourceFiles: ts.SourceFile[]; unparsable: UnparsableFile[] } {
  const sourceFiles: ts.SourceFile[] = [];
  const unparsable: UnparsableFile[] = [];
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile || program.isSourceFileDefaultLibrary(sourceFile) || program.isSourceFileFromExternalLibrary(sourceFile)) continue;
    // Installed packages are not the project (a project may itself sit under some node_modules folder).
    if (projectDirs.every((dir) => /(^|[\\/])node_modules[\\/]/.test(relative(dir, sourceFile.fileName)))) continue;
    const syntax = program.getSyntacticDiagnostics(sourceFile);
    if (syntax.length > 0) unparsable.push({ sourceFile, diagnostic: syntax[0] });
    else sourceFiles.push(sourceFile);
  }
  return { sourceFiles, unparsable };
}

export function projectDirOf(projectFile: string): string {
  return dirname(projectFile);
}
