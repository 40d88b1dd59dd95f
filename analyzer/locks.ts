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
import { CALLBACK_METHODS, libraryOfCreation, libraryOfShape, libraryOfTypeName, wrappedLockArgument, type LockLibrary } from "../core/recognition.js";
import { classifyMethod, memberNameOf, moduleTargetKey, type DeclaredLock, type LockKind, type Policy } from "../core/policy.js";
import { propertyNameText, skipOuterExpressions } from "./functions.js";
/** How far `const a = b; const b = this.lock` alias chains are followed. */
const MAX_ALIAS_DEPTH = 8;


export class LockResolver {
  /** Every method name that may acquire or release a lock; other calls are never lock calls. */
  readonly methodNames: ReadonlySet<string>;
  private readonly declarationCache = new Map<ts.Node, LockRef | null>();
  private lockTypeSymbols: Set<ts.Symbol> | undefined;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly policy: Policy,
    /** Folder of lock-order.json: module targets are relative to it. */
    private readonly configDir: string,
    private readonly classesByName: ReadonlyMap<string, readonly ts.ClassLikeDeclaration[]>,
  ) {
    const names = new Set<string>(CALLBACK_METHODS);
    for (const methods of [policy.methods, ...policy.locks.map((lock) => lock.methods)]) {
      for (const name of [...methods.write, ...methods.read, ...methods.release]) names.add(name);
    }
    this.methodNames = names;
  }

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

  /** The lock an expression denotes, or undefined. */
  resolve(expression: ts.Expression, depth = 0): LockRef | undefined {
    if (depth > MAX_ALIAS_DEPTH) return undefined;
    const node = skipOuterExpressions(expression);
    if (ts.isCallExpression(node)) {
      // async-mutex `withTimeout(lock, ms)` is the same lock with a deadline (`tryAcquire(lock)`: one that fails at once).
      const callee = skipOuterExpressions(node.expression);
      const calleeName = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const lockArgument = calleeName === undefined ? undefined : wrappedLockArgument(calleeName);
      if (lockArgument !== undefined && node.arguments.length > lockArgument) return this.resolve(node.arguments[lockArgument], depth + 1);
      return undefined;
    }
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
      const isConst = (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
      return isConst && declaration.initializer ? this.resolve(declaration.initializer, depth + 1) : undefined;
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
      if (declared) return { key: declared.id, declared };
      return this.undeclaredLock(member.target, member.nameNode, declaration);
    }
    if (ts.isParameter(declaration) && ts.isIdentifier(declaration.name) && !declaration.dotDotDotToken && isFunctionLike(declaration.parent)) {
      if (this.lockTypeOf(declaration.name) === undefined && this.libraryOfAnnotation(declaration) === undefined) return undefined;
      const index = declaration.parent.parameters.indexOf(declaration);
      return { key: `(parameter ${index} ${declaration.name.text})`, parameter: { index, owner: declaration.parent } };
    }
    if (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)) {
      const modulePath = relative(this.configDir, declaration.getSourceFile().fileName).replace(/\\/g, "/");
      const target = moduleTargetKey(modulePath, declaration.name.text);
      const declared = this.policy.byTarget.get(target);
      if (declared) return { key: declared.id, declared };
      return this.undeclaredLock(target, declaration.name, declaration);
    }
    return undefined;
  }

  /** An undeclared lock keyed `key`, when the declaration named by `nameNode` holds a lock; with the table's kind for it. */
  private undeclaredLock(key: string, nameNode: ts.Node, declaration: ts.Node): LockRef | undefined {
    const recognized = this.lockTypeOf(nameNode) ?? this.createdBy(declaration) ?? this.libraryOfAnnotation(declaration);
    if (!recognized) return undefined;
    return recognized !== true && recognized.kind !== undefined ? { key, kind: recognized.kind } : { key };
  }

  /** The library of a lock-typed declaration (true for the type of a declared target), or undefined when its type is no lock. */
  private lockTypeOf(node: ts.Node): LockLibrary | true | undefined {
    const type = this.checker.getNonNullableType(this.checker.getTypeAtLocation(node));
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    if (symbol) {
      const library = libraryOfTypeName(symbol.getName());
      if (library) return library;
      if (this.declaredLockTypes().has(symbol)) return true;
    }
    return libraryOfShape((name) => this.checker.getPropertyOfType(type, name) !== undefined);
  }

  /**
   * The library whose lock type, imported from its module, annotates the declaration (`mutex: Mutex`
   * from async-mutex, `lock: AsyncLock`): a lock even when the package's types do not resolve.
   */
  private libraryOfAnnotation(declaration: ts.Node): LockLibrary | undefined {
    const type = (declaration as { type?: ts.TypeNode }).type;
    if (!type || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
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

  /** The types of the declared targets: a member of the same type elsewhere is a lock too. */
  private declaredLockTypes(): Set<ts.Symbol> {
    if (this.lockTypeSymbols) return this.lockTypeSymbols;
    const symbols = new Set<ts.Symbol>();
    for (const lock of this.policy.locks) {
      const target = lock.parsedTarget;
      if (target.kind !== "member") continue;
      const memberName = memberNameOf(target);
      for (const declaration of this.classesByName.get(target.className) ?? []) {
        for (const member of declaration.members) {
          if (propertyNameText(member.name) !== memberName || !member.name) continue;
          const type = this.checker.getNonNullableType(this.checker.getTypeAtLocation(member.name));
          const symbol = type.getSymbol() ?? type.aliasSymbol;
          if (symbol) symbols.add(symbol);
        }
      }
    }
    this.lockTypeSymbols = symbols;
    return symbols;
  }
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
  while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipOuterExpressions(node.expression);
  if (node.kind === ts.SyntaxKind.ThisKeyword || node.kind === ts.SyntaxKind.SuperKeyword) return true;
  if (!ts.isIdentifier(node) || depth > MAX_ALIAS_DEPTH) return false;
  const declaration = checker.getSymbolAtLocation(node)?.valueDeclaration;
  const isConst = declaration !== undefined && ts.isVariableDeclaration(declaration) && (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
  return isConst && declaration.initializer !== undefined && isThisRooted(declaration.initializer, checker, depth + 1);
}
