/**
 * Whether each declared lock's `target` names something in the analyzed program. A target that names
 * nothing is a configuration error: otherwise the lock silently never matches, every suffix token of
 * it reads as "extra", and `--fix` would strip correct tokens across the code base.
 *
 * A target resolves when the project declares it (a class member, or a module-level variable of the
 * named file), or when the lock-discipline runtime creates the lock by its id (`locks.mutex("sm")`).
 * A named lock (`navigator.locks:cache`) is its name and needs no declaration; if nothing requests
 * it, it is an `unused-lock` note like any lock nothing acquires.
 * A target declared only outside the project (another package of a monorepo, a declaration file, a
 * file the tsconfig does not include) is not an error: it is reported as an `unused-lock` note that
 * says where it lives, and `--fix` refuses to run, because the program cannot prove what that lock's
 * tokens mean.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { ts } from "ts-morph";
import { LockOrderConfigError, memberNameOf, moduleTargetKey, normalizeModulePath, type DeclaredLock, type Policy } from "../core/policy.js";
import { closestNames, didYouMean } from "../core/names.js";
import { ID_FACTORY_METHODS } from "../core/recognition.js";
import type { DraftFinding } from "./checks.js";
import { propertyNameText } from "./functions.js";
import type { SourceSpan } from "./types.js";

export interface TargetResolution {
  /** Targets that name nothing anywhere: each a one-line configuration error. */
  errors: LockOrderConfigError[];
  /** Targets declared only outside the analyzed project: lock → where (a path relative to the root). */
  outside: Map<DeclaredLock, string>;
  /** Where each resolved target is declared in the project. */
  declarations: Map<DeclaredLock, ts.Node>;
  /** Targets the project declares nowhere, resolved by the runtime creating the lock by its id. */
  createdByRuntime: Set<DeclaredLock>;
}

/** Folders never searched for a target outside the project: installed packages, build output, VCS data. */
const SKIPPED_FOLDERS = new Set(["node_modules", ".git", "dist", "build", "out", "coverage", ".next", ".turbo"]);
const SOURCE_FILE = /\.(?:[cm]?tsx?)$/;
/** Enough to cover a large monorepo's sources; the search only runs when a target is unresolved. */
const MAX_FILES_SEARCHED = 20_000;

/** A call of one of the table's id factories (the runtime's `locks.mutex("sm")`, which creates the lock `sm` itself), as text. */
const ID_FACTORY_CALL = new RegExp(`\\.(?:${[...ID_FACTORY_METHODS].join("|")})\\s*\\(`);

/** Whether a file's text may create a lock by its id (a call of one of the table's id factories). */
export function mayCreateLocksById(text: string): boolean {
  return ID_FACTORY_CALL.test(text);
}

/** The members that can hold a lock object (fields, parameter properties, getters), by name, as the lock resolver matches them. */
function membersOf(declaration: ts.ClassLikeDeclaration): Map<string, ts.Node> {
  const members = new Map<string, ts.Node>();
  for (const member of declaration.members) {
    if (ts.isPropertyDeclaration(member) || ts.isGetAccessorDeclaration(member)) {
      const name = propertyNameText(member.name);
      if (name !== undefined) members.set(name, member.name);
    } else if (ts.isConstructorDeclaration(member)) {
      for (const parameter of member.parameters) {
        if (ts.isParameterPropertyDeclaration(parameter, member) && ts.isIdentifier(parameter.name)) members.set(parameter.name.text, parameter.name);
      }
    }
  }
  return members;
}

function moduleVariables(sourceFile: ts.SourceFile): Map<string, ts.Node> {
  const variables = new Map<string, ts.Node>();
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name)) variables.set(declaration.name.text, declaration.name);
    }
  }
  return variables;
}

/** The classes, interfaces and type aliases the files declare at their top level, by name: what a type target (`DBAdapter`) may name. */
function typeDeclarations(sourceFiles: readonly ts.SourceFile[]): Map<string, ts.Node> {
  const types = new Map<string, ts.Node>();
  for (const sourceFile of sourceFiles) {
    for (const statement of sourceFile.statements) {
      if ((ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name && !types.has(statement.name.text)) {
        types.set(statement.name.text, statement.name);
      }
    }
  }
  return types;
}

/** Ids that the program passes to the runtime's `mutex(id)` / `rwlock(id)` as a string literal. */
function runtimeIds(sourceFiles: readonly ts.SourceFile[], wanted: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ID_FACTORY_METHODS.has(node.expression.name.text)) {
      const first = node.arguments[0];
      if (first && ts.isStringLiteralLike(first) && wanted.has(first.text)) found.add(first.text);
    }
    ts.forEachChild(node, visit);
  };
  for (const sourceFile of sourceFiles) {
    // Cheap text test first: most files never mention the factories.
    if (ID_FACTORY_CALL.test(sourceFile.text)) visit(sourceFile);
  }
  return found;
}

/** Source files under `dir` that are not analyzed, for finding a target declared outside the project. */
function filesOutside(dir: string, analyzed: ReadonlySet<string>): string[] {
  const files: string[] = [];
  const pending = [dir];
  while (pending.length > 0 && files.length < MAX_FILES_SEARCHED) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith(".")) pending.push(path);
      } else if (SOURCE_FILE.test(entry.name) && !analyzed.has(resolve(path))) {
        files.push(path);
      }
    }
  }
  return files.sort();
}

/** The deepest folder holding both (lock-order.json usually sits at or above the project). */
function commonAncestor(a: string, b: string): string {
  let dir = resolve(a);
  const other = resolve(b);
  while (other !== dir && !other.startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
    const parent = dirname(dir);
    if (parent === dir) return dir;
    dir = parent;
  }
  return dir;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface TargetContext {
  policy: Policy;
  /** Folder of lock-order.json: module targets are relative to it. */
  configDir: string;
  /** Folder of the tsconfig. With `configDir`, it bounds the search for targets outside the project. */
  projectDir: string;
  program: ts.Program;
  /** The analyzed files (the project's own sources that parse). */
  sourceFiles: readonly ts.SourceFile[];
  classesByName: ReadonlyMap<string, readonly ts.ClassLikeDeclaration[]>;
  /** Finding paths are relative to this folder. */
  root: string;
}

/**
 * Where a declared lock's target is declared: among `classes` (those of its class name) the last
 * one's member, or the module variable of `moduleFile` (the file its module path names).
 */
export function targetDeclaration(lock: DeclaredLock, classes: readonly ts.ClassLikeDeclaration[], moduleFile: ts.SourceFile | undefined): ts.Node | undefined {
  const target = lock.parsedTarget;
  // A type target is found among every file's types (resolveTargets), not in one file's classes.
  if (target.kind === "named" || target.kind === "type") return undefined;
  if (target.kind === "module") return moduleFile && moduleVariables(moduleFile).get(target.exportName);
  const memberName = memberNameOf(target);
  let found: ts.Node | undefined;
  for (const declaration of classes) {
    if (declaration.name?.text !== target.className) continue;
    found = membersOf(declaration).get(memberName) ?? found;
  }
  return found;
}

/** A file's path as module targets name it (relative to lock-order.json's folder). */
export function modulePathOf(fileName: string, configDir: string): string {
  return normalizeModulePath(relative(configDir, fileName));
}

/** Resolves every declared target against the program; see the module comment for what counts. */
export function resolveTargets(context: TargetContext): TargetResolution {
  const { policy, configDir, projectDir, program, sourceFiles, classesByName, root } = context;
  const result: TargetResolution = { errors: [], outside: new Map(), declarations: new Map(), createdByRuntime: new Set() };
  const analyzedByModulePath = new Map(sourceFiles.map((file) => [modulePathOf(file.fileName, configDir), file]));
  const unresolved: DeclaredLock[] = [];
  let types: Map<string, ts.Node> | undefined;
  let programTypes: Map<string, ts.Node> | undefined;

  for (const lock of policy.locks) {
    const target = lock.parsedTarget;
    // A named lock (`navigator.locks:cache`) is its name: there is no declaration to find.
    if (target.kind === "named") continue;
    if (target.kind === "type") {
      // The checker knows a type of a dependency's declarations as well as one of the project's.
      types ??= typeDeclarations(sourceFiles);
      const declaration = types.get(target.typeName) ?? (programTypes ??= typeDeclarations(program.getSourceFiles())).get(target.typeName);
      if (declaration) result.declarations.set(lock, declaration);
      else unresolved.push(lock);
      continue;
    }
    const declaration = targetDeclaration(lock, target.kind === "member" ? (classesByName.get(target.className) ?? []) : [], target.kind === "module" ? analyzedByModulePath.get(target.modulePath) : undefined);
    if (declaration) result.declarations.set(lock, declaration);
    else unresolved.push(lock);
  }
  if (unresolved.length === 0) return result;

  const createdByRuntime = runtimeIds(sourceFiles, new Set(unresolved.map((lock) => lock.id)));
  for (const lock of unresolved) if (createdByRuntime.has(lock.id)) result.createdByRuntime.add(lock);
  const stillUnresolved = unresolved.filter((lock) => !createdByRuntime.has(lock.id));
  if (stillUnresolved.length === 0) return result;

  const analyzed = new Set(sourceFiles.map((file) => resolve(file.fileName)));
  let outsideFiles: string[] | undefined;
  const outsideDeclaration = (pattern: RegExp): string | undefined => {
    for (const file of program.getSourceFiles()) {
      if (!analyzed.has(resolve(file.fileName)) && pattern.test(file.text)) return relative(root, file.fileName).replace(/\\/g, "/");
    }
    outsideFiles ??= filesOutside(commonAncestor(configDir, projectDir), analyzed);
    for (const file of outsideFiles) {
      let text;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      if (pattern.test(text)) return relative(root, file).replace(/\\/g, "/");
    }
    return undefined;
  };

  for (const lock of stillUnresolved) {
    const path = `locks[${lock.rank}].target`;
    const target = lock.parsedTarget;
    if (target.kind === "named") continue;
    const fail = (problem: string, suggestions: readonly string[], fix: string) =>
      result.errors.push(new LockOrderConfigError(policy.file, path, `"${lock.target}" (lock "${lock.id}") ${problem}`, `${didYouMean(suggestions)}${fix}`));

    if (target.kind === "type") {
      const where = outsideDeclaration(new RegExp(`\\b(?:class|interface|type)\\s+${escapeRegExp(target.typeName)}\\b`));
      if (where !== undefined) {
        result.outside.set(lock, where);
        continue;
      }
      fail(
        `names no class, interface or type of the project (no type ${target.typeName} is declared)`,
        closestNames(target.typeName, [...(types ?? typeDeclarations(sourceFiles)).keys()]),
        "fix the type name or remove the lock",
      );
    } else if (target.kind === "member") {
      const memberName = memberNameOf(target);
      const where = outsideDeclaration(
        new RegExp(`\\b(?:class|interface)\\s+${escapeRegExp(target.className)}\\b[\\s\\S]*?${target.isPrivate ? "#" : "\\b"}${escapeRegExp(target.member)}\\b`),
      );
      if (where !== undefined) {
        result.outside.set(lock, where);
        continue;
      }
      const classes = (classesByName.get(target.className) ?? []).filter((declaration) => declaration.name?.text === target.className);
      if (classes.length > 0) {
        const members = classes.flatMap((declaration) => [...membersOf(declaration).keys()]);
        fail(
          `names no field of class ${target.className} (its fields: ${members.length ? members.join(", ") : "none"})`,
          closestNames(memberName, members).map((member) => `${target.className}.${member}`),
          "fix the member name or remove the lock",
        );
      } else {
        const candidates: string[] = [];
        for (const [name, declarations] of classesByName) {
          for (const declaration of declarations) for (const member of membersOf(declaration).keys()) candidates.push(`${name}.${member}`);
        }
        fail(`names no class of the project (no class ${target.className} is declared)`, closestNames(lock.target, candidates), "fix the class name or remove the lock");
      }
    } else {
      const resolvedPath = resolve(configDir, target.modulePath);
      const inProgram = program.getSourceFile(resolvedPath);
      if ((inProgram && !analyzed.has(resolve(inProgram.fileName))) || (!inProgram && existsSync(resolvedPath))) {
        result.outside.set(lock, relative(root, resolvedPath).replace(/\\/g, "/"));
        continue;
      }
      const file = analyzedByModulePath.get(target.modulePath);
      if (file) {
        const variables = [...moduleVariables(file).keys()];
        fail(
          `names no module-level variable of ${target.modulePath}`,
          closestNames(target.exportName, variables).map((name) => moduleTargetKey(target.modulePath, name)),
          "fix the export name or remove the lock",
        );
      } else {
        const candidates = [...analyzedByModulePath.keys()];
        fail(
          `names no file of the project (${target.modulePath} does not exist; module targets are relative to lock-order.json's folder)`,
          closestNames(target.modulePath, candidates).map((modulePath) => moduleTargetKey(modulePath, target.exportName)),
          "fix the path or remove the lock",
        );
      }
    }
  }
  return result;
}

/** Where lock `id` is declared in lock-order.json (its `"id"` field), for notes about the declaration. */
function declarationSpan(file: string, id: string, root: string): SourceSpan | undefined {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const match = new RegExp(`"id"\\s*:\\s*"${escapeRegExp(id)}"`).exec(text);
  if (!match) return undefined;
  const before = text.slice(0, match.index).split("\n");
  const line = before.length;
  const column = before[before.length - 1].length + 1;
  return { file: relative(root, file).replace(/\\/g, "/"), line, column, endLine: line, endColumn: column + match[0].length };
}

/**
 * `unused-lock` notes: a declared lock that nothing in the program acquires (a stale entry, or one
 * whose target lives outside the project). Placed on the lock's entry in lock-order.json, or on the
 * target's declaration when the order did not come from a file.
 */
export function unusedLockFindings(
  policy: Policy,
  resolution: { readonly outside: ReadonlyMap<DeclaredLock, string>; readonly declarations: ReadonlyMap<DeclaredLock, SourceSpan> },
  acquired: ReadonlySet<string>,
  root: string,
): DraftFinding[] {
  const notes: DraftFinding[] = [];
  for (const lock of policy.locks) {
    if (acquired.has(lock.id)) continue;
    const outside = resolution.outside.get(lock);
    const declaration = resolution.declarations.get(lock);
    const location = declarationSpan(policy.file, lock.id, root) ?? declaration;
    if (!location) continue;
    const message =
      outside !== undefined
        ? `lock "${lock.id}" (${lock.target}) is declared in ${outside}, outside the analyzed project: nothing here acquires it, and its order is not checked here`
        : `lock "${lock.id}" (${lock.target}) is declared but never acquired in the program: remove the stale entry, or check that its target names the lock object`;
    notes.push({
      ruleId: "unused-lock",
      level: "note",
      message,
      location,
      chain: [],
      related: declaration ? [{ location: declaration, message: `${lock.target} is declared here` }] : [],
      locks: [lock.id],
      detail: `unused:${lock.id}`,
    });
  }
  return notes;
}
