/**
 * Which expression is which lock. A receiver of a lock method (`this.entries` in
 * `this.entries.write()`) is resolved with the type checker to the declaration it names:
 * - a declared target (`Class.member`, `Class.#member`, `path/to/module.ts#exportName`, paths
 *   relative to the folder of lock-order.json) is that declared lock;
 * - another member or module-level variable that is a lock is an undeclared lock, keyed
 *   `Class.member` (or `path.ts#name`) for the cycle check: its type is that of a declared target, or
 *   the recognition table (core/recognition.ts) knows it — by type name (async-mutex's `Mutex`,
 *   the runtime's `OrderedMutex`), by shape (a type with `acquire` and `release`), or, when the type is not
 *   known, by what created it (`new Mutex()` imported from async-mutex);
 * - a local `const m = this.entries` and same-lock wrappers (`withTimeout(lock, ms)`) are the lock they wrap.
 * - a lock-typed parameter (`withLock(mutex: Mutex, cb)`) is a lock parameter: which lock it is, each
 *   call site says (summaries.ts substitutes the argument).
 * Other locals holding locks (`let`, results of calls) are not tracked.
 */
import { relative } from "node:path";
import { ts } from "ts-morph";
import type { LockRef } from "../core/flow.js";
import type { LockAction } from "../core/lowering.js";
import {
  CALLBACK_METHODS,
  COLLECTION_LOOKUPS,
  libraryOfCreation,
  libraryOfShape,
  libraryOfTypeName,
  joinLookupKeys,
  lockCollectionOf,
  lookupKeyArgument,
  wrappedLockArgument,
  type LockCollection,
  type LockLibrary,
  type MethodShape,
} from "../core/recognition.js";
import { allMethodNames, classifyMethod, memberNameOf, moduleTargetKey, typeTargets, type DeclaredLock, type LockKind, type Policy } from "../core/policy.js";
import { typeTargetOfType } from "../core/type-targets.js";
import { wrapperClassOf, type WrapperClass, type WrapperHost } from "../core/wrappers.js";
import { propertyNameText, skipOuterExpressions } from "./functions.js";
/** How far `const a = b; const b = this.lock` alias chains are followed. */
const MAX_ALIAS_DEPTH = 8;
/** How deep collections of collections of locks are followed (`Map<string, Map<string, Mutex>>` is 1). */
const MAX_COLLECTION_DEPTH = 3;

/**
 * One level of a collection of locks: how an element is looked up (core/recognition.ts
 * `LockCollection`); `any`: by any lookup (`get(key)`, `[key]`), for a declared keyed target whose
 * elements' type is not known.
 */
type CollectionLevel = Pick<LockCollection, "lookup" | "keyArgument" | "indexed"> & { readonly any?: true };

const ANY_LEVEL: readonly CollectionLevel[] = Object.freeze([{ any: true }]);

export class LockResolver {
  /** Every method name that may acquire or release a lock; other calls are never lock calls. */
  readonly methodNames: ReadonlySet<string>;
  private readonly declarationCache = new Map<ts.Node, LockRef | null>();
  private lockTypeKeys: ReadonlySet<string> | undefined;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly policy: Policy,
    /** Folder of lock-order.json: module targets are relative to it. */
    private readonly configDir: string,
    private readonly classesByName: ReadonlyMap<string, readonly ts.ClassLikeDeclaration[]>,
    /** The declared targets' `typeKeyOf` keys when the caller already knows them (the engine keeps them per file). */
    declaredTypeKeys?: ReadonlySet<string>,
  ) {
    this.lockTypeKeys = declaredTypeKeys;
    const names = new Set<string>(CALLBACK_METHODS);
    for (const methods of [policy.methods, ...policy.locks.map((lock) => lock.methods)]) {
      for (const name of allMethodNames(methods)) names.add(name);
    }
    this.methodNames = names;
    this.hasTypeTargets = typeTargets(policy).size > 0;
  }

  /** Whether lock-order.json names a type as a target: only then is a receiver's type asked for. */
  private readonly hasTypeTargets: boolean;

  private readonly lockParameterCache = new Map<ts.Node, readonly number[]>();

  /** Which parameters of a function are locks it is given (`mutex: Mutex`): their arguments are resolved at each call. */
  lockParameters(fn: ts.Node): readonly number[] {
    let indexes = this.lockParameterCache.get(fn);
    if (!indexes) {
      indexes = lockParameterIndexes(fn, (parameter) => this.fromDeclaration(parameter, 0)?.parameter !== undefined);
      this.lockParameterCache.set(fn, indexes);
    }
    return indexes;
  }

  /** What `method` does on this lock, or undefined when it is not a lock method. */
  classify(lock: LockRef, method: string): LockAction | undefined {
    // Undeclared locks have no declared kind: read methods stay shared, which only matters for modes in messages.
    return classifyMethod(lock.declared ?? { kind: "rwlock", methods: this.policy.methods }, method);
  }

  /**
   * The lock an expression denotes, or undefined. A declared `Class.member` or module target the
   * expression names comes first; otherwise a value of a declared type target's type
   * (`"target": "DBAdapter"`) is that lock itself.
   */
  resolve(expression: ts.Expression, depth = 0): LockRef | undefined {
    const found = this.resolveByName(expression, depth);
    if (found?.declared || !this.hasTypeTargets) return found;
    const byType = typeTargetOfType(ts, this.checker, this.checker.getTypeAtLocation(skipOuterExpressions(expression)), this.policy);
    return byType ? { key: byType.id, declared: byType } : found;
  }

  private resolveByName(expression: ts.Expression, depth: number): LockRef | undefined {
    if (depth > MAX_ALIAS_DEPTH) return undefined;
    const node = skipOuterExpressions(expression);
    if (ts.isCallExpression(node)) {
      // async-mutex `withTimeout(lock, ms)` is the same lock with a deadline (`tryAcquire(lock)`: one that fails at once).
      const callee = skipOuterExpressions(node.expression);
      const calleeName = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const lockArgument = calleeName === undefined ? undefined : wrappedLockArgument(calleeName);
      if (lockArgument !== undefined && node.arguments.length > lockArgument) return this.resolve(node.arguments[lockArgument], depth + 1);
      if (ts.isPropertyAccessExpression(callee) && COLLECTION_LOOKUPS.has(callee.name.text)) {
        const lookup = this.lookup(node, depth);
        if (lookup) return lookup;
      }
      return this.returnedLock(node, depth);
    }
    if (ts.isElementAccessExpression(node)) return this.lookup(node, depth);
    // `this.locks.get(id) ?? new Mutex()`: the lock found, or a fresh one that is not yet anyone's.
    if (ts.isBinaryExpression(node) && isFallbackOperator(node.operatorToken.kind) && isCreation(node.right)) return this.resolve(node.left, depth + 1);
    if (ts.isPropertyAccessExpression(node)) {
      const symbol = this.checker.getSymbolAtLocation(node.name);
      const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
      if (declaration) return this.fromDeclaration(declaration, depth);
      return this.syntacticMember(node);
    }
    if (ts.isIdentifier(node)) {
      let symbol = this.checker.getSymbolAtLocation(node);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
      const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
      return declaration ? this.fromDeclaration(declaration, depth) : undefined;
    }
    return undefined;
  }

  /**
   * A lock a global lock manager names by a literal (`navigator.locks:cache`): the declared lock of
   * that target, else an undeclared lock class of that key with the table's kind.
   */
  resolveNamed(target: string, kind: LockKind | undefined): LockRef {
    const declared = this.policy.byTarget.get(target);
    if (declared) return { key: declared.id, declared };
    return kind === undefined ? { key: target } : { key: target, kind };
  }

  /**
   * `this.locks.get(id)`, `this.locks[i]`, `this.locks.get(org)?.get(id)` on a collection of locks
   * (`Map<string, Mutex>`, `Mutex[]`, nested maps; core/recognition.ts `LOCK_COLLECTIONS`): one lock
   * class per collection, the lookup keys' text telling its locks apart.
   */
  private lookup(access: ts.CallExpression | ts.ElementAccessExpression, depth: number): LockRef | undefined {
    const found = this.lookedUp(access, depth);
    return found && found.levels.length === 0 ? { ...found.lock, lookupKey: found.key } : undefined;
  }

  /**
   * What a lookup reaches: the lock class, the key so far and the collection levels still to go
   * (none: a lock). `get(key)` matches a level with that lookup method, `[key]` an indexed one.
   */
  private lookedUp(access: ts.CallExpression | ts.ElementAccessExpression, depth: number): { lock: LockRef; key: string; levels: readonly CollectionLevel[] } | undefined {
    const indexed = ts.isElementAccessExpression(access);
    const callee = indexed ? undefined : skipOuterExpressions(access.expression);
    if (callee && !ts.isPropertyAccessExpression(callee)) return undefined;
    const method = callee?.name.text;
    const collection = this.collectionAt(indexed ? access.expression : callee!.expression, depth + 1);
    const [level, ...rest] = collection?.levels ?? [];
    if (!collection || !level) return undefined;
    let keyNode: ts.Expression | undefined;
    if (indexed) keyNode = level.any || level.indexed ? access.argumentExpression : undefined;
    else if (level.any || level.lookup === method) {
      const keyArgument = level.keyArgument ?? lookupKeyArgument(method!);
      keyNode = keyArgument === undefined ? undefined : access.arguments[keyArgument];
    }
    if (!keyNode) return undefined;
    const text = keyNode.getText();
    return { lock: collection.lock, key: collection.key === undefined ? text : joinLookupKeys(collection.key, text), levels: rest };
  }

  /** The lock class a collection expression holds, with the levels from it down to its locks (and the keys of the levels above, for a nested one). */
  private collectionAt(expression: ts.Expression, depth: number): { lock: LockRef; key?: string; levels: readonly CollectionLevel[] } | undefined {
    if (depth > MAX_ALIAS_DEPTH) return undefined;
    const node = skipOuterExpressions(expression);
    // `this.locks.get(org)` of a `Map<string, Map<string, Mutex>>`: a collection one level down.
    if (ts.isCallExpression(node) || ts.isElementAccessExpression(node)) {
      const found = this.lookedUp(node, depth + 1);
      return found && found.levels.length > 0 ? found : undefined;
    }
    const nameNode = ts.isPropertyAccessExpression(node) ? node.name : ts.isIdentifier(node) ? node : undefined;
    let symbol = nameNode && this.checker.getSymbolAtLocation(nameNode);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (!declaration) return undefined;
    if (ts.isVariableDeclaration(declaration) && !isModuleLevel(declaration)) {
      // `const locks = this.locks`
      const isConst = (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
      return isConst && declaration.initializer ? this.collectionAt(declaration.initializer, depth + 1) : undefined;
    }
    const member = memberTarget(declaration);
    const target =
      member?.target ??
      (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)
        ? moduleTargetKey(relative(this.configDir, declaration.getSourceFile().fileName).replace(/\\/g, "/"), declaration.name.text)
        : undefined);
    const name = member?.nameNode ?? (ts.isVariableDeclaration(declaration) ? declaration.name : undefined);
    if (target === undefined || !name) return undefined;
    const element = this.collectionElement(name, declaration);
    const declared = this.policy.byTarget.get(target);
    // The map of a home-grown keyed lock (a class with the table's `acquire` / `release` shape) is
    // how that lock works: its instances are the locks, not the mutexes it keeps.
    if (!declared && member && this.hasLockShape(declaration)) return undefined;
    // A declared keyed target is looked up by key whatever its elements' type says (as the ESLint rules do).
    const levels = element?.levels ?? (declared?.kind === "keyed" ? ANY_LEVEL : undefined);
    if (levels === undefined) return undefined;
    const base: LockRef = declared ? { key: declared.id, declared } : { key: target, kind: "keyed" };
    return { lock: element?.methodShapes ? { ...base, methodShapes: element.methodShapes } : base, levels };
  }

  /** `m` in `for (const m of this.locks)` over a collection of locks: one of its locks, the loop variable's name its key. */
  private iterated(declaration: ts.VariableDeclaration, depth: number): LockRef | undefined {
    const loop = declaration.parent.parent;
    if (!ts.isForOfStatement(loop) || !ts.isIdentifier(declaration.name)) return undefined;
    const collection = this.collectionAt(loop.expression, depth + 1);
    if (!collection || collection.levels.length !== 1) return undefined;
    return { ...collection.lock, lookupKey: collection.key === undefined ? declaration.name.text : joinLookupKeys(collection.key, declaration.name.text) };
  }

  /** Whether the class a member belongs to has one of the table's lock shapes (`acquire` and `release`). */
  private hasLockShape(member: ts.Node): boolean {
    const owner = ts.isClassLike(member.parent) ? member.parent : member.parent?.parent;
    const symbol = owner && ts.isClassLike(owner) && owner.name ? this.checker.getSymbolAtLocation(owner.name) : undefined;
    if (!symbol) return false;
    const type = this.checker.getDeclaredTypeOfSymbol(symbol);
    return libraryOfShape((name) => this.checker.getPropertyOfType(type, name) !== undefined) !== undefined;
  }

  /**
   * Whether a declaration holds a collection whose elements are locks, or collections of them: by
   * the element type (`Map<string, Mutex>`, `Mutex[]`), or, when that type is not known, by the
   * element type written in the annotation or the `new Map<string, Mutex>()` initializer, imported
   * from a lock library.
   */
  private collectionElement(nameNode: ts.Node, declaration: ts.Node): { levels: readonly CollectionLevel[]; methodShapes?: ReadonlyMap<string, MethodShape> } | undefined {
    const type = this.checker.getNonNullableType(this.checker.getTypeAtLocation(nameNode));
    const typed = this.collectionLevels(type, 0);
    if (typed) return typed;
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    const collection = symbol && lockCollectionOf(symbol.getName());
    if (!collection) return undefined;
    const written = (declaration as { type?: ts.TypeNode }).type;
    const initializer = (declaration as { initializer?: ts.Expression }).initializer;
    const created = initializer && skipOuterExpressions(initializer);
    const typeArguments = written && ts.isTypeReferenceNode(written) ? written.typeArguments : created && ts.isNewExpression(created) ? created.typeArguments : undefined;
    const elementNode = typeArguments?.[collection.typeArgument];
    return elementNode && this.libraryOfTypeNode(elementNode) ? { levels: [collection] } : undefined;
  }

  /** The collection levels from a type down to its locks (`Map<string, Map<string, Mutex>>`: two), or undefined when its elements are no locks. */
  private collectionLevels(type: ts.Type, depth: number): { levels: readonly CollectionLevel[]; methodShapes?: ReadonlyMap<string, MethodShape> } | undefined {
    if (depth > MAX_COLLECTION_DEPTH) return undefined;
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    const collection = symbol && lockCollectionOf(symbol.getName());
    const elementType = collection && this.checker.getTypeArguments(type as ts.TypeReference)[collection.typeArgument];
    if (!collection || !elementType) return undefined;
    const element = this.checker.getNonNullableType(elementType);
    const wrapper = this.wrapperOfType(element);
    if (wrapper) return { levels: [collection], methodShapes: wrapper.methodShapes };
    // Nested first: the type of a declared collection target (`Map`) is a declared target's type too.
    const inner = this.collectionLevels(element, depth + 1);
    if (inner) return { ...inner, levels: [collection, ...inner.levels] };
    return this.lockTypeOfType(element) !== undefined ? { levels: [collection] } : undefined;
  }

  /**
   * A call of a function of the program that returns a lock (`getLock() { return this.#mutex }`,
   * `lockFor(id) { return this.locks.get(id) ?? … }`): that lock, every return agreeing; a lookup
   * key that is one of the function's parameters is the call's argument there.
   */
  private returnedLock(call: ts.CallExpression, depth: number): LockRef | undefined {
    if (depth >= MAX_ALIAS_DEPTH) return undefined;
    const callee = skipOuterExpressions(call.expression);
    const nameNode = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
    if (!nameNode) return undefined;
    let symbol = this.checker.getSymbolAtLocation(nameNode);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    const fn = declaration && functionOf(declaration);
    if (!fn?.body || fn.getSourceFile().isDeclarationFile) return undefined;
    let found: LockRef | undefined;
    for (const value of returnedExpressions(fn)) {
      const lock = this.resolve(value, depth + 1);
      if (!lock) {
        if (isCreation(value)) continue;
        return undefined;
      }
      if (found && (found.key !== lock.key || found.lookupKey !== lock.lookupKey)) return undefined;
      found = lock;
    }
    if (!found || found.parameter) return undefined;
    if (found.lookupKey === undefined) return found;
    const index = fn.parameters.findIndex((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === found!.lookupKey);
    if (index < 0) return found;
    const argument = call.arguments[index];
    return argument ? { ...found, lookupKey: argument.getText() } : undefined;
  }

  /**
   * `let lock = locks.get(id); if (!lock) { lock = new Mutex(); locks.set(id, lock) }`: a local that
   * is assigned only the one lock it starts with, or fresh locks, is that lock.
   */
  private getOrCreate(declaration: ts.VariableDeclaration, depth: number): LockRef | undefined {
    if (!declaration.initializer || !ts.isIdentifier(declaration.name)) return undefined;
    const found = this.resolve(declaration.initializer, depth + 1);
    if (!found || found.parameter) return undefined;
    const symbol = this.checker.getSymbolAtLocation(declaration.name);
    let scope: ts.Node | undefined = declaration.parent;
    while (scope && !ts.isFunctionLike(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
    if (!symbol || !scope) return undefined;
    const name = declaration.name.text;
    let agrees = true;
    const visit = (node: ts.Node): void => {
      if (!agrees) return;
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const left = skipOuterExpressions(node.left);
        if (ts.isIdentifier(left) && left.text === name && this.checker.getSymbolAtLocation(left) === symbol && !isCreation(node.right)) {
          const assigned = this.resolve(node.right, depth + 1);
          agrees = assigned !== undefined && assigned.key === found.key && assigned.lookupKey === found.lookupKey;
        }
      }
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(scope, visit);
    return agrees ? found : undefined;
  }

  private readonly wrapperCache = new Map<ts.ClassLikeDeclaration, WrapperClass | null>();

  /** The wrapper class of a declaration's type, or undefined. */
  private wrapperOfNode(node: ts.Node): WrapperClass | undefined {
    return this.wrapperOfType(this.checker.getNonNullableType(this.checker.getTypeAtLocation(node)));
  }

  /** The wrapper class a type is an instance of: a class of the program (core/wrappers.ts), or undefined. */
  private wrapperOfType(type: ts.Type): WrapperClass | undefined {
    const declaration = type.getSymbol()?.declarations?.find((node): node is ts.ClassLikeDeclaration => ts.isClassLike(node));
    if (!declaration || declaration.getSourceFile().isDeclarationFile) return undefined;
    const cached = this.wrapperCache.get(declaration);
    if (cached !== undefined) return cached ?? undefined;
    // A class whose lock member is of its own type does not make itself a wrapper.
    this.wrapperCache.set(declaration, null);
    const wrapper = wrapperClassOf(declaration, this.wrapperHost);
    this.wrapperCache.set(declaration, wrapper ?? null);
    return wrapper;
  }

  private wrapperHostOnce: WrapperHost | undefined;

  /** How core/wrappers.ts asks about a class's members: with the type checker. */
  private get wrapperHost(): WrapperHost {
    return (this.wrapperHostOnce ??= {
      ts,
      lockMethodNames: this.methodNames,
      innerLock: (receiver) => this.resolve(receiver),
      classify: (lock, method) => this.classify(lock, method),
      isFunctionParameter: (parameter) => this.checker.getNonNullableType(this.checker.getTypeAtLocation(parameter.name)).getCallSignatures().length > 0,
      namesParameter: (identifier, parameter) => {
        const symbol = this.checker.getSymbolAtLocation(identifier);
        return symbol !== undefined && symbol === this.checker.getSymbolAtLocation(parameter.name);
      },
    });
  }


  /** Without a symbol (an `any` receiver), `this.member` inside `class Class` still names `Class.member`. */
  private syntacticMember(node: ts.PropertyAccessExpression): LockRef | undefined {
    if (node.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
    let container: ts.Node | undefined = node.parent;
    while (container && !ts.isClassLike(container)) container = container.parent;
    if (!container?.name) return undefined;
    const declared = this.policy.byTarget.get(`${container.name.text}.${node.name.text}`);
    return declared ? { key: declared.id, declared } : undefined;
  }

  private fromDeclaration(declaration: ts.Node, depth: number): LockRef | undefined {
    const cached = this.declarationCache.get(declaration);
    if (cached !== undefined) return cached ?? undefined;
    // Local aliases are not cached by declaration: the initializer is resolved each time (cheap, and rare).
    if (ts.isVariableDeclaration(declaration) && !isModuleLevel(declaration)) {
      if (ts.isForOfStatement(declaration.parent.parent)) return this.iterated(declaration, depth);
      const isConst = (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
      if (isConst) return declaration.initializer ? this.resolve(declaration.initializer, depth + 1) : undefined;
      return this.getOrCreate(declaration, depth);
    }
    if (ts.isBindingElement(declaration)) return this.fromDestructuring(declaration, depth);
    const lock = this.lockOfDeclaration(declaration) ?? null;
    this.declarationCache.set(declaration, lock);
    return lock ?? undefined;
  }

  /** `const { a } = this`, `const { lock: m } = holder`: the member the binding copies, when it is a lock. */
  private fromDestructuring(element: ts.BindingElement, depth: number): LockRef | undefined {
    const pattern = element.parent;
    const declaration = pattern.parent;
    if (!ts.isObjectBindingPattern(pattern) || !ts.isVariableDeclaration(declaration) || !declaration.initializer || element.dotDotDotToken) return undefined;
    if ((ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) === 0) return undefined;
    const member = propertyNameText(element.propertyName ?? element.name);
    if (member === undefined) return undefined;
    const property = this.checker.getPropertyOfType(this.checker.getTypeAtLocation(declaration.initializer), member);
    const target = property?.valueDeclaration ?? property?.declarations?.[0];
    return target ? this.fromDeclaration(target, depth + 1) : undefined;
  }

  private lockOfDeclaration(declaration: ts.Node): LockRef | undefined {
    const member = memberTarget(declaration);
    if (member) {
      const declared = this.policy.byTarget.get(member.target);
      if (declared) return this.withWrapperShapes({ key: declared.id, declared }, member.nameNode);
      return this.undeclaredLock(member.target, member.nameNode, declaration);
    }
    if (ts.isParameter(declaration) && ts.isIdentifier(declaration.name) && !declaration.dotDotDotToken && isFunctionLike(declaration.parent)) {
      const wrapper = this.wrapperOfNode(declaration.name);
      if (!wrapper && this.lockTypeOf(declaration.name) === undefined && this.libraryOfAnnotation(declaration) === undefined) return undefined;
      const index = declaration.parent.parameters.indexOf(declaration);
      const parameter: LockRef = { key: `(parameter ${index} ${declaration.name.text})`, parameter: { index, owner: declaration.parent } };
      return wrapper ? { ...parameter, methodShapes: wrapper.methodShapes } : parameter;
    }
    if (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)) {
      const modulePath = relative(this.configDir, declaration.getSourceFile().fileName).replace(/\\/g, "/");
      const target = moduleTargetKey(modulePath, declaration.name.text);
      const declared = this.policy.byTarget.get(target);
      if (declared) return this.withWrapperShapes({ key: declared.id, declared }, declaration.name);
      return this.undeclaredLock(target, declaration.name, declaration);
    }
    return undefined;
  }

  /** A declared lock whose type is a wrapper class: its methods are called as the wrapper defines them. */
  private withWrapperShapes(lock: LockRef, nameNode: ts.Node): LockRef {
    const wrapper = this.wrapperOfNode(nameNode);
    return wrapper ? { ...lock, methodShapes: wrapper.methodShapes } : lock;
  }

  /** An undeclared lock keyed `key`, when the declaration named by `nameNode` holds a lock; with the table's kind for it. */
  private undeclaredLock(key: string, nameNode: ts.Node, declaration: ts.Node): LockRef | undefined {
    const wrapper = this.wrapperOfNode(nameNode);
    if (wrapper) return wrapper.kind === undefined ? { key, methodShapes: wrapper.methodShapes } : { key, kind: wrapper.kind, methodShapes: wrapper.methodShapes };
    const recognized = this.lockTypeOf(nameNode) ?? this.createdBy(declaration) ?? this.libraryOfAnnotation(declaration);
    if (!recognized) return undefined;
    return recognized !== true && recognized.kind !== undefined ? { key, kind: recognized.kind } : { key };
  }

  /** The library of a lock-typed declaration (true for the type of a declared target), or undefined when its type is no lock. */
  private lockTypeOf(node: ts.Node): LockLibrary | true | undefined {
    return this.lockTypeOfType(this.checker.getNonNullableType(this.checker.getTypeAtLocation(node)));
  }

  private lockTypeOfType(type: ts.Type): LockLibrary | true | undefined {
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    if (symbol) {
      const library = libraryOfTypeName(symbol.getName());
      if (library) return library;
      if (this.declaredLockTypes().has(typeKeyOf(symbol))) return true;
    }
    return libraryOfShape((name) => this.checker.getPropertyOfType(type, name) !== undefined);
  }

  /**
   * The library whose lock type, imported from its module, annotates the declaration (`mutex: Mutex`
   * from async-mutex, `lock: AsyncLock`): a lock even when the package's types do not resolve.
   */
  private libraryOfAnnotation(declaration: ts.Node): LockLibrary | undefined {
    const type = (declaration as { type?: ts.TypeNode }).type;
    return type && this.libraryOfTypeNode(type);
  }

  /** The library whose lock type, imported from its module, a type node names (`Mutex` from async-mutex). */
  private libraryOfTypeNode(type: ts.TypeNode): LockLibrary | undefined {
    if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
    const imported = this.importOf(type.typeName);
    if (!imported) return undefined;
    // A default import (`import AsyncLock from "async-lock"`) is known by the name it is imported as.
    const library = libraryOfTypeName(imported.exportName === "default" ? type.typeName.text : imported.exportName);
    return library !== undefined && library.modules.includes(imported.module) ? library : undefined;
  }

  /**
   * The library whose constructor or factory, imported from its module, initializes the declaration
   * (`= new Mutex()` imported from async-mutex): for a value whose type is not known (the package's
   * types are missing).
   */
  private createdBy(declaration: ts.Node): LockLibrary | undefined {
    if (!ts.isPropertyDeclaration(declaration) && !ts.isVariableDeclaration(declaration)) return undefined;
    const initializer = declaration.initializer && skipOuterExpressions(declaration.initializer);
    if (!initializer || (!ts.isNewExpression(initializer) && !ts.isCallExpression(initializer))) return undefined;
    const imported = this.importOf(skipOuterExpressions(initializer.expression));
    return imported && libraryOfCreation(imported.module, imported.exportName, ts.isNewExpression(initializer) ? "new" : "call");
  }

  /** The module and export an identifier (or `ns.name` on a namespace import) is imported as. */
  private importOf(callee: ts.Expression): { module: string; exportName: string } | undefined {
    const identifier = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? callee.expression : undefined;
    const declaration = identifier && this.checker.getSymbolAtLocation(identifier)?.declarations?.[0];
    if (!declaration) return undefined;
    let exportName: string;
    let importDeclaration: ts.Node | undefined;
    if (ts.isNamespaceImport(declaration) && identifier !== callee) {
      exportName = (callee as ts.PropertyAccessExpression).name.text;
      importDeclaration = declaration.parent.parent;
    } else if (ts.isImportSpecifier(declaration) && identifier === callee) {
      exportName = (declaration.propertyName ?? declaration.name).text;
      importDeclaration = declaration.parent.parent.parent;
    } else if (ts.isImportClause(declaration) && identifier === callee) {
      exportName = "default";
      importDeclaration = declaration.parent;
    } else {
      return undefined;
    }
    return ts.isImportDeclaration(importDeclaration) && ts.isStringLiteral(importDeclaration.moduleSpecifier)
      ? { module: importDeclaration.moduleSpecifier.text, exportName }
      : undefined;
  }

  /** The types of the declared targets (`typeKeyOf` keys): a member of the same type elsewhere is a lock too. */
  private declaredLockTypes(): ReadonlySet<string> {
    if (this.lockTypeKeys) return this.lockTypeKeys;
    const keys = new Set<string>();
    for (const { symbol } of declaredTargetTypes(this.checker, this.policy, this.classesByName)) if (symbol) keys.add(typeKeyOf(symbol));
    this.lockTypeKeys = keys;
    return keys;
  }
}

/** The type of each declared `Class.member` target among `classesByName`'s classes, with its lock. */
export function declaredTargetTypes(
  checker: ts.TypeChecker,
  policy: Policy,
  classesByName: ReadonlyMap<string, readonly ts.ClassLikeDeclaration[]>,
): { lock: DeclaredLock; type: ts.Type; symbol: ts.Symbol | undefined }[] {
  const found: { lock: DeclaredLock; type: ts.Type; symbol: ts.Symbol | undefined }[] = [];
  for (const lock of policy.locks) {
    const target = lock.parsedTarget;
    if (target.kind !== "member") continue;
    const memberName = memberNameOf(target);
    for (const declaration of classesByName.get(target.className) ?? []) {
      for (const member of declaration.members) {
        if (!member.name || propertyNameText(member.name) !== memberName) continue;
        const type = checker.getNonNullableType(checker.getTypeAtLocation(member.name));
        found.push({ lock, type, symbol: type.getSymbol() ?? type.aliasSymbol });
      }
    }
  }
  return found;
}

/**
 * A type as the declared-target check compares it: its name and the file of its first declaration.
 * A key, not the symbol, so that it outlives the checker (the engine keeps each file's keys across
 * program rebuilds instead of asking a fresh checker for every declared target's type).
 */
export function typeKeyOf(symbol: ts.Symbol): string {
  const where = symbol.declarations?.[0];
  return `${symbol.getName()}@${where ? where.getSourceFile().fileName : ""}`;
}

function isFallbackOperator(kind: ts.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.QuestionQuestionToken || kind === ts.SyntaxKind.BarBarToken;
}

/** `new Mutex()`, `createLock()`: a fresh lock (or any value) made on the spot, not a lock someone else holds. */
function isCreation(expression: ts.Expression): boolean {
  const node = skipOuterExpressions(expression);
  return ts.isNewExpression(node) || ts.isCallExpression(node);
}

/** The function a declaration is: a function or method with a body, or a field or variable holding a function expression. */
function functionOf(declaration: ts.Node): ts.FunctionLikeDeclaration | undefined {
  if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration)) return declaration;
  if (ts.isPropertyDeclaration(declaration) || ts.isVariableDeclaration(declaration)) {
    const initializer = declaration.initializer && skipOuterExpressions(declaration.initializer);
    if (initializer && (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer))) return initializer;
  }
  return undefined;
}

/** What a function returns: each `return` expression of its own body, or an arrow's expression body. */
function returnedExpressions(fn: ts.FunctionLikeDeclaration): ts.Expression[] {
  const body = fn.body;
  if (!body) return [];
  if (!ts.isBlock(body)) return [body];
  const values: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node)) {
      if (node.expression) values.push(node.expression);
      return;
    }
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return values;
}

function isFunctionLike(node: ts.Node): node is ts.SignatureDeclaration & { parameters: ts.NodeArray<ts.ParameterDeclaration> } {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node);
}

/** The parameter indexes of a function whose type is a lock (cached by the resolver per function). */
export function lockParameterIndexes(fn: ts.Node, isLockParameter: (parameter: ts.ParameterDeclaration) => boolean): number[] {
  if (!isFunctionLike(fn)) return [];
  const indexes: number[] = [];
  fn.parameters.forEach((parameter, index) => {
    if (ts.isIdentifier(parameter.name) && !parameter.dotDotDotToken && isLockParameter(parameter)) indexes.push(index);
  });
  return indexes;
}

function isModuleLevel(declaration: ts.VariableDeclaration): boolean {
  const statement = declaration.parent?.parent;
  return statement !== undefined && ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent);
}

/** `Class.member` for a class property, parameter property or accessor declaration. */
function memberTarget(declaration: ts.Node): { target: string; nameNode: ts.Node } | undefined {
  let owner: ts.Node | undefined;
  let nameNode: ts.PropertyName | ts.BindingName | undefined;
  if (ts.isPropertyDeclaration(declaration) || ts.isGetAccessorDeclaration(declaration)) {
    owner = declaration.parent;
    nameNode = declaration.name;
  } else if (ts.isParameter(declaration) && ts.isConstructorDeclaration(declaration.parent) && ts.isParameterPropertyDeclaration(declaration, declaration.parent)) {
    owner = declaration.parent.parent;
    nameNode = declaration.name;
  }
  if (!owner || !nameNode || !ts.isClassLike(owner) || !owner.name) return undefined;
  const member = propertyNameText(nameNode);
  return member === undefined ? undefined : { target: `${owner.name.text}.${member}`, nameNode };
}

/**
 * True when an expression is reached from `this` (`this.mutex`, `this.#state.lock`, `super.x`), or
 * through a local const aliasing such an expression: the object is the current instance.
 */
export function isThisRooted(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): boolean {
  let node = skipOuterExpressions(expression);
  for (;;) {
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipOuterExpressions(node.expression);
    // `this.locks.get(id)`, `this.getLock()`: a lock looked up in, or returned by, the current instance.
    else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(skipOuterExpressions(node.expression))) node = skipOuterExpressions((skipOuterExpressions(node.expression) as ts.PropertyAccessExpression).expression);
    // `this.locks.get(id) ?? new Mutex()`
    else if (ts.isBinaryExpression(node) && isFallbackOperator(node.operatorToken.kind)) node = skipOuterExpressions(node.left);
    else break;
  }
  if (node.kind === ts.SyntaxKind.ThisKeyword || node.kind === ts.SyntaxKind.SuperKeyword) return true;
  if (!ts.isIdentifier(node) || depth > MAX_ALIAS_DEPTH) return false;
  const declaration = checker.getSymbolAtLocation(node)?.valueDeclaration;
  if (declaration === undefined || !ts.isVariableDeclaration(declaration) || declaration.initializer === undefined) return false;
  if (!isThisRooted(declaration.initializer, checker, depth + 1)) return false;
  if ((ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0) return true;
  // A get-or-create `let`: every other value it is given is fresh, or also the current instance's.
  const symbol = checker.getSymbolAtLocation(declaration.name);
  let scope: ts.Node | undefined = declaration.parent;
  while (scope && !ts.isFunctionLike(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
  let rooted = true;
  const visit = (child: ts.Node): void => {
    if (!rooted) return;
    if (ts.isBinaryExpression(child) && child.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = skipOuterExpressions(child.left);
      if (ts.isIdentifier(left) && checker.getSymbolAtLocation(left) === symbol && !isCreation(child.right)) rooted = isThisRooted(child.right, checker, depth + 1);
    }
    ts.forEachChild(child, visit);
  };
  if (scope) ts.forEachChild(scope, visit);
  return rooted;
}
