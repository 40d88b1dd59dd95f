/**
 * The ESLint side of the lowering. core/lowering.ts lowers each unit of the file from the TypeScript
 * AST that typescript-eslint parsed (its parser services map ESTree and TS nodes both ways, with or
 * without type information); this host answers what names denote with the ESLint tools: which lock
 * a receiver is (resolve-lock.ts: the scope manager, annotations, the checker when typed) and what a
 * callee takes (its suffix). Steps carry TS nodes; `toESTree` maps a finding's nodes back for reporting.
 *
 * Under a parser without TS nodes (espree on `.js`), the file's text is parsed with the `typescript`
 * peer when it is installed, and TS nodes are matched to ESTree nodes by source range and kind; without
 * `typescript`, the lock rules stay silent and warn once.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import type * as TS from "typescript";
import type { FlowFinding, FlowResult, HeldLock, LockRef, Step } from "../../core/flow.js";
import { collectUnits, isFatalLoweringError, lowerUnit, skipOuterExpressions, type LockAction, type LoweredNode, type LoweringHost, type ResolvedCall, type TypeScript } from "../../core/lowering.js";
import { libraryOfCreation, libraryOfTypeName, type LockLibrary } from "../../core/recognition.js";
import { wrapperClassOf, type WrapperClass, type WrapperHost } from "../../core/wrappers.js";
import { classifyMethod, memberNameOf, perPolicy, releaseMethodNames, type DeclaredLock, type Policy } from "../../core/policy.js";
import { suffixOf } from "../../core/suffix.js";
import { functionNameOf, type FunctionName } from "./function-names.js";
import { isFunctionNode, lockMethodNamesOf, lockRefOf, memberName, resolveLockIn, typescriptOfParser, unwrapExpression, type LockEnv } from "./resolve-lock.js";

/** A called function as the rules see it: its name, from which its suffix is read. */
export interface CalleeRef {
  /** The name as written (`add_rsw`, `#flush_sm`), or undefined when the callee has none (computed, a call's result, an IIFE). */
  readonly name: string | undefined;
  /**
   * An unsuffixed function imported from another module (`helper()`, `ns.helper()`), or one given a
   * lock (`withLock(this.#mutex, cb)`): the file cannot tell what it takes, so it cannot prove a
   * suffix token of the caller extra.
   */
  readonly unseen?: boolean;
  /** The consumer of a generator, which its `yield` invokes (core/flow.ts `CONSUMER_ARGUMENT`). */
  readonly consumer?: true;
  /**
   * A suffixed callee given a literal `true` flag (`this.verify_sa({ skipLock: true })`): it may not
   * take its locks then. lock-audit reads the callee's branch on the flag (conditional locking); the
   * rules, which see only the suffix, take nothing from it at this call and prove no suffix token of
   * the caller extra, so they never report what lock-audit shows is clean.
   */
  readonly switchable?: boolean;
}

export type LockStep = Step<TS.Node, CalleeRef>;

/** The ESTree node of a unit: a function, a static block, a field (its initializer), or the module's top level. */
export type ExtractedRoot = TSESTree.Node;

export interface ExtractedFunction {
  readonly node: ExtractedRoot;
  /** Named functions only: their suffix must match what they take. */
  readonly name: FunctionName | undefined;
  readonly steps: readonly LockStep[];
}

export interface FileExtraction {
  readonly functions: readonly ExtractedFunction[];
  /** Units whose lowering threw (production only; the test suite rethrows): left out, silently. */
  readonly failures: readonly { readonly node: TSESTree.Node; readonly error: unknown }[];
  /** ESTree ↔ TS node maps of the file. */
  readonly maps: NodeMaps;
}

export interface NodeMaps {
  readonly esTreeNodeToTSNodeMap: { get(node: TSESTree.Node): TS.Node | undefined };
  readonly tsNodeToESTreeNodeMap: { get(node: TS.Node): TSESTree.Node | undefined };
}

export interface ExtractOptions {
  /** Code whose text range this rejects is left out, units nested in it included (the module's top level is always lowered). */
  readonly relevant?: (start: number, end: number) => boolean;
}

const NO_UNIT: CalleeRef = Object.freeze({ name: undefined });

let warnedNoTypescript = false;

function parserNodeMaps(sourceCode: Readonly<TSESLint.SourceCode>): NodeMaps | undefined {
  const services = sourceCode.parserServices as Partial<NodeMaps> | undefined;
  if (!services?.esTreeNodeToTSNodeMap || !services.tsNodeToESTreeNodeMap) return undefined;
  return services as NodeMaps;
}

/** ESTree node types a TS node of some kinds may stand for, where a range is shared (`a?.b()`: ChainExpression and CallExpression). */
function esTreeTypesOf(ts: TypeScript, kind: TS.SyntaxKind): readonly string[] | undefined {
  switch (kind) {
    case ts.SyntaxKind.CallExpression:
      return [AST_NODE_TYPES.CallExpression];
    case ts.SyntaxKind.NewExpression:
      return [AST_NODE_TYPES.NewExpression];
    case ts.SyntaxKind.PropertyAccessExpression:
    case ts.SyntaxKind.ElementAccessExpression:
      return [AST_NODE_TYPES.MemberExpression];
    case ts.SyntaxKind.Identifier:
      return [AST_NODE_TYPES.Identifier];
    case ts.SyntaxKind.ThisKeyword:
      return [AST_NODE_TYPES.ThisExpression];
    case ts.SyntaxKind.FunctionDeclaration:
      return [AST_NODE_TYPES.FunctionDeclaration];
    case ts.SyntaxKind.FunctionExpression:
      return [AST_NODE_TYPES.FunctionExpression];
    case ts.SyntaxKind.ArrowFunction:
      return [AST_NODE_TYPES.ArrowFunctionExpression];
    case ts.SyntaxKind.MethodDeclaration:
    case ts.SyntaxKind.GetAccessor:
    case ts.SyntaxKind.SetAccessor:
    case ts.SyntaxKind.Constructor:
      return [AST_NODE_TYPES.MethodDefinition, AST_NODE_TYPES.Property];
    case ts.SyntaxKind.ClassStaticBlockDeclaration:
      return [AST_NODE_TYPES.StaticBlock];
    case ts.SyntaxKind.PropertyDeclaration:
      return [AST_NODE_TYPES.PropertyDefinition];
    default:
      return undefined;
  }
}

/**
 * The file parsed again with `typescript`, and its nodes matched to the ESTree nodes of the same
 * source range (and, where several share one, of the matching type).
 */
function reparsedNodeMaps(ts: typeof TS, sourceCode: Readonly<TSESLint.SourceCode>, filename: string | undefined): { maps: NodeMaps; sourceFile: TS.SourceFile } {
  const isJsx = filename !== undefined && /\.[cm]?jsx$/.test(filename);
  const sourceFile = ts.createSourceFile(filename ?? "file.js", sourceCode.text, ts.ScriptTarget.Latest, true, isJsx ? ts.ScriptKind.JSX : ts.ScriptKind.JS);
  const byRange = new Map<string, TSESTree.Node[]>();
  // `export function f() {}`: the TS declaration starts at `export`, the ESTree one after it; both end together.
  const byEnd = new Map<number, TSESTree.Node[]>();
  const stack: TSESTree.Node[] = [sourceCode.ast];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const key = `${node.range[0]}:${node.range[1]}`;
    const list = byRange.get(key);
    if (list) list.push(node);
    else byRange.set(key, [node]);
    const ending = byEnd.get(node.range[1]);
    if (ending) ending.push(node);
    else byEnd.set(node.range[1], [node]);
    for (const childKey of sourceCode.visitorKeys[node.type] ?? []) {
      const child = (node as unknown as Record<string, unknown>)[childKey];
      if (Array.isArray(child)) {
        for (const item of child) if (item && typeof (item as TSESTree.Node).type === "string") stack.push(item as TSESTree.Node);
      } else if (child && typeof (child as TSESTree.Node).type === "string") {
        stack.push(child as TSESTree.Node);
      }
    }
  }
  const matched = new WeakMap<TS.Node, TSESTree.Node | null>();
  const toEsTree = (node: TS.Node): TSESTree.Node | undefined => {
    if (node === sourceFile) return sourceCode.ast;
    const cached = matched.get(node);
    if (cached !== undefined) return cached ?? undefined;
    const start = node.getStart(sourceFile);
    const candidates = byRange.get(`${start}:${node.end}`);
    const types = esTreeTypesOf(ts, node.kind);
    let found = candidates && (types ? candidates.find((candidate) => types.includes(candidate.type)) : candidates[0]);
    if (!found && types && ts.canHaveModifiers(node) && ts.getModifiers(node)?.length) {
      let best: TSESTree.Node | undefined;
      for (const candidate of byEnd.get(node.end) ?? []) {
        if (types.includes(candidate.type) && candidate.range[0] > start && (!best || candidate.range[0] < best.range[0])) best = candidate;
      }
      found = best;
    }
    matched.set(node, found ?? null);
    return found;
  };
  const maps: NodeMaps = {
    esTreeNodeToTSNodeMap: { get: (node) => (node === sourceCode.ast ? sourceFile : undefined) },
    tsNodeToESTreeNodeMap: { get: toEsTree },
  };
  return { maps, sourceFile };
}

/**
 * Every unit of the file with its steps, or undefined when the parser gave no TypeScript nodes (see
 * the module comment). A unit whose lowering throws is recorded in `failures` (rethrown in strict mode).
 */
export function extractFile(env: LockEnv, options: ExtractOptions = {}): FileExtraction | undefined {
  const ts = typescriptOfParser();
  if (!ts) {
    if (!warnedNoTypescript) {
      warnedNoTypescript = true;
      process.emitWarning("lock-discipline: the lock rules need the typescript package to read the code; install it (files are not checked without it).");
    }
    return undefined;
  }
  let maps = parserNodeMaps(env.sourceCode);
  let sourceFile = maps?.esTreeNodeToTSNodeMap.get(env.sourceCode.ast) as TS.SourceFile | undefined;
  if (!maps || !sourceFile) ({ maps, sourceFile } = reparsedNodeMaps(ts, env.sourceCode, env.filename));
  const units = collectUnits(ts, sourceFile, options.relevant);
  const host = new EslintLoweringHost(ts, env, maps, generatorNames(ts, units), sourceFile);
  const functions: ExtractedFunction[] = [];
  const failures: { node: TSESTree.Node; error: unknown }[] = [];
  for (const unit of units) {
    const root = esTreeRootOf(unit, maps);
    if (!root) continue;
    try {
      const { steps } = lowerUnit(unit, host, unit);
      functions.push({ node: root, name: isFunctionNode(root) || root.type === AST_NODE_TYPES.FunctionDeclaration ? functionNameOf(root) : undefined, steps });
    } catch (error) {
      if (isFatalLoweringError(error)) throw error;
      failures.push({ node: root, error });
    }
  }
  return { functions, failures, maps };
}

/** The ESTree node standing for a unit: a method's function expression, an arrow, a declaration, a static block, a field, the program. */
function esTreeRootOf(unit: LoweredNode, maps: NodeMaps): TSESTree.Node | undefined {
  const node = maps.tsNodeToESTreeNodeMap.get(unit);
  if (!node) return undefined;
  // A TS method, accessor or constructor maps to the MethodDefinition (or object Property) around its function.
  if ((node.type === AST_NODE_TYPES.MethodDefinition || node.type === AST_NODE_TYPES.Property || node.type === AST_NODE_TYPES.TSAbstractMethodDefinition) && node.value && isFunctionNode(node.value)) {
    return node.value;
  }
  return node;
}

/** A function whose `yield` invokes its consumer: a generator function, method or function expression. */
export function isGeneratorNode(ts: TypeScript, node: TS.Node): node is TS.FunctionDeclaration | TS.MethodDeclaration | TS.FunctionExpression {
  return (node.kind === ts.SyntaxKind.FunctionDeclaration || node.kind === ts.SyntaxKind.MethodDeclaration || node.kind === ts.SyntaxKind.FunctionExpression) && (node as TS.FunctionLikeDeclarationBase).asteriskToken !== undefined;
}

/** The names of the file's generator functions and methods (`async *getMany_bsr`): a loop over a call of one runs as its consumer. */
function generatorNames(ts: TypeScript, units: readonly LoweredNode[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const unit of units) {
    const name = isGeneratorNode(ts, unit) ? unit.name : undefined;
    if (name && (name.kind === ts.SyntaxKind.Identifier || name.kind === ts.SyntaxKind.PrivateIdentifier)) names.add((name as TS.Identifier | TS.PrivateIdentifier).text);
  }
  return names;
}

/** What a generator's `yield` calls: its consumer. */
export const CONSUMER: CalleeRef = Object.freeze({ name: undefined, consumer: true });

class EslintLoweringHost implements LoweringHost<CalleeRef, LoweredNode> {
  readonly unknownCallee = NO_UNIT;
  readonly lockMethodNames: ReadonlySet<string>;
  readonly releaseNames: ReadonlySet<string>;
  private readonly suffixTokens = new Map<string, boolean>();
  private imports: ImportedNames | undefined;
  private targetNames: ReadonlySet<string> | undefined;

  constructor(
    readonly ts: TypeScript,
    private readonly env: LockEnv,
    private readonly maps: NodeMaps,
    private readonly generators: ReadonlySet<string>,
    private readonly sourceFile: TS.SourceFile,
  ) {
    this.lockMethodNames = lockMethodNamesOf(env.policy);
    this.releaseNames = releaseMethodNames(env.policy);
  }

  /** A generator of this file: its `yield` invokes the consumer (the analysis records what it holds there). */
  consumerCallee(unit: LoweredNode): CalleeRef | undefined {
    return this.generators.size > 0 && isGeneratorNode(this.ts, unit) ? CONSUMER : undefined;
  }

  /** A call of a generator this file declares, by name: a loop over it runs as its consumer. */
  runsConsumer(callee: CalleeRef): boolean {
    return callee.name !== undefined && this.generators.has(callee.name);
  }

  private esTree(node: TS.Node): TSESTree.Node | undefined {
    return this.maps.tsNodeToESTreeNodeMap.get(node);
  }

  resolveLock(receiver: TS.Expression): LockRef | undefined {
    const node = this.esTree(receiver);
    const resolved = node && resolveLockIn(this.env, node);
    if (!resolved) return undefined;
    const lock = this.withWrapperShapes(resolved.lock);
    return resolved.lookupKey === undefined ? lock : { ...lock, lookupKey: resolved.lookupKey };
  }

  private readonly wrappers = new Map<DeclaredLock, LockRef>();

  /** A declared `Class.member` whose member holds a wrapper class of this file: its methods are called as the wrapper defines them. */
  private withWrapperShapes(declared: DeclaredLock): LockRef {
    let lock = this.wrappers.get(declared);
    if (!lock) {
      const target = declared.parsedTarget;
      const member = target.kind === "member" ? this.classMember(target.className, memberNameOf(target)) : undefined;
      const wrapperClass = member && this.classNamed(this.typeNameOf(member));
      const wrapper = wrapperClass && this.wrapperHost().wrapperOf(wrapperClass);
      lock = wrapper ? { ...lockRefOf(declared), methodShapes: wrapper.methodShapes } : lockRefOf(declared);
      this.wrappers.set(declared, lock);
    }
    return lock;
  }

  private classes: Map<string, TS.ClassLikeDeclaration> | undefined;

  /** A class this file declares, by name. */
  private classNamed(name: string | undefined): TS.ClassLikeDeclaration | undefined {
    if (name === undefined) return undefined;
    if (!this.classes) {
      this.classes = new Map();
      for (const statement of this.sourceFile.statements) {
        if (statement.kind === this.ts.SyntaxKind.ClassDeclaration && (statement as TS.ClassDeclaration).name) this.classes.set((statement as TS.ClassDeclaration).name!.text, statement as TS.ClassDeclaration);
      }
    }
    return this.classes.get(name);
  }

  /** The field (or constructor parameter property) `name` of the class `className` of this file. */
  private classMember(className: string, name: string): TS.PropertyDeclaration | TS.ParameterDeclaration | undefined {
    const ts = this.ts;
    for (const member of this.classNamed(className)?.members ?? []) {
      if (ts.isPropertyDeclaration(member) && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)) && member.name.text === name) return member;
      if (member.kind !== ts.SyntaxKind.Constructor) continue;
      for (const parameter of (member as TS.ConstructorDeclaration).parameters) {
        if ((parameter as { modifiers?: unknown[] }).modifiers?.length && ts.isIdentifier(parameter.name) && parameter.name.text === name) return parameter;
      }
    }
    return undefined;
  }

  /** The class name a field is declared or created with: `lock: InstrumentedLock`, `lock = new InstrumentedLock()`. */
  private typeNameOf(member: TS.PropertyDeclaration | TS.ParameterDeclaration): string | undefined {
    const ts = this.ts;
    const type = member.type;
    if (type && type.kind === ts.SyntaxKind.TypeReference && ts.isIdentifier((type as TS.TypeReferenceNode).typeName)) return ((type as TS.TypeReferenceNode).typeName as TS.Identifier).text;
    const created = member.initializer && skipOuterExpressions(ts, member.initializer);
    return created && ts.isNewExpression(created) && ts.isIdentifier(created.expression) ? created.expression.text : undefined;
  }

  private wrapperHostOnce: (WrapperHost & { wrapperOf(declaration: TS.ClassLikeDeclaration): WrapperClass | undefined }) | undefined;

  /**
   * How core/wrappers.ts reads a class of this file: its own lock is a member whose declared or
   * created type the recognition table knows (`lock: AsyncLock`, `new Mutex()` of async-mutex), a
   * parameter is a function when annotated with a function type, and names are matched as written.
   */
  private wrapperHost(): WrapperHost & { wrapperOf(declaration: TS.ClassLikeDeclaration): WrapperClass | undefined } {
    if (this.wrapperHostOnce) return this.wrapperHostOnce;
    const ts = this.ts;
    const cache = new Map<TS.ClassLikeDeclaration, WrapperClass | null>();
    const host = {
      ts,
      lockMethodNames: this.lockMethodNames,
      innerLock: (receiver: TS.PropertyAccessExpression): LockRef | undefined => {
        let owner: TS.Node | undefined = receiver.parent;
        while (owner && owner.kind !== ts.SyntaxKind.ClassDeclaration && owner.kind !== ts.SyntaxKind.ClassExpression) owner = owner.parent;
        const className = owner && (owner as TS.ClassLikeDeclaration).name?.text;
        const member = className === undefined ? undefined : this.classMember(className, receiver.name.text);
        const declared = className === undefined ? undefined : this.env.policy.byTarget.get(`${className}.${receiver.name.text}`);
        if (declared) return lockRefOf(declared);
        const library = member && this.libraryOfMember(member);
        return library ? { key: `${className}.${receiver.name.text}`, ...(library.kind === undefined ? {} : { kind: library.kind }) } : undefined;
      },
      classify: (lock: LockRef, method: string): LockAction | undefined => classifyMethod(lock.declared ?? { kind: "rwlock", methods: this.env.policy.methods }, method),
      isFunctionParameter: (parameter: TS.ParameterDeclaration): boolean => parameter.type?.kind === ts.SyntaxKind.FunctionType,
      namesParameter: (identifier: TS.Identifier, parameter: TS.ParameterDeclaration): boolean => ts.isIdentifier(parameter.name) && identifier.text === parameter.name.text,
      wrapperOf: (declaration: TS.ClassLikeDeclaration): WrapperClass | undefined => {
        const known = cache.get(declaration);
        if (known !== undefined) return known ?? undefined;
        cache.set(declaration, null);
        const wrapper = wrapperClassOf(declaration, host);
        cache.set(declaration, wrapper ?? null);
        return wrapper;
      },
    };
    this.wrapperHostOnce = host;
    return host;
  }

  /** The library of a member's declared type or `new` expression, by the recognition table (the type name, or the constructor a module of the table exports). */
  private libraryOfMember(member: TS.PropertyDeclaration | TS.ParameterDeclaration): LockLibrary | undefined {
    const name = this.typeNameOf(member);
    if (name === undefined) return undefined;
    const imported = this.importedFrom(name);
    return libraryOfTypeName(imported?.exportName === "default" || !imported ? name : imported.exportName) ?? (imported ? libraryOfCreation(imported.module, imported.exportName, "new") : undefined);
  }

  /** The module and export a local name is imported by, or undefined. */
  private importedFrom(local: string): { module: string; exportName: string } | undefined {
    const ts = this.ts;
    for (const statement of this.sourceFile.statements) {
      if (statement.kind !== ts.SyntaxKind.ImportDeclaration) continue;
      const declaration = statement as TS.ImportDeclaration;
      const module = ts.isStringLiteral(declaration.moduleSpecifier) ? declaration.moduleSpecifier.text : undefined;
      const clause = declaration.importClause;
      if (module === undefined || !clause) continue;
      if (clause.name?.text === local) return { module, exportName: "default" };
      const bindings = clause.namedBindings;
      if (bindings && bindings.kind === ts.SyntaxKind.NamedImports) {
        for (const element of (bindings as TS.NamedImports).elements) if (element.name.text === local) return { module, exportName: (element.propertyName ?? element.name).text };
      }
    }
    return undefined;
  }

  /** Only declared named locks: the rules check declared locks. */
  resolveNamedLock(target: string): LockRef | undefined {
    const lock = this.env.policy.byTarget.get(target);
    return lock ? lockRefOf(lock) : undefined;
  }

  classify(lock: LockRef, method: string): LockAction | undefined {
    return lock.declared ? classifyMethod(lock.declared, method) : undefined;
  }

  resolveCall(call: TS.CallExpression | TS.NewExpression): ResolvedCall<CalleeRef> {
    const mapped = this.esTree(call);
    // `this.nursery?.forget_sn(id)`: the TS call of an optional chain maps to the ChainExpression around it.
    const node = mapped?.type === AST_NODE_TYPES.ChainExpression ? mapped.expression : mapped;
    if (!node || (node.type !== AST_NODE_TYPES.CallExpression && node.type !== AST_NODE_TYPES.NewExpression)) return { callee: NO_UNIT, argumentShift: 0 };
    const callee = calleeRefOf(node.callee);
    if (callee.name !== undefined && !this.hasSuffix(callee.name) && (this.isImported(node.callee) || this.passesLock(node))) return { callee: { ...callee, unseen: true }, argumentShift: 0 };
    if (callee.name !== undefined && this.hasSuffix(callee.name) && (node.arguments ?? []).some((argument) => passesTrueFlag(argument, 0))) {
      return { callee: { ...callee, unseen: true, switchable: true }, argumentShift: 0 };
    }
    return { callee, argumentShift: 0 };
  }

  /**
   * `withLock(this.#mutex, cb)`: an unsuffixed function given a lock may take it, and which one is a
   * matter of the call, not of the callee's name; the rules cannot follow it, so such a call proves
   * no suffix token of the caller extra (lock-audit substitutes the argument in the callee's summary).
   */
  private passesLock(node: TSESTree.CallExpression | TSESTree.NewExpression): boolean {
    // Only an argument named like a declared target can be one (checked first: resolving may ask the checker).
    const names = (this.targetNames ??= targetNamesOf(this.env.policy));
    return (node.arguments ?? []).some((argument) => {
      const name = argument.type === AST_NODE_TYPES.Identifier ? argument.name : argument.type === AST_NODE_TYPES.MemberExpression ? memberName(argument) : undefined;
      return name !== undefined && names.has(name) && resolveLockIn(this.env, argument) !== undefined;
    });
  }

  /**
   * `helper` bound by an import, or `ns.helper` on a namespace import, by the names the file's
   * imports bind (a local that shadows one only makes an extra token go unreported).
   */
  private isImported(calleeExpression: TSESTree.Node): boolean {
    const callee = unwrapExpression(calleeExpression);
    const imports = (this.imports ??= importedNames(this.env.sourceCode.ast));
    if (callee.type === AST_NODE_TYPES.Identifier) return imports.functions.has(callee.name);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return false;
    const object = unwrapExpression(callee.object);
    return object.type === AST_NODE_TYPES.Identifier && imports.namespaces.has(object.name);
  }

  /** Only functions whose name carries a suffix: a reference to any other function takes nothing the rules can see. */
  resolveReference(expression: TS.Expression): CalleeRef | undefined {
    const node = this.esTree(expression);
    const target = node && referenceTarget(node);
    if (!target) return undefined;
    const name = target.type === AST_NODE_TYPES.Identifier ? target.name : memberName(target);
    return name !== undefined && this.hasSuffix(name) ? { name } : undefined;
  }

  /** Reading a suffixed getter declared in this file runs it (`this.value_sa`). */
  resolveAccessor(access: TS.PropertyAccessExpression, kind: "get" | "set"): CalleeRef | undefined {
    if (kind !== "get") return undefined;
    const getters = this.env.suffixedGetterNames;
    if (getters.size === 0) return undefined;
    // A private name's text keeps its `#`, as the getter names do.
    const name = access.name.text;
    return getters.has(name) ? { name } : undefined;
  }

  guardOwned(call: TS.CallExpression): boolean {
    const node = this.esTree(call);
    if (node?.type !== AST_NODE_TYPES.CallExpression) return true;
    const binding = boundHandleOf(node);
    return binding === undefined || !handleEscapes(binding, this.env);
  }

  private hasSuffix(name: string): boolean {
    if (!name.includes("_")) return false;
    let has = this.suffixTokens.get(name);
    if (has === undefined) {
      has = suffixOf(name, this.env.policy).tokens.length > 0;
      this.suffixTokens.set(name, has);
    }
    return has;
  }
}

interface ImportedNames {
  /** Local names of named and default imports. */
  readonly functions: ReadonlySet<string>;
  /** Local names of namespace imports (`import * as ns`). */
  readonly namespaces: ReadonlySet<string>;
}

/** The names a declared lock is reached by: its member (`#member` for a private one) or module variable. */
const targetNamesOf = perPolicy((policy): ReadonlySet<string> => {
  const names = new Set<string>();
  for (const lock of policy.locks) {
    const target = lock.parsedTarget;
    if (target.kind === "member") names.add(memberNameOf(target));
    else if (target.kind === "module") names.add(target.exportName);
  }
  return names;
});

function importedNames(program: TSESTree.Program): ImportedNames {
  const functions = new Set<string>();
  const namespaces = new Set<string>();
  for (const statement of program.body) {
    if (statement.type !== AST_NODE_TYPES.ImportDeclaration || statement.importKind === "type") continue;
    for (const specifier of statement.specifiers) {
      if (specifier.type === AST_NODE_TYPES.ImportNamespaceSpecifier) namespaces.add(specifier.local.name);
      else functions.add(specifier.local.name);
    }
  }
  return { functions, namespaces };
}

// ---- findings back to ESTree ----

/** The flow result with its findings' nodes mapped to ESTree nodes (for reporting); findings on unmapped nodes are dropped. */
export function toESTree(flow: FlowResult<TS.Node>, maps: NodeMaps): FlowResult<TSESTree.Node> {
  if (flow.findings.length === 0) return flow as unknown as FlowResult<TSESTree.Node>;
  const map = (node: TS.Node): TSESTree.Node | undefined => {
    const mapped = maps.tsNodeToESTreeNodeMap.get(node);
    // An optional call (`a?.f_sm()`) is reported at its call, not at the chain around it.
    return mapped?.type === AST_NODE_TYPES.ChainExpression ? mapped.expression : mapped;
  };
  const findings: FlowFinding<TSESTree.Node>[] = [];
  for (const finding of flow.findings) {
    const node = map(finding.node);
    if (!node) continue;
    switch (finding.kind) {
      case "order":
      case "recursion": {
        const held: HeldLock<TSESTree.Node>[] = [];
        for (const lock of finding.held) {
          const site = map(lock.site);
          if (site) held.push({ ...lock, site });
        }
        findings.push({ ...finding, node, held });
        break;
      }
      case "leak":
        findings.push({ ...finding, node });
        break;
      default:
        findings.push({ ...finding, node });
    }
  }
  return { acquired: flow.acquired, findings };
}

// ---- names ----

/** The callee as a name: `f()`, `this.f()`, `super.f()`, `a?.f()`, `obj["f"]()`, and `f.call(…)` / `f.apply(…)` as `f`. */
export function calleeRefOf(calleeExpression: TSESTree.Node): CalleeRef {
  const callee = unwrapExpression(calleeExpression);
  if (callee.type === AST_NODE_TYPES.MemberExpression) {
    const name = memberName(callee);
    if (name === "call" || name === "apply") {
      const target = unwrapExpression(callee.object);
      if (target.type === AST_NODE_TYPES.Identifier || target.type === AST_NODE_TYPES.MemberExpression) return calleeRefOf(target);
    }
    return { name };
  }
  if (callee.type === AST_NODE_TYPES.Identifier) return { name: callee.name };
  return NO_UNIT;
}

/** The expression that names the function in `f`, `this.f`, `this.f.bind(this)`, or undefined. */
function referenceTarget(node: TSESTree.Node): TSESTree.Identifier | TSESTree.MemberExpression | undefined {
  let target = unwrapExpression(node);
  if (target.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrapExpression(target.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression || memberName(callee) !== "bind") return undefined;
    target = unwrapExpression(callee.object);
  }
  return target.type === AST_NODE_TYPES.Identifier || target.type === AST_NODE_TYPES.MemberExpression ? target : undefined;
}

// ---- releaser ownership ----

/** Wrappers that keep the value: `await x`, `x!`, `x as T`, `(x)`. */
function isTransparentParent(parent: TSESTree.Node): boolean {
  switch (parent.type) {
    case AST_NODE_TYPES.AwaitExpression:
    case AST_NODE_TYPES.TSNonNullExpression:
    case AST_NODE_TYPES.TSAsExpression:
    case AST_NODE_TYPES.TSTypeAssertion:
    case AST_NODE_TYPES.TSSatisfiesExpression:
    case AST_NODE_TYPES.ChainExpression:
      return true;
    default:
      return false;
  }
}

/** The variable an acquiring call's releaser or guard is bound to: `const release = …`, `[, release] = …`, `release = …`. */
function boundHandleOf(call: TSESTree.CallExpression): TSESTree.Identifier | undefined {
  let node: TSESTree.Node = call;
  let parent: TSESTree.Node | undefined = call.parent;
  while (parent && isTransparentParent(parent)) {
    node = parent;
    parent = parent.parent;
  }
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.init === node) {
    if (parent.id.type === AST_NODE_TYPES.Identifier) return parent.id;
    // async-mutex `Semaphore.acquire()` resolves to `[value, release]`.
    const releaser = parent.id.type === AST_NODE_TYPES.ArrayPattern ? parent.id.elements[parent.id.elements.length - 1] : undefined;
    return releaser?.type === AST_NODE_TYPES.Identifier ? releaser : undefined;
  }
  if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.right === node && parent.operator === "=" && parent.left.type === AST_NODE_TYPES.Identifier) return parent.left;
  return undefined;
}

/** Parents under which a reference to a releaser only inspects or calls it. */
function isLocalUse(reference: TSESTree.Node): boolean {
  let node = reference;
  let parent: TSESTree.Node | undefined = node.parent;
  while (parent && (parent.type === AST_NODE_TYPES.TSNonNullExpression || parent.type === AST_NODE_TYPES.TSAsExpression)) {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  switch (parent.type) {
    case AST_NODE_TYPES.CallExpression:
      return parent.callee === node;
    case AST_NODE_TYPES.MemberExpression:
      return parent.object === node;
    case AST_NODE_TYPES.UnaryExpression:
    case AST_NODE_TYPES.BinaryExpression:
    case AST_NODE_TYPES.IfStatement:
    case AST_NODE_TYPES.LogicalExpression:
      return true;
    case AST_NODE_TYPES.ConditionalExpression:
      return parent.test === node;
    default:
      return false;
  }
}

/**
 * A releaser or guard that is used anywhere but in its own release (returned, stored, passed on,
 * captured by a closure) is not this function's to release.
 */
function handleEscapes(binding: TSESTree.Identifier, env: LockEnv): boolean {
  let variable;
  try {
    variable = ASTUtils.findVariable(env.sourceCode.getScope(binding), binding);
  } catch {
    return true;
  }
  if (!variable) return true;
  const home = variable.scope.variableScope;
  for (const reference of variable.references) {
    if (reference.isWrite()) continue; // the binding itself, or `release = undefined` after releasing
    if (reference.from.variableScope !== home) return true; // captured by a closure: released who knows when
    if (!isLocalUse(reference.identifier)) return true;
  }
  return false;
}

/** `true`, or an object literal with a `true` field at any depth up to 3 (`{ skipLock: true }`, `{ lock: { skip: true } }`). */
function passesTrueFlag(node: TSESTree.Node, depth: number): boolean {
  if (node.type === AST_NODE_TYPES.Literal) return node.value === true;
  if (node.type !== AST_NODE_TYPES.ObjectExpression || depth > 3) return false;
  return node.properties.some((property) => property.type === AST_NODE_TYPES.Property && passesTrueFlag(property.value, depth + 1));
}
