/**
 * The analysis engine: one live program (a ts-morph Project, unsaved editor text in place of the
 * files on disk) and the per-file facts extracted from it (analyzer/facts.ts), kept between updates.
 *
 * `update(changed)` re-extracts the changed files and every file whose facts may depend on them,
 * recomputes the summaries of the components whose facts or callees changed (and so on up their
 * callers), re-runs the checks of the units whose inputs changed (analyzer/check-cache.ts), and
 * returns what a cold `analyze()` of the same files returns. A cold
 * run is the first update: every file changed. So `analyze()`, `--watch`, `--cache` and the language
 * server all run this one path.
 *
 * What a file's facts depend on besides its own text, and how each is followed:
 * - the types of what it imports (call resolution, lock receivers, lock parameters): a changed file
 *   whose declarations (its `.d.ts` emit, plus the property and variable declarations whose
 *   initializers lock recognition reads) changed re-extracts its importers, and so on while their
 *   declarations change in turn;
 * - the class hierarchy (calls through interfaces and overridable members reach every
 *   implementation in the program): each extraction records the member names it asked the
 *   hierarchy about; a changed file whose classes or interfaces changed re-extracts the files that
 *   asked about their member names;
 * - the program's function names (a callee named like no function is settled without the checker):
 *   each extraction records the names it found missing; a file that adds one re-extracts them;
 * - a call target by id: a file naming a unit that is gone is re-extracted;
 * - what nothing local can bound — a script (no imports or exports) whose declarations are global,
 *   a global or module augmentation, a change to the type of a declared `Class.member` target (a
 *   member of that type anywhere is a lock), a file added or deleted — starts over cold.
 *
 * A `--cache` run whose changed files kept their declarations and classes builds the program of
 * those files and what they import only (`partial`); the rest of the program is the cache's facts.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { ts, type Project } from "ts-morph";
import { findLockOrder, loadLockOrder } from "../core/config.js";
import { storesArgument } from "../core/lowering.js";
import { buildPolicy, releaseMethodNames, type Policy } from "../core/policy.js";
import type { AnalysisProgress, AnalyzeOptions } from "./analyze.js";
import { UnitCheckCache } from "./check-cache.js";
import { unanalyzableFindings, type FactSummaries } from "./checks.js";
import { AuditError, auditErrorOf } from "./errors.js";
import { FactExtractor } from "./extract.js";
import { linkFile, referencedIds, type FactUnit, type FileFacts, type Site } from "./facts.js";
import { finalizeFindings } from "./findings.js";
import { collectFunctions, isFunctionExpressionLike, propertyNameText, skipOuterExpressions, type FunctionIndex, type FunctionUnit } from "./functions.js";
import { ClassHierarchy } from "./hierarchy.js";
import { SourceSpans } from "./locations.js";
import { buildLockGraph } from "./lock-graph.js";
import { declaredTargetTypes, LockResolver, typeKeyOf } from "./locks.js";
import { loadProject, programSources, resolveProjectFile, type UnparsableFile } from "./project.js";
import { recordFile, recordUnparsable, unitIdsOf } from "./record.js";
import { CallResolver } from "./resolve.js";
import { applySeverities, applySuppressions, ruleSeverities, type Severity } from "./rollout.js";
import { computeSummaries } from "./summaries.js";
import { mayCreateLocksById, modulePathOf, resolveTargets, targetDeclaration, unusedLockFindings } from "./targets.js";
import type { AnalysisResult, RuleId, SourceSpan } from "./types.js";
import type { DeclaredLock } from "../core/policy.js";

/** The lock order of discovery mode: none is declared, so every lock found is an undeclared lock class. */
export const DISCOVERY_POLICY_FILE = "<discovery>";

function loadPolicy(config: string | Policy | undefined, projectFile: string, cwd: string): Policy {
  if (config !== undefined && typeof config !== "string") return config;
  if (config !== undefined) return loadLockOrder(resolve(cwd, config));
  const found = findLockOrder(dirname(projectFile));
  return found ? loadLockOrder(found) : buildPolicy({ locks: [] }, DISCOVERY_POLICY_FILE);
}

/** What one extraction of a file asked of the rest of the program, beyond its imports. */
interface Lookups {
  /** Callee names it found in no function of the program. */
  missingNames: Set<string>;
  /** Member names it asked the class hierarchy about (`constructor` for `new`/`super`). */
  hierarchyNames: Set<string>;
}

interface FileState {
  facts: FileFacts;
  /** Absolute paths of the program files it imports. */
  imports: string[];
  lookups: Lookups;
  /** Its declarations as importers see them, once computed (see `declarationText`). */
  declarations?: string;
  /** Its classes and interfaces as the hierarchy sees them: name, heritage, member names. */
  shape: string;
  /** Member names of its classes and interfaces. */
  memberNames: Set<string>;
  module: boolean;
  /** The types of the declared `Class.member` targets it declares (see `targetTypes`). */
  targetTypes: string;
  /** Its function names, when restored from the cache (else its collection in the program has them). */
  functionNames?: readonly string[];
}

/** A file's state as the cache keeps it: plain data, with the hash of the text it was extracted from. */
export interface StoredFile {
  readonly hash: string;
  readonly facts: FileFacts;
  readonly imports: readonly string[];
  readonly missingNames: readonly string[];
  readonly hierarchyNames: readonly string[];
  readonly declarations?: string;
  readonly shape: string;
  readonly memberNames: readonly string[];
  readonly module: boolean;
  readonly targetTypes: string;
  /** The function, class and member names it declares (its part of `StoredFacts.functionNames`). */
  readonly functionNames: readonly string[];
}

/** The declared targets as the checks read them, by lock id (see `resolveTargets`). */
export interface StoredTargets {
  /** Where each target the project declares is declared. */
  readonly declarations: readonly (readonly [string, SourceSpan])[];
  /** Targets declared only outside the project: where. */
  readonly outside: readonly (readonly [string, string])[];
  /** Targets resolved only by the runtime creating the lock by its id. */
  readonly createdByRuntime: readonly string[];
}

/** What an engine hands the cache, and takes back in a later process. */
export interface StoredFacts {
  readonly files: Readonly<Record<string, StoredFile>>;
  /** The program's function names when the facts were extracted. */
  readonly functionNames: readonly string[];
  /** The dispatch families (see `ClassHierarchy.dispatchFamilies`), by unit id. */
  readonly families: readonly (readonly string[])[];
  readonly targets: StoredTargets;
}

/** The declared targets as the checks read them: where each is declared, which live outside the project. */
interface CheckedTargets {
  readonly outside: ReadonlyMap<DeclaredLock, string>;
  readonly declarations: ReadonlyMap<DeclaredLock, SourceSpan>;
}

/**
 * A `--cache` run over a program of the changed files and what they import, the rest from the
 * cache (see `AnalysisEngine.partial`): every file of the whole program, by name, in order, and
 * what the whole program's checks need that the smaller program cannot say.
 */
interface PartialRun {
  readonly fileNames: readonly string[];
  readonly stored: StoredFacts;
  readonly changed: ReadonlySet<string>;
}

/** A `--cache` run over a smaller program met something only the whole program can answer. */
class NeedsWholeProgram extends Error {}

export function hashText(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A function-name set that records the names asked for and missing (see `Lookups`). */
class RecordingNames extends Set<string> {
  missing: Set<string> | undefined;
  override has(name: string): boolean {
    const found = super.has(name);
    if (!found) this.missing?.add(name);
    return found;
  }
}

/** The class hierarchy, recording which member names the current file's calls ask about. */
class RecordingHierarchy extends ClassHierarchy {
  asked: Set<string> | undefined;
  override implementationsOf(member: ts.Declaration): readonly FunctionUnit[] {
    const name = propertyNameText((member as ts.NamedDeclaration).name as ts.PropertyName | undefined);
    if (name !== undefined) this.asked?.add(name);
    return super.implementationsOf(member);
  }
  override constructorOf(declaration: ts.ClassLikeDeclaration, constructors: ReadonlyMap<ts.ClassLikeDeclaration, FunctionUnit>): FunctionUnit | undefined {
    this.asked?.add("constructor");
    return super.constructorOf(declaration, constructors);
  }
  override storedIn(collection: ts.Symbol): readonly FunctionUnit[] {
    this.asked?.add(collection.name);
    return super.storedIn(collection);
  }
  override baseClassOf(declaration: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration | undefined {
    this.asked?.add("constructor");
    return super.baseClassOf(declaration);
  }
}

/** Program methods (and an argument) that the bundled TypeScript has but does not type. */
interface ProgramInternals {
  getResolvedModuleFromModuleSpecifier(specifier: ts.StringLiteralLike, sourceFile: ts.SourceFile): { resolvedModule?: { resolvedFileName: string } } | undefined;
  emit(
    sourceFile: ts.SourceFile,
    writeFile: (name: string, text: string) => void,
    cancellationToken: undefined,
    emitOnlyDts: boolean,
    transformers: undefined,
    forceDtsEmit: boolean,
  ): ts.EmitResult;
}


/** Source files in one order for every run, whatever order the program lists them in after edits. */
function byFileName(a: ts.SourceFile, b: ts.SourceFile): number {
  return a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0;
}

/** The program files a file imports (its module specifiers as the program resolved them, and `/// <reference path>`s). */
function importsOf(program: ts.Program, sourceFile: ts.SourceFile): string[] {
  const imports = new Set<string>();
  const specifiers = (sourceFile as unknown as { imports?: readonly ts.StringLiteralLike[] }).imports ?? [];
  for (const specifier of specifiers) {
    // Public at run time, missing from the bundled typings.
    const resolved = (program as unknown as ProgramInternals).getResolvedModuleFromModuleSpecifier(specifier, sourceFile)?.resolvedModule?.resolvedFileName;
    if (resolved) imports.add(resolve(resolved));
  }
  for (const reference of sourceFile.referencedFiles) imports.add(resolve(dirname(sourceFile.fileName), reference.fileName));
  return [...imports];
}

/**
 * A file's declarations as the files importing it see them: its declaration emit (inferred types
 * included), plus the text of every property and module-level variable declaration (lock
 * recognition reads their initializers, `= new Mutex()`, which the emit leaves out). Undefined when
 * the emit is skipped: then importers always count as affected.
 */
function declarationText(program: ts.Program, sourceFile: ts.SourceFile): string | undefined {
  let emitted: string | undefined;
  // `forceDtsEmit` (the last argument): declarations even under `noEmit`.
  const result = (program as unknown as ProgramInternals).emit(sourceFile, (name: string, text: string) => {
    if (/\.d\.[cm]?ts$/.test(name)) emitted = (emitted ?? "") + text;
  }, undefined, true, undefined, true);
  void result;
  if (emitted === undefined) return undefined;
  const parts = [emitted];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyDeclaration(node) || ts.isConstructorDeclaration(node)) parts.push(node.getText(sourceFile));
    else if (ts.isClassLike(node)) ts.forEachChild(node, visit);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) parts.push(statement.getText(sourceFile));
    else visit(statement);
  }
  return hashText(parts.join("\u0000"));
}

/**
 * `declare global { … }` and `declare module "x" { … }` in a module change what other files see
 * without their importing it.
 */
function augments(sourceFile: ts.SourceFile): boolean {
  return sourceFile.statements.some((statement) => ts.isModuleDeclaration(statement) && ((statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0 || ts.isStringLiteral(statement.name)));
}

/** Classes and interfaces as the hierarchy sees them: names, heritage clauses, member names. */
function shapeOf(sourceFile: ts.SourceFile): { shape: string; memberNames: Set<string> } {
  const parts: string[] = [];
  const memberNames = new Set<string>();
  // An explicit stack: generated files nest expressions deeper than the call stack allows.
  const stack: ts.Node[] = [sourceFile];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (ts.isClassLike(node) || ts.isInterfaceDeclaration(node)) {
      const members = (node.members as ts.NodeArray<ts.ClassElement | ts.TypeElement>).map((member) => (member.kind === ts.SyntaxKind.Constructor ? "constructor" : (propertyNameText(member.name as ts.PropertyName | undefined) ?? "?")));
      for (const name of members) memberNames.add(name);
      parts.push(`${node.name?.text ?? "<anonymous>"}|${(node.heritageClauses ?? []).map((clause) => clause.getText(sourceFile)).join(" ")}|${members.join(",")}`);
    } else if (ts.isTypeAliasDeclaration(node) && ts.isTypeLiteralNode(node.type)) {
      const members = node.type.members.map((member) => propertyNameText(member.name as ts.PropertyName | undefined) ?? "?");
      for (const name of members) memberNames.add(name);
      parts.push(`${node.name.text}=|${members.join(",")}`);
    } else if (ts.isObjectLiteralExpression(node)) {
      // An object literal typed as an interface implements it with its function members (ClassHierarchy).
      const members = node.properties.filter(isFunctionMember).map((member) => propertyNameText(member.name) ?? "?");
      for (const name of members) memberNames.add(name);
      if (members.length > 0) parts.push(`{${members.join(",")}}`);
    } else if (ts.isCallExpression(node)) {
      // A function stored in a collection runs where the collection's elements are invoked (ClassHierarchy.storedIn).
      const collection = storingCollectionName(node);
      if (collection !== undefined) {
        memberNames.add(collection);
        parts.push(`store:${collection}`);
      }
    }
    const children: ts.Node[] = [];
    ts.forEachChild(node, (child) => {
      children.push(child);
    });
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]);
  }
  return { shape: parts.join("\n"), memberNames };
}

/** A member of an object literal that may be a function: a method, an accessor, a shorthand, or a property whose value is a function. */
function isFunctionMember(member: ts.ObjectLiteralElementLike): member is Exclude<ts.ObjectLiteralElementLike, ts.SpreadAssignment> {
  if (ts.isSpreadAssignment(member)) return false;
  if (ts.isPropertyAssignment(member)) return isFunctionExpressionLike(skipOuterExpressions(member.initializer));
  return true;
}

/** The name of the collection a call stores a function in (`handlers` in `this.handlers.push(cb)`), or undefined. */
function storingCollectionName(call: ts.CallExpression): string | undefined {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !call.arguments.some((_, position) => storesArgument(ts, call, position))) return undefined;
  const collection = skipOuterExpressions(callee.expression);
  return ts.isPropertyAccessExpression(collection) ? collection.name.text : ts.isIdentifier(collection) ? collection.text : undefined;
}

export interface UpdateInfo {
  /** Files whose facts were extracted in this update. */
  readonly extracted: number;
  /** Units whose summaries were recomputed. */
  readonly recomputed: number;
  /** Units and suffix groups whose checks were computed, not kept from the last update. */
  readonly rechecked: number;
  /** Whether the update started over from nothing. */
  readonly cold: boolean;
  /** A `--cache` run that built the program of the changed files and their imports only. */
  readonly partial?: boolean;
}

export class AnalysisEngine {
  private readonly cwd: string;
  private readonly projectFiles: string[];
  private readonly projectFile: string;
  private readonly policy: Policy;
  private readonly severities: Map<RuleId, Severity>;
  private readonly root: string;
  private readonly configDir: string;
  private readonly spans: SourceSpans;
  private readonly progress: (progress: AnalysisProgress) => void;
  private readonly overlays = new Map<string, string>();
  private readonly updates: boolean;

  private project: Project | undefined;
  private projectDirs: string[] = [];
  private program: ts.Program | undefined;
  private files = new Map<string, FileState>();
  private units = new Map<string, FactUnit>();
  private summaries: FactSummaries | undefined;
  private functionNames = new Set<string>();
  private collected = new WeakMap<ts.SourceFile, FunctionIndex>();
  private idsByFile = new WeakMap<ts.SourceFile, string[]>();
  /** Files handed in as changed since the last update. */
  private pending = new Set<string>();
  private lastInfo: UpdateInfo = { extracted: 0, recomputed: 0, rechecked: 0, cold: true };
  /** The last run's dispatch families and declared targets, as `store()` writes them. */
  private families: string[][] = [];
  private targetFacts: StoredTargets | undefined;
  /** The stored states of the files a partial run's program does not hold (`store()` writes them back). */
  private outsideProgram: Readonly<Record<string, StoredFile>> | undefined;
  private readonly checks = new UnitCheckCache();

  /**
   * `updates: false`: one analysis and nothing after it (`analyze()`). The engine then skips what only
   * a later update or `store()` reads — each file's imports, class shapes and target types — and
   * refuses a second update.
   */
  constructor(
    private readonly options: AnalyzeOptions,
    { updates = true }: { updates?: boolean } = {},
  ) {
    this.updates = updates;
    this.cwd = options.cwd ?? process.cwd();
    this.progress = options.onProgress ?? (() => {});
    this.projectFiles = (typeof options.project === "string" ? [options.project] : options.project).map((project) => resolveProjectFile(project, this.cwd));
    if (this.projectFiles.length === 0) throw new AuditError("usage", "no project to analyze; pass --project path/to/tsconfig.json");
    this.projectFile = this.projectFiles[0];
    this.policy = loadPolicy(options.config, this.projectFile, this.cwd);
    // Checked before the program loads: a mistyped rule id fails fast.
    this.severities = ruleSeverities(this.policy.json.lockAudit?.rules, this.policy.file, options.rules ?? []);
    this.root = resolve(this.cwd, options.root ?? dirname(this.projectFile));
    // Module targets (`path/to/module.ts#name`) are relative to lock-order.json's folder.
    this.configDir = this.policy.file.startsWith("<") ? this.root : dirname(this.policy.file);
    this.spans = new SourceSpans(this.root);
    for (const [path, text] of options.overlays ?? []) this.overlays.set(resolve(path), text);
  }

  /** Facts from the cache for the first update: files whose text has the stored hash are not extracted. */
  private restored: StoredFacts | undefined;
  /** The files the cache found changed since `restored` (absolute paths), when it says. */
  private restoredChanged: readonly string[] | undefined;

  /**
   * Uses stored facts (`--cache`) in the first update, for every file whose text still has their
   * hash. `changed`: the files whose content differs from the stored hashes (every other file of
   * the program unchanged); with it, the first update may build the program of those files and
   * what they import only.
   */
  restore(stored: StoredFacts, changed?: readonly string[]): void {
    this.restored = stored;
    this.restoredChanged = changed?.map((path) => resolve(path));
  }

  /**
   * The facts to store, with every file's declarations computed (a later run compares a changed
   * file's against them to know whether its importers are affected). Undefined before the first update.
   */
  store(): StoredFacts | undefined {
    const program = this.program;
    if (!program) return undefined;
    if (!this.updates) throw new Error("this analysis engine was made for one analysis (updates: false) and keeps nothing to store");
    const files: Record<string, StoredFile> = {};
    for (const [fileName, state] of this.files) {
      const sourceFile = program.getSourceFile(fileName);
      if (!sourceFile) {
        // Outside a partial run's program: unchanged since the cache had it.
        const kept = this.outsideProgram?.[fileName];
        if (kept) files[fileName] = kept;
        continue;
      }
      if (state.declarations === undefined && state.module && !state.facts.unparsable) {
        const text = declarationText(program, sourceFile);
        if (text !== undefined) state.declarations = text;
      }
      files[fileName] = {
        hash: hashText(sourceFile.text),
        facts: state.facts,
        imports: state.imports,
        missingNames: [...state.lookups.missingNames],
        hierarchyNames: [...state.lookups.hierarchyNames],
        ...(state.declarations === undefined ? {} : { declarations: state.declarations }),
        shape: state.shape,
        memberNames: [...state.memberNames],
        module: state.module,
        targetTypes: state.targetTypes,
        functionNames: [...(this.collected.get(sourceFile)?.functionNames ?? state.functionNames ?? [])],
      };
    }
    return { files, functionNames: [...this.functionNames], families: this.families, targets: this.targetFacts ?? { declarations: [], outside: [], createdByRuntime: [] } };
  }

  /** What the last update did (the language server logs it; tests check that updates stay small). */
  get info(): UpdateInfo {
    return this.lastInfo;
  }

  /** Unsaved text for a file (undefined: the file on disk again). Takes effect at the next update, as a change. */
  setOverlay(path: string, text: string | undefined): void {
    const absolute = resolve(path);
    if (text === undefined) this.overlays.delete(absolute);
    else this.overlays.set(absolute, text);
    this.pending.add(absolute);
  }

  /** Marks files as changed (on disk, or their overlay); the next update reads them again. */
  invalidate(paths: Iterable<string>): void {
    for (const path of paths) this.pending.add(resolve(path));
  }

  /**
   * Analyzes what changed since the last update (everything, the first time). After an update that
   * throws (a broken configuration, a target that names nothing), the next one starts over cold.
   */
  update(changed: Iterable<string> = []): AnalysisResult {
    if (!this.updates && this.program) throw new Error("this analysis engine was made for one analysis (updates: false)");
    try {
      return this.updateOnce(changed);
    } catch (error) {
      this.project = undefined;
      this.program = undefined;
      this.lastResult = undefined;
      throw error;
    }
  }

  private updateOnce(changed: Iterable<string>): AnalysisResult {
    const started = performance.now();
    this.invalidate(changed);
    const changedPaths = this.pending;
    this.pending = new Set();
    if (!this.project || !this.program) return this.cold(started);

    const project = this.project;
    const before = this.program;
    const edited: string[] = [];
    for (const path of changedPaths) {
      const current = before.getSourceFile(path);
      let text: string | undefined = this.overlays.get(path);
      if (text === undefined) {
        try {
          text = readFileSync(path, "utf8");
        } catch {
          text = undefined;
        }
      }
      if (!current) {
        // A new TypeScript file may join the program; other files it does not hold do not matter.
        if (text !== undefined && /\.[cm]?tsx?$/.test(path) && !/\.d\.[cm]?ts$/.test(path)) return this.cold(started);
        continue;
      }
      if (text === undefined) return this.cold(started); // deleted
      if (text === current.text) continue;
      if (!this.files.get(path)?.module || !ts.isExternalModule(current)) return this.cold(started);
      edited.push(path);
    }
    if (edited.length === 0) return this.unchanged(started);

    // Declarations before the edit, for the files whose importers may need them.
    for (const path of edited) this.declarationsOf(path, before);
    for (const path of edited) project.createSourceFile(path, this.overlays.get(path) ?? readFileSync(path, "utf8"), { overwrite: true });
    const program = project.getProgram().compilerObject;
    this.program = program;
    const sources = programSources(program, this.projectDirs);
    const known = new Set([...sources.sourceFiles, ...sources.unparsable.map((entry) => entry.sourceFile)].map((file) => file.fileName));
    if (known.size !== this.files.size || [...known].some((file) => !this.files.has(file))) return this.cold(started);
    for (const path of edited) {
      const sourceFile = program.getSourceFile(path)!;
      if (!ts.isExternalModule(sourceFile) || augments(sourceFile) || augments(before.getSourceFile(path)!)) return this.cold(started);
    }

    const { extract, after } = this.dependents(program, edited);
    const result = this.extractAndCheck(started, program, sources, extract, false);
    for (const [path, text] of after) {
      const state = this.files.get(path);
      if (state && text !== undefined) state.declarations = text;
    }
    return result;
  }

  /**
   * The types of the declared `Class.member` targets, as the lock resolver reads them: a member of
   * one of these types anywhere is a lock too, so when they change, every file's locks may.
   */
  private targetTypes(checker: ts.TypeChecker, sourceFile: ts.SourceFile): string {
    const classes = this.collected.get(sourceFile)?.classesByName ?? new Map<string, ts.ClassLikeDeclaration[]>();
    // A type without a symbol can match no declared-target check: it is kept only to notice a change.
    const keys = declaredTargetTypes(checker, this.policy, classes).map(({ lock, type, symbol }) => `${lock.id}:${symbol ? typeKeyOf(symbol) : `<type ${checker.typeToString(type)}>`}`);
    return keys.sort().join("\n");
  }

  /**
   * The function index of the program, from one collection per file: an unchanged file is the same
   * source file object in the rebuilt program, and its collection is reused.
   */
  private collect(sourceFiles: readonly ts.SourceFile[]): FunctionIndex {
    const index: FunctionIndex = { units: [], byDeclaration: new Map(), constructors: new Map(), classes: [], classesByName: new Map(), accessorNames: new Set(), functionNames: new Set(), functionShorthands: [], storedFunctions: [], localCallees: new Set() };
    for (const sourceFile of sourceFiles) {
      let own = this.collected.get(sourceFile);
      if (!own) {
        own = collectFunctions([sourceFile], (fileName) => this.spans.relativePath(fileName));
        this.collected.set(sourceFile, own);
      }
      index.units.push(...own.units);
      for (const [node, unit] of own.byDeclaration) index.byDeclaration.set(node, unit);
      for (const [node, unit] of own.constructors) index.constructors.set(node, unit);
      index.classes.push(...own.classes);
      for (const [name, list] of own.classesByName) index.classesByName.set(name, [...(index.classesByName.get(name) ?? []), ...list]);
      for (const name of own.accessorNames) index.accessorNames.add(name);
      for (const name of own.functionNames) index.functionNames.add(name);
      index.functionShorthands.push(...own.functionShorthands);
      index.storedFunctions.push(...own.storedFunctions);
      for (const name of own.localCallees) index.localCallees.add(name);
    }
    return index;
  }

  /** A file's declarations as importers see them, computed with `program` when not known yet. */
  private declarationsOf(path: string, program: ts.Program): void {
    const state = this.files.get(path);
    const sourceFile = program.getSourceFile(path);
    if (!state || !sourceFile || state.declarations !== undefined) return;
    const text = declarationText(program, sourceFile);
    if (text !== undefined) state.declarations = text;
  }

  /**
   * The files to extract again after `edited` changed (their states still the old ones): the edited
   * ones, everything that imports one whose declarations changed, transitively (a type reaches
   * importers of importers by name, so an importer's own declarations may read the same while what
   * they denote changed), and the files that asked the hierarchy about a member name whose classes
   * changed. `after`: the edited files' new declarations.
   */
  private dependents(program: ts.Program, edited: readonly string[]): { extract: Set<string>; after: Map<string, string | undefined> } {
    const extract = new Set(edited);
    const importers = new Map<string, string[]>();
    for (const [file, state] of this.files) {
      for (const imported of state.imports) {
        const list = importers.get(imported);
        if (list) list.push(file);
        else importers.set(imported, [file]);
      }
    }
    const after = new Map<string, string | undefined>();
    const frontier: string[] = [];
    for (const path of edited) {
      const old = this.files.get(path)!.declarations;
      const now = declarationText(program, program.getSourceFile(path)!);
      after.set(path, now);
      if (old === undefined || now === undefined || old !== now) frontier.push(path);
    }
    while (frontier.length > 0) {
      for (const importer of importers.get(frontier.pop()!) ?? []) {
        if (extract.has(importer)) continue;
        extract.add(importer);
        frontier.push(importer);
      }
    }
    const affectedMembers = new Set<string>();
    for (const path of edited) {
      const state = this.files.get(path)!;
      const shape = shapeOf(program.getSourceFile(path)!);
      if (shape.shape !== state.shape) for (const name of [...state.memberNames, ...shape.memberNames, "constructor"]) affectedMembers.add(name);
    }
    if (affectedMembers.size > 0) {
      for (const [file, state] of this.files) if ([...state.lookups.hierarchyNames].some((name) => affectedMembers.has(name))) extract.add(file);
    }
    return { extract, after };
  }

  private cold(started: number): AnalysisResult {
    const restored = this.restored;
    const changed = this.restoredChanged;
    this.restoredChanged = undefined;
    if (restored && changed) {
      const result = this.partial(started, restored, changed);
      if (result) return result;
    }
    this.reset();
    this.progress({ phase: "load", done: 0, total: 1 });
    const loaded = loadProject(this.projectFiles, this.overlays);
    this.progress({ phase: "load", done: 1, total: 1 });
    this.project = loaded.project;
    this.projectDirs = loaded.projectDirs;
    this.program = loaded.program;
    this.options.onProgramFiles?.(loaded.program.getSourceFiles().filter((file) => !loaded.program.isSourceFileDefaultLibrary(file)).map((file) => file.fileName));
    const sources = { sourceFiles: loaded.sourceFiles, unparsable: loaded.unparsable };
    const all = new Set([...loaded.sourceFiles, ...loaded.unparsable.map((entry) => entry.sourceFile)].map((file) => file.fileName));
    this.restored = undefined;
    if (restored) {
      const reused = this.restoreFiles(restored, loaded.program, all);
      if (reused) return this.extractAndCheck(started, loaded.program, sources, reused.extract, false, reused);
    }
    return this.extractAndCheck(started, loaded.program, sources, all, true);
  }

  private reset(): void {
    this.files = new Map();
    this.checks.clear();
    this.units = new Map();
    this.summaries = undefined;
    this.functionNames = new Set();
    this.outsideProgram = undefined;
  }

  /**
   * A `--cache` run after `changed` changed, over the program of those files and what they import
   * (the program follows their imports), the other files' facts from the cache. Undefined when that
   * cannot give a cold run's result, and the whole program is built instead: a changed file whose
   * declarations or classes changed (its importers and the files asking the hierarchy about its
   * members must be extracted again), that is new, a script or an augmentation, that does not
   * parse, or that may create locks by id; a call through a member that a file outside the smaller
   * program may implement; names or units that other files must be extracted again for. What the
   * checks need of the whole program comes from the cache: function names (per file), dispatch
   * families, where each declared target is declared (for the changed files, found in them again).
   */
  private partial(started: number, stored: StoredFacts, changed: readonly string[]): AnalysisResult | undefined {
    if (this.overlays.size > 0 || changed.length === 0 || !Array.isArray(stored.families) || !stored.targets) return undefined;
    for (const path of changed) {
      const entry = stored.files[path];
      if (!entry || !entry.module || entry.facts.unparsable || entry.declarations === undefined || !Array.isArray(entry.functionNames) || !existsSync(path)) return undefined;
    }
    // A target the runtime creates may be created in the changed text.
    if (stored.targets.createdByRuntime.length > 0) return undefined;

    this.reset();
    this.progress({ phase: "load", done: 0, total: 1 });
    const loaded = loadProject(this.projectFiles, this.overlays, changed);
    this.progress({ phase: "load", done: 1, total: 1 });
    const program = loaded.program;
    const inProgram = [...loaded.sourceFiles, ...loaded.unparsable.map((entry) => entry.sourceFile)];
    if (inProgram.some((sourceFile) => !stored.files[sourceFile.fileName])) return undefined;
    const after = new Map<string, string | undefined>();
    for (const path of changed) {
      const sourceFile = program.getSourceFile(path);
      const entry = stored.files[path];
      // Not one of the files analyzed (it does not parse), a script, an augmentation, a maker of locks by id.
      if (!sourceFile || !loaded.sourceFiles.includes(sourceFile) || !ts.isExternalModule(sourceFile) || augments(sourceFile) || mayCreateLocksById(sourceFile.text)) return undefined;
      const declarations = declarationText(program, sourceFile);
      if (declarations !== entry.declarations || shapeOf(sourceFile).shape !== entry.shape) return undefined;
      after.set(path, declarations);
    }

    this.project = loaded.project;
    this.projectDirs = loaded.projectDirs;
    this.program = program;
    this.options.onProgramFiles?.(program.getSourceFiles().filter((file) => !program.isSourceFileDefaultLibrary(file)).map((file) => file.fileName));
    const outside: Record<string, StoredFile> = {};
    for (const [fileName, entry] of Object.entries(stored.files)) {
      this.files.set(fileName, restoredState(entry));
      if (!program.getSourceFile(fileName)) outside[fileName] = entry;
    }
    this.outsideProgram = outside;
    const extract = new Set(changed);
    const linked = [...this.files].filter(([fileName]) => !extract.has(fileName)).map(([, state]) => state.facts);
    const run: PartialRun = { fileNames: Object.keys(stored.files).sort(), stored, changed: extract };
    try {
      return this.extractAndCheck(started, program, { sourceFiles: loaded.sourceFiles, unparsable: loaded.unparsable }, extract, false, { linked, after, functionNames: new Set(stored.functionNames) }, run);
    } catch (error) {
      if (!(error instanceof NeedsWholeProgram)) throw error;
      return undefined;
    }
  }

  /**
   * Takes the stored states of the files whose text has their hash, and works out what to extract
   * as `update` would after the other files changed; undefined when nothing stored can be used.
   */
  private restoreFiles(stored: StoredFacts, program: ts.Program, all: ReadonlySet<string>): { extract: Set<string>; linked: FileFacts[]; after: Map<string, string | undefined>; functionNames: Set<string> } | undefined {
    const edited: string[] = [];
    const fresh = new Set<string>();
    for (const fileName of all) {
      const entry = stored.files[fileName];
      const sourceFile = program.getSourceFile(fileName)!;
      if (!entry || !entry.module || !ts.isExternalModule(sourceFile)) {
        // A file new to the program, or a script: everything may depend on it.
        if (!entry) fresh.add(fileName);
        else return undefined;
        continue;
      }
      this.files.set(fileName, restoredState(entry));
      if (entry.hash !== hashText(sourceFile.text)) {
        // The stored facts cannot say what an augmentation changed elsewhere.
        if (augments(sourceFile)) {
          this.files = new Map();
          return undefined;
        }
        edited.push(fileName);
      }
    }
    if (fresh.size > 0 || Object.keys(stored.files).some((fileName) => !all.has(fileName))) {
      // Files came or went: imports may resolve elsewhere now; nothing stored is safe to reuse.
      this.files = new Map();
      return undefined;
    }
    const { extract, after } = this.dependents(program, edited);
    const linked = [...this.files].filter(([fileName]) => !extract.has(fileName)).map(([, state]) => state.facts);
    return { extract, linked, after, functionNames: new Set(stored.functionNames) };
  }

  private extractAndCheck(
    started: number,
    program: ts.Program,
    sources: { sourceFiles: ts.SourceFile[]; unparsable: UnparsableFile[] },
    extract: Set<string>,
    cold: boolean,
    restored?: { linked: FileFacts[]; after: Map<string, string | undefined>; functionNames: Set<string> },
    partial?: PartialRun,
  ): AnalysisResult {
    if (restored) this.functionNames = restored.functionNames;
    const checker = program.getTypeChecker();
    // One order for every run, whatever order the program lists its files in after edits.
    const sourceFiles = [...sources.sourceFiles].sort(byFileName);
    const collected = this.collect(sourceFiles);
    // A partial run's program holds some files: the others' names are the cache's.
    const rawNames = partial ? new Set(collected.functionNames) : collected.functionNames;
    const outsideProgram = partial ? partial.fileNames.filter((fileName) => !program.getSourceFile(fileName)) : [];
    for (const fileName of outsideProgram) for (const name of partial!.stored.files[fileName].functionNames) rawNames.add(name);
    const names = new RecordingNames(rawNames);
    const index: FunctionIndex = { ...collected, functionNames: names };

    let targets: CheckedTargets;
    if (partial) {
      // The changed files' classes and declarations are as before (see `partial`), so are the targets
      // they declare: the whole program's resolution holds, with where in the changed files they now are.
      const byId = (id: string): DeclaredLock => {
        const lock = this.policy.byId.get(id);
        if (!lock) throw new Error(`the cached targets name lock ${id}, which the lock order does not declare`);
        return lock;
      };
      const changedByPath = new Map([...partial.changed].map((fileName) => [this.spans.relativePath(fileName), program.getSourceFile(fileName)!]));
      const declarations = new Map<DeclaredLock, SourceSpan>();
      for (const [id, span] of partial.stored.targets.declarations) {
        const lock = byId(id);
        const sourceFile = changedByPath.get(span.file);
        if (!sourceFile) {
          declarations.set(lock, span);
          continue;
        }
        const target = lock.parsedTarget;
        const classes = target.kind === "member" ? (this.collected.get(sourceFile)?.classesByName.get(target.className) ?? []) : [];
        const moduleFile = target.kind === "module" && modulePathOf(sourceFile.fileName, this.configDir) === target.modulePath ? sourceFile : undefined;
        const declaration = targetDeclaration(lock, classes, moduleFile);
        if (!declaration) throw new NeedsWholeProgram();
        declarations.set(lock, this.spans.of(declaration));
      }
      targets = { outside: new Map(partial.stored.targets.outside.map(([id, where]) => [byId(id), where])), declarations };
      this.targetFacts = { ...partial.stored.targets, declarations: [...declarations].map(([lock, span]) => [lock.id, span] as const) };
    } else {
      const resolution = resolveTargets({
        policy: this.policy,
        configDir: this.configDir,
        projectDir: dirname(this.projectFile),
        program,
        sourceFiles,
        classesByName: index.classesByName,
        root: this.root,
      });
      // A target that names nothing makes every finding about its lock wrong: stop before reporting any.
      if (resolution.errors.length > 0) throw auditErrorOf("config", resolution.errors.map((error) => error.message));
      const declarations = new Map([...resolution.declarations].map(([lock, node]) => [lock, this.spans.of(node)]));
      targets = { outside: resolution.outside, declarations };
      if (this.updates) {
        this.targetFacts = {
          declarations: [...declarations].map(([lock, span]) => [lock.id, span] as const),
          outside: [...resolution.outside].map(([lock, where]) => [lock.id, where] as const),
          createdByRuntime: [...resolution.createdByRuntime].map((lock) => lock.id),
        };
      }
    }

    // The types of declared targets in the files about to be extracted (the others' cannot have changed).
    const targetTypes = new Map<string, string>();
    if (this.updates) for (const sourceFile of sourceFiles) if (extract.has(sourceFile.fileName)) targetTypes.set(sourceFile.fileName, this.targetTypes(checker, sourceFile));
    if (!cold && [...targetTypes].some(([file, types]) => this.files.get(file)?.targetTypes !== types)) {
      this.restored = undefined;
      return this.cold(started);
    }

    // Names new to the program may resolve calls that were settled as external before.
    if (!cold) {
      const added = [...rawNames].filter((name) => !this.functionNames.has(name));
      if (added.length > 0) {
        for (const [file, state] of this.files) if (added.some((name) => state.lookups.missingNames.has(name))) extract.add(file);
      }
    }
    this.functionNames = rawNames;

    const hierarchy = new RecordingHierarchy(checker, index);
    // The declared targets' types, from each file's keys (this update's for the files it extracts):
    // a fresh checker would otherwise be asked for every declared target's type again.
    const declaredTypeKeys = this.updates ? new Set<string>() : undefined;
    if (declaredTypeKeys) {
      for (const fileName of partial ? partial.fileNames : sourceFiles.map((sourceFile) => sourceFile.fileName)) {
        const lines = targetTypes.get(fileName) ?? this.files.get(fileName)?.targetTypes ?? "";
        for (const line of lines.split("\n")) {
          const key = line.slice(line.indexOf(":") + 1);
          if (line && !key.startsWith("<type ")) declaredTypeKeys.add(key);
        }
      }
    }
    const locks = new LockResolver(checker, this.policy, this.configDir, index.classesByName, declaredTypeKeys);
    const calls = new CallResolver(program, checker, index, hierarchy);
    const extractor = new FactExtractor(locks, calls, releaseMethodNames(this.policy));

    const unitsByFile = new Map<ts.SourceFile, FunctionUnit[]>();
    for (const unit of index.units) {
      const list = unitsByFile.get(unit.sourceFile);
      if (list) list.push(unit);
      else unitsByFile.set(unit.sourceFile, [unit]);
    }
    const ids = new Map<FunctionUnit, string>();
    for (const [sourceFile, units] of unitsByFile) {
      let fileIds = this.idsByFile.get(sourceFile);
      if (!fileIds) {
        fileIds = unitIdsOf(units, this.spans.relativePath(sourceFile.fileName));
        this.idsByFile.set(sourceFile, fileIds);
      }
      units.forEach((unit, i) => ids.set(unit, fileIds[i]));
    }
    const idOf = (unit: FunctionUnit): string => ids.get(unit)!;
    const context = { extractor, spans: this.spans, checker, idOf, unitOfNode: (node: unknown) => index.byDeclaration.get(node as ts.Node) };

    // Files naming a unit that is gone must be extracted again too.
    const liveIds = cold ? undefined : new Set(ids.values());
    if (liveIds && partial) for (const fileName of outsideProgram) for (const unit of partial.stored.files[fileName].facts.units) liveIds.add(unit.id);
    const gone = liveIds && (restored !== undefined || [...extract].some((file) => this.files.get(file)?.facts.units.some((unit) => !liveIds.has(unit.id))));
    if (liveIds && gone) {
      for (const [file, state] of this.files) {
        if (extract.has(file)) continue;
        for (const id of referencedIds(state.facts)) {
          if (!liveIds.has(id)) {
            extract.add(file);
            break;
          }
        }
      }
    }

    // The files added to the extraction since (names, units gone) have their targets' types read too:
    // unchanged in what they say (their text is), unless a changed file moved a type under them.
    if (this.updates) {
      for (const sourceFile of sourceFiles) {
        if (!extract.has(sourceFile.fileName) || targetTypes.has(sourceFile.fileName)) continue;
        const types = this.targetTypes(checker, sourceFile);
        targetTypes.set(sourceFile.fileName, types);
        if (!cold && this.files.get(sourceFile.fileName)?.targetTypes !== types) {
          this.restored = undefined;
          return this.cold(started);
        }
      }
    }
    if (partial) {
      // Files outside the smaller program to extract again, or a family member gone: the whole program decides.
      if ([...extract].some((file) => !program.getSourceFile(file))) throw new NeedsWholeProgram();
      if (partial.stored.families.some((family) => family.some((id) => !liveIds!.has(id)))) throw new NeedsWholeProgram();
    }

    const unparsableByName = new Map(sources.unparsable.map((entry) => [entry.sourceFile.fileName, entry]));
    const changedIds = new Set<string>();
    const extractedFiles: FileFacts[] = [];
    let done = 0;
    const total = extract.size;
    for (const sourceFile of [...sourceFiles, ...sources.unparsable.map((entry) => entry.sourceFile)]) {
      const fileName = sourceFile.fileName;
      if (!extract.has(fileName)) continue;
      done += 1;
      this.progress({ phase: "extract", done, total });
      const previous = this.files.get(fileName);
      const unparsable = unparsableByName.get(fileName);
      let facts: FileFacts;
      const lookups: Lookups = { missingNames: new Set(), hierarchyNames: new Set() };
      if (unparsable) {
        facts = recordUnparsable(sourceFile, unparsable.diagnostic, this.spans);
      } else {
        names.missing = lookups.missingNames;
        hierarchy.asked = lookups.hierarchyNames;
        try {
          facts = recordFile(sourceFile, unitsByFile.get(sourceFile) ?? [], context);
        } finally {
          names.missing = undefined;
          hierarchy.asked = undefined;
        }
      }
      const shape = this.updates ? shapeOf(sourceFile) : { shape: "", memberNames: new Set<string>() };
      const state: FileState = {
        facts,
        imports: this.updates ? importsOf(program, sourceFile) : [],
        lookups,
        shape: shape.shape,
        memberNames: shape.memberNames,
        module: ts.isExternalModule(sourceFile),
        targetTypes: targetTypes.get(fileName) ?? "",
      };
      this.files.set(fileName, state);
      extractedFiles.push(facts);
      // Which units changed: all of them when the file's sites moved, else those whose data differs.
      const sameSites = previous !== undefined && sameSiteTable(previous.facts, facts);
      const before = new Map(previous ? previous.facts.units.map((unit) => [unit.id, JSON.stringify(unit)]) : []);
      for (const unit of facts.units) {
        const existing = this.units.has(unit.id);
        if (!existing || !sameSites || before.get(unit.id) !== JSON.stringify(unit)) changedIds.add(unit.id);
      }
      if (previous) {
        const kept = new Set(facts.units.map((unit) => unit.id));
        for (const unit of previous.facts.units) {
          if (kept.has(unit.id)) continue;
          const gone = this.units.get(unit.id);
          if (gone) gone.live = false;
          this.units.delete(unit.id);
        }
      }
    }
    if (partial) {
      // A call through a member reaches every implementation in the program: one in a file outside the
      // smaller program (a member of that name there, or a class there extending or implementing
      // one of the program's) is not among what this program's hierarchy answered.
      const outside = outsideProgram.map((fileName) => this.files.get(fileName)!);
      const asked = new Set([...extract].flatMap((fileName) => [...this.files.get(fileName)!.lookups.hierarchyNames]));
      asked.delete("constructor"); // a constructor's class and its bases are imported, so in the program
      if (asked.size > 0 && outside.some((state) => hasHeritage(state.shape) || [...asked].some((name) => state.memberNames.has(name)))) throw new NeedsWholeProgram();
    }
    // Link after every file is recorded, so calls between re-extracted files find each other.
    const pendingLinks = [...(restored?.linked.filter((facts) => !extract.has(facts.fileName)) ?? []), ...extractedFiles].map((facts) => linkFile(facts, this.policy, this.units, (id) => this.units.get(id)));
    for (const link of pendingLinks) link();
    const changedUnits = new Set([...changedIds].map((id) => this.units.get(id)!));

    // Units in program order: files by name, units as collected.
    const units: FactUnit[] = [];
    const fileList: FileFacts[] = [];
    const programOrder = partial ? partial.fileNames : [...sourceFiles, ...sources.unparsable.map((entry) => entry.sourceFile)].sort(byFileName).map((sourceFile) => sourceFile.fileName);
    for (const fileName of programOrder) {
      const state = this.files.get(fileName)!;
      fileList.push(state.facts);
      for (const unit of state.facts.units) units.push(this.units.get(unit.id)!);
    }

    const summaries = computeSummaries<FactUnit, Site>(units, (doneUnits, totalUnits) => this.progress({ phase: "summarize", done: doneUnits, total: totalUnits }), this.summaries && !cold ? { previous: this.summaries, changed: changedUnits } : undefined);
    this.summaries = summaries;
    if (restored) for (const [path, text] of restored.after) if (text !== undefined && this.files.has(path)) this.files.get(path)!.declarations = text;

    // A partial run changed no class or interface (see `partial`): the whole program's families hold.
    const familyIds = partial ? partial.stored.families.map((family) => [...family]) : hierarchy.dispatchFamilies().map((family) => family.map(idOf));
    if (this.updates) this.families = familyIds;
    const families = familyIds.map((family) => family.map((id) => this.units.get(id)!).filter((unit) => unit !== undefined));
    // A unit's checks rest on its facts and on summaries: those of the units re-linked with other
    // data or recomputed are dirty (see analyzer/check-cache.ts).
    const dirty = cold ? undefined : new Set([...changedUnits, ...summaries.recomputed]);
    const unparsableFiles = partial ? fileList.filter((facts) => facts.unparsable).length : sources.unparsable.length;
    const result = this.check(started, fileList, units, summaries, families, targets, unparsableFiles, dirty);
    this.lastInfo = { extracted: extract.size, recomputed: summaries.recomputed.size, rechecked: this.checks.rechecked, cold, ...(partial ? { partial: true } : {}) };
    return result;
  }

  /** Nothing changed: the last result again (a cold run when there is none, after a failed update). */
  private unchanged(started: number): AnalysisResult {
    const last = this.lastResult;
    if (!last) return this.cold(started);
    this.lastInfo = { extracted: 0, recomputed: 0, rechecked: 0, cold: false };
    return { ...last, stats: { ...last.stats, durationMs: Math.round(performance.now() - started) } };
  }

  private lastResult: AnalysisResult | undefined;

  private check(
    started: number,
    files: readonly FileFacts[],
    units: readonly FactUnit[],
    summaries: FactSummaries,
    families: readonly (readonly FactUnit[])[],
    targets: CheckedTargets,
    unparsableFiles: number,
    dirty: ReadonlySet<FactUnit> | undefined,
  ): AnalysisResult {
    this.progress({ phase: "check", done: 0, total: 1 });
    const { chains, reported, suffix, inventory, edgesOf } = this.checks.run(units, families, summaries, this.policy, dirty);
    const lockGraph = buildLockGraph(this.policy, units, chains, reported, inventory, edgesOf);
    const drafts = [
      ...reported,
      ...suffix,
      ...lockGraph.findings,
      ...unusedLockFindings(
        this.policy,
        targets,
        new Set([...inventory.values()].flatMap((entry) => (entry.lock.declared ? [entry.lock.declared.id] : []))),
        this.root,
      ),
      ...unanalyzableFindings(files, units),
    ];
    const suppressions = files.flatMap((file) => file.suppressions.map((suppression) => ({ location: suppression.location, rules: [...suppression.rules], reason: suppression.reason, used: false })));
    const findings = finalizeFindings(applySuppressions(applySeverities(drafts, this.severities), suppressions));
    this.progress({ phase: "check", done: 1, total: 1 });
    const sum = (pick: (facts: FileFacts) => number) => files.reduce((total, facts) => total + pick(facts), 0);
    const result: AnalysisResult = {
      findings,
      graph: lockGraph.graph,
      stats: {
        files: files.length - unparsableFiles,
        functions: units.filter((unit) => unit.kind !== "module").length,
        lockSites: sum((facts) => facts.lockSites),
        calls: sum((facts) => facts.calls.calls),
        resolvedCalls: sum((facts) => facts.calls.resolved),
        externalCalls: sum((facts) => facts.calls.external),
        unresolvedCalls: sum((facts) => facts.calls.unresolved),
        unanalyzableFiles: unparsableFiles,
        unanalyzableFunctions: units.filter((unit) => unit.unanalyzable !== undefined).length,
        suppressedFindings: findings.filter((finding) => finding.suppressed).length,
        baselinedFindings: 0,
        durationMs: Math.round(performance.now() - started),
      },
      root: this.root,
      projectFile: this.projectFile,
      projectFiles: this.projectFiles,
      configFile: this.policy.file === DISCOVERY_POLICY_FILE ? null : this.policy.file,
      outsideTargets: [...targets.outside].map(([lock, declaredIn]) => ({ id: lock.id, target: lock.target, declaredIn })),
    };
    this.lastResult = result;
    return result;
  }
}

function restoredState(entry: StoredFile): FileState {
  return {
    facts: entry.facts,
    imports: [...entry.imports],
    lookups: { missingNames: new Set(entry.missingNames), hierarchyNames: new Set(entry.hierarchyNames) },
    ...(entry.declarations === undefined ? {} : { declarations: entry.declarations }),
    shape: entry.shape,
    memberNames: new Set(entry.memberNames),
    module: entry.module,
    targetTypes: entry.targetTypes,
    ...(Array.isArray(entry.functionNames) ? { functionNames: entry.functionNames } : {}),
  };
}

/** Whether a file's classes and interfaces (`shapeOf`) extend or implement anything. */
function hasHeritage(shape: string): boolean {
  return shape.split("\n").some((line) => {
    const parts = line.split("|");
    return parts.length >= 3 && !parts[0].endsWith("=") && parts[1] !== "";
  });
}

function sameSiteTable(a: FileFacts, b: FileFacts): boolean {
  if (a.sites.length !== b.sites.length) return false;
  for (let i = 0; i < a.sites.length; i += 1) if (a.sites[i] !== b.sites[i]) return false;
  return JSON.stringify(a.texts) === JSON.stringify(b.texts) && JSON.stringify(a.thisRooted) === JSON.stringify(b.thisRooted);
}
