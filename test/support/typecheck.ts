/**
 * `tsc --noEmit` on a tsconfig, in this process, for tests that require a project to type-check.
 * Most of the time of one small program goes to parsing the default libraries (lib.es2023 and the
 * files it references); they never change, so their SourceFiles are parsed once per test file and
 * handed to every program whose options parse them the same way. Project files are read afresh
 * every time, since tests rewrite them (`--fix`).
 */
import { dirname, join } from "node:path";
import ts from "typescript";

const libDir = dirname(ts.getDefaultLibFilePath({}));
const libFiles = new Map<string, ts.SourceFile>();

/** The options a program is type-checked with, as `tsc -p` reads the tsconfig (`project`: the tsconfig or its folder). */
export function parsedConfig(project: string): ts.ParsedCommandLine {
  const configFile = project.endsWith(".json") ? project : join(project, "tsconfig.json");
  return ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
}

/** The program of a parsed tsconfig; default library files come from a cache shared by the test file's programs. */
export function createProgram(config: ts.ParsedCommandLine): ts.Program {
  const { options } = config;
  // The binder's results stay on the SourceFile, and strictness and module settings change them.
  const bindKey = [options.target, options.module, options.strict, options.alwaysStrict, options.preserveConstEnums, options.isolatedModules, options.verbatimModuleSyntax].join();
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    if (dirname(fileName) !== libDir) return getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate);
    // What a file's parse depends on besides its text: the language version and, for modules, how module-ness is detected.
    const settings = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = `${bindKey}\u0000${fileName}\u0000${settings.languageVersion}\u0000${settings.impliedNodeFormat ?? ""}\u0000${settings.setExternalModuleIndicator ? "indicator" : ""}\u0000${settings.jsDocParsingMode ?? ""}`;
    let file = libFiles.get(key);
    if (!file) {
      file = getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate);
      if (file) libFiles.set(key, file);
    }
    return file;
  };
  return ts.createProgram({ rootNames: config.fileNames, options, host });
}

/** Every pre-emit diagnostic of the project, as `file: message` (file empty for a global diagnostic). */
export function typeErrors(project: string): string[] {
  return ts.getPreEmitDiagnostics(createProgram(parsedConfig(project))).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
}
