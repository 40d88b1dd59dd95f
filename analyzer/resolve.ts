/**
 * Call resolution with the type checker: which functions of the program a call may run.
 *
 * The checker is asked only for the symbol of each callee name (and of function references passed
 * as arguments, of property accesses that may hit an accessor); those are the only per-node type
 * queries the analysis makes besides lock receivers. A symbol's declarations map to units; calls
 * through interfaces, abstract and overridable members add every implementation (ClassHierarchy);
 * `new C()` runs C's constructor or its nearest base class's; `super(...)` the base constructor.
 */
import { ts } from "ts-morph";
import { outerExpressionParent } from "../core/lowering.js";
import { COLLECTION_LOOKUPS, ELEMENT_CALLBACK_METHODS } from "../core/recognition.js";
import { isFunctionExpressionLike, isTypeOnly, memberKey, skipAwait, skipOuterExpressions, type Callee, type FunctionIndex, type FunctionUnit } from "./functions.js";
import type { ClassHierarchy } from "./hierarchy.js";

export interface CallCounts {
  calls: number;
  resolved: number;
  external: number;
  unresolved: number;
}

export interface ResolvedCall {
  callee: Callee;
  /**
   * Argument i of the call is argument `i - argumentShift` of the callee (`f.call(thisArg, a)`
   * shifts by one); undefined when arguments are not passed one by one (`f.apply(thisArg, args)`).
   */
  argumentShift: number | undefined;
}

const UNKNOWN: Callee = { kind: "unknown" };

/** How far `const run = make(); run()` follows a call's result that is itself a call's result. */
const MAX_CLOSURE_DEPTH = 4;

const MEMBER_DECLARATION_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

export class CallResolver {
  readonly counts: CallCounts = { calls: 0, resolved: 0, external: 0, unresolved: 0 };

  constructor(
    private readonly program: ts.Program,
    private readonly checker: ts.TypeChecker,
    private readonly index: FunctionIndex,
    private readonly hierarchy: ClassHierarchy,
  ) {}

  /** Resolves a call or `new` written in `current`'s body, and counts it. */
  resolveCall(call: ts.CallExpression | ts.NewExpression, current: FunctionUnit): ResolvedCall {
    this.counts.calls += 1;
    const resolved = this.resolveCallee(call, current);
    this.count(resolved.callee, resolved.external);
    return { callee: resolved.callee, argumentShift: resolved.argumentShift };
  }

  /** A call that never reaches program code by definition (a task-boundary registration): counted only. */
  countExternalCall(): void {
    this.counts.calls += 1;
    this.counts.external += 1;
  }

  /**
   * A function passed by reference (`xs.forEach(this.visit_rsw)`, `wrap(fn)`): the functions it
   * denotes, the current function's own parameter, or undefined when it is not a function of the
   * program. Only names some function has are looked up.
   */
  resolveReference(expression: ts.Expression, current: FunctionUnit): Callee | undefined {
    let node = skipOuterExpressions(expression);
    // `this.visit.bind(this)` is `this.visit`.
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "bind") {
      node = skipOuterExpressions(node.expression.expression);
    }
    const name = ts.isIdentifier(node) ? node : ts.isPropertyAccessExpression(node) ? node.name : undefined;
    if (!name) return undefined;
    const isOwnParameter = ts.isIdentifier(node) && this.parameterIndex(node.text, current) !== undefined;
    if (!isOwnParameter && !this.index.functionNames.has(ts.isIdentifier(node) ? name.text : memberKey(name.text))) return undefined;
    const result = this.fromSymbol(this.symbolAt(name), current, false);
    return result.callee.kind === "unknown" ? undefined : result.callee;
  }

  /** Getters (kind "get") or setters ("set") a property access may run. */
  resolveAccessor(access: ts.PropertyAccessExpression, kind: "get" | "set"): readonly FunctionUnit[] {
    if (!this.index.accessorNames.has(access.name.text)) return [];
    const symbol = this.checker.getSymbolAtLocation(access.name);
    if (!symbol || !(symbol.flags & ts.SymbolFlags.Accessor)) return [];
    const wanted = kind === "get" ? ts.SyntaxKind.GetAccessor : ts.SyntaxKind.SetAccessor;
    const units = new Set<FunctionUnit>();
    for (const declaration of symbol.declarations ?? []) {
      if (declaration.kind !== wanted) continue;
      const unit = this.index.byDeclaration.get(declaration);
      if (unit) units.add(unit);
      for (const implementation of this.hierarchy.implementationsOf(declaration)) if (implementation.kind === (kind === "get" ? "getter" : "setter")) units.add(implementation);
    }
    if (units.size > 0) {
      this.counts.calls += 1;
      this.counts.resolved += 1;
    }
    return [...units];
  }

  private count(callee: Callee, external: boolean): void {
    if (callee.kind !== "unknown") this.counts.resolved += 1;
    else if (external) this.counts.external += 1;
    else this.counts.unresolved += 1;
  }

  private symbolAt(node: ts.Node): ts.Symbol | undefined {
    let symbol = this.checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return symbol;
  }

  private parameterIndex(name: string, current: FunctionUnit): number | undefined {
    const node = current.node;
    if (ts.isSourceFile(node) || ts.isClassStaticBlockDeclaration(node)) return undefined;
    const index = node.parameters.findIndex((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === name);
    return index >= 0 ? index : undefined;
  }

  private resolveCallee(call: ts.CallExpression | ts.NewExpression, current: FunctionUnit): { callee: Callee; external: boolean; argumentShift: number | undefined } {
    const expression = skipOuterExpressions(call.expression);
    const isNew = ts.isNewExpression(call);
    if (expression.kind === ts.SyntaxKind.SuperKeyword) {
      const ownClass = enclosingClass(current.node);
      const base = ownClass && this.hierarchy.baseClassOf(ownClass);
      const constructor = base && this.hierarchy.constructorOf(base, this.index.constructors);
      return constructor
        ? { callee: { kind: "functions", targets: [constructor] }, external: false, argumentShift: 0 }
        : { callee: UNKNOWN, external: true, argumentShift: 0 };
    }
    if (ts.isPropertyAccessExpression(expression) && (expression.name.text === "call" || expression.name.text === "apply") && !isNew) {
      // `f.call(thisArg, ...)`: resolve `f` when it is a function of the program; otherwise it is a method named call.
      const target = this.resolveReference(expression.expression, current);
      if (target) return { callee: target, external: false, argumentShift: expression.name.text === "call" ? 1 : undefined };
    }
    // `this.runner()()`: the closures the inner call's functions return; `this.handlers.get(name)?.()`: what the collection holds.
    if (ts.isCallExpression(expression) && !isNew) {
      const returned = this.returnedBy(this.resolveCallee(expression, current).callee);
      const lookup = skipOuterExpressions(expression.expression);
      const stored = ts.isPropertyAccessExpression(lookup) && COLLECTION_LOOKUPS.has(lookup.name.text) ? this.storedIn(lookup.expression) : [];
      return { callee: withTargets(returned, stored), external: false, argumentShift: 0 };
    }
    // `this.handlers[i]()`: an element of the collection.
    if (ts.isElementAccessExpression(expression) && !ts.isStringLiteralLike(expression.argumentExpression) && !isNew) {
      return { callee: withTargets(UNKNOWN, this.storedIn(expression.expression)), external: false, argumentShift: 0 };
    }
    const nameNode = ts.isPropertyAccessExpression(expression)
      ? expression.name
      : ts.isElementAccessExpression(expression) && ts.isStringLiteralLike(expression.argumentExpression)
        ? expression.argumentExpression
        : ts.isIdentifier(expression)
          ? expression
          : undefined;
    if (!nameNode) return { callee: UNKNOWN, external: false, argumentShift: 0 };
    // A call can only reach a function of the program through a name some function, class or
    // import of the program has (or the function's own parameter): `parts.push()`,
    // `JSON.stringify()` and most library calls are settled without asking the checker.
    const name = nameNode.text;
    const known = nameNode === expression ? this.index.functionNames.has(name) || this.index.localCallees.has(name) : this.index.functionNames.has(memberKey(name));
    if (!known && (isNew || nameNode !== expression || this.parameterIndex(name, current) === undefined)) {
      return { callee: UNKNOWN, external: true, argumentShift: 0 };
    }
    return { ...this.fromSymbol(this.symbolAt(nameNode), current, isNew), argumentShift: 0 };
  }

  /** The functions stored in the collection an expression names (ClassHierarchy.storedIn). */
  private storedIn(collection: ts.Expression): readonly FunctionUnit[] {
    const symbol = this.hierarchy.collectionSymbol(collection);
    return symbol ? this.hierarchy.storedIn(symbol) : [];
  }

  private closureDepth = 0;
  private readonly returnedCache = new Map<FunctionUnit, readonly FunctionUnit[]>();

  /** What calling the result of a call of `callee` runs: the functions its targets return (`return () => …`). */
  private returnedBy(callee: Callee): Callee {
    if (callee.kind !== "functions") return UNKNOWN;
    const targets = new Set<FunctionUnit>();
    for (const target of callee.targets) for (const closure of this.returnedFunctions(target)) targets.add(closure);
    return targets.size > 0 ? { kind: "functions", targets: [...targets] } : UNKNOWN;
  }

  /** The units a function returns: a function written in its `return` (or as an arrow's body), or a function it names there. */
  private returnedFunctions(unit: FunctionUnit): readonly FunctionUnit[] {
    const cached = this.returnedCache.get(unit);
    if (cached) return cached;
    const found = new Set<FunctionUnit>();
    const node = unit.node;
    const returned: ts.Expression[] = [];
    if (!ts.isSourceFile(node) && !ts.isClassStaticBlockDeclaration(node) && node.body) {
      if (!ts.isBlock(node.body)) returned.push(node.body);
      else {
        const stack: ts.Node[] = [node.body];
        while (stack.length > 0) {
          const current = stack.pop()!;
          if (ts.isReturnStatement(current) && current.expression) returned.push(current.expression);
          ts.forEachChild(current, (child) => {
            // A nested function's `return` is its own.
            if (!ts.isFunctionLike(child) && !isTypeOnly(child)) stack.push(child);
          });
        }
      }
    }
    for (const expression of returned) {
      const value = skipAwait(expression);
      const closure = isFunctionExpressionLike(value) ? this.index.byDeclaration.get(value) : ts.isIdentifier(value) ? this.unitNamed(value) : undefined;
      if (closure) found.add(closure);
    }
    const list = [...found];
    this.returnedCache.set(unit, list);
    return list;
  }

  /** The unit an identifier names (a function declaration, a variable holding a function), or undefined. */
  private unitNamed(identifier: ts.Identifier): FunctionUnit | undefined {
    if (!this.index.functionNames.has(identifier.text)) return undefined;
    for (const declaration of this.symbolAt(identifier)?.declarations ?? []) {
      const unit = this.index.byDeclaration.get(declaration);
      if (unit) return unit;
    }
    return undefined;
  }

  private isExternal(declaration: ts.Node): boolean {
    const sourceFile = declaration.getSourceFile();
    return sourceFile.isDeclarationFile || this.program.isSourceFileFromExternalLibrary(sourceFile) || this.program.isSourceFileDefaultLibrary(sourceFile);
  }

  private fromSymbol(symbol: ts.Symbol | undefined, current: FunctionUnit, isNew: boolean): { callee: Callee; external: boolean } {
    const declarations = symbol?.declarations;
    if (!declarations || declarations.length === 0) return { callee: UNKNOWN, external: false };
    const targets = new Set<FunctionUnit>();
    let external = false;
    for (const declaration of declarations) {
      if (this.isExternal(declaration)) {
        external = true;
        continue;
      }
      // `for (const h of this.handlers) h()`, `this.handlers.forEach((h) => h())`: an element of the collection.
      const elements = isNew ? undefined : elementOf(declaration);
      if (elements) for (const unit of this.storedIn(elements)) targets.add(unit);
      if (ts.isParameter(declaration) && !isNew) {
        if (declaration.parent === current.node) {
          return { callee: { kind: "parameter", index: (current.node as ts.FunctionLikeDeclaration).parameters.indexOf(declaration) }, external: false };
        }
        continue;
      }
      if (isNew && ts.isClassLike(declaration)) {
        const constructor = this.hierarchy.constructorOf(declaration, this.index.constructors);
        if (constructor) targets.add(constructor);
        else external = true; // no constructor code in the program: nothing runs that could take a lock
        continue;
      }
      const unit = this.index.byDeclaration.get(declaration);
      if (unit) targets.add(unit);
      // `const run = this.runner(); run()`: the closures `runner` returns.
      const initializer = !isNew && ts.isVariableDeclaration(declaration) && declaration.initializer ? skipAwait(declaration.initializer) : undefined;
      if (initializer && ts.isCallExpression(initializer) && this.closureDepth < MAX_CLOSURE_DEPTH) {
        this.closureDepth += 1;
        try {
          const returned = this.returnedBy(this.resolveCallee(initializer, current).callee);
          if (returned.kind === "functions") for (const target of returned.targets) targets.add(target);
        } finally {
          this.closureDepth -= 1;
        }
      }
      if (MEMBER_DECLARATION_KINDS.has(declaration.kind)) {
        for (const implementation of this.hierarchy.implementationsOf(declaration)) targets.add(implementation);
      }
    }
    if (targets.size > 0) return { callee: { kind: "functions", targets: [...targets] }, external: false };
    return { callee: UNKNOWN, external };
  }
}

/** A callee with `extra` functions added to what it runs. */
function withTargets(callee: Callee, extra: readonly FunctionUnit[]): Callee {
  if (extra.length === 0) return callee;
  const targets = new Set(callee.kind === "functions" ? callee.targets : []);
  for (const unit of extra) targets.add(unit);
  return { kind: "functions", targets: [...targets] };
}

/**
 * The collection whose elements a variable or parameter is bound to: `h` in `for (const h of
 * this.handlers)` and in `this.handlers.forEach((h) => …)` (the table's `ELEMENT_CALLBACK_METHODS`).
 */
function elementOf(declaration: ts.Declaration): ts.Expression | undefined {
  if (ts.isVariableDeclaration(declaration) && ts.isVariableDeclarationList(declaration.parent) && ts.isForOfStatement(declaration.parent.parent)) {
    return declaration.parent.parent.expression;
  }
  if (!ts.isParameter(declaration) || declaration.parent.parameters[0] !== declaration || !isFunctionExpressionLike(declaration.parent)) return undefined;
  const { parent, child } = outerExpressionParent(ts, declaration.parent);
  if (!ts.isCallExpression(parent) || parent.arguments[0] !== child) return undefined;
  const callee = skipOuterExpressions(parent.expression);
  return ts.isPropertyAccessExpression(callee) && ELEMENT_CALLBACK_METHODS.has(callee.name.text) ? callee.expression : undefined;
}

function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isClassLike(current)) current = current.parent;
  return current;
}
