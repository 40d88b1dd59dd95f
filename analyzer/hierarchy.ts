/**
 * Class hierarchy analysis: a call through an interface, an abstract method or an overridable
 * method may run any implementation in the program. For each class, every supertype it extends or
 * implements (transitively) maps each of its member names to the implementation the class uses.
 * An object literal typed as an interface or class (`const s: Store = { put, flush }`, a factory
 * `(): Store => ({ async put() { … } })`, `{ … } satisfies Store`) implements the members its
 * contextual type declares, as a class that `implements` it does.
 */
import { ts } from "ts-morph";
import { propertyNameText, skipOuterExpressions, type ClassInfo, type FunctionIndex, type FunctionUnit } from "./functions.js";

export class ClassHierarchy {
  /** Supertype symbol → member name → implementations in subclasses and implementers. */
  private readonly implementations = new Map<ts.Symbol, Map<string, Set<FunctionUnit>>>();
  private readonly infoByDeclaration = new Map<ts.ClassLikeDeclaration, ClassInfo>();
  private readonly baseCache = new Map<ts.ClassLikeDeclaration, ts.ClassLikeDeclaration | null>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly index: Pick<FunctionIndex, "classes" | "units" | "functionShorthands" | "byDeclaration" | "storedFunctions">,
  ) {
    for (const info of index.classes) this.infoByDeclaration.set(info.declaration, info);
    for (const info of index.classes) this.register(info);
    for (const [literal, members] of objectLiteralMembers(index, checker)) this.registerLiteral(literal, members);
  }

  /** The class a class extends, when it is a class of the program. */
  baseClassOf(declaration: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration | undefined {
    const cached = this.baseCache.get(declaration);
    if (cached !== undefined) return cached ?? undefined;
    let base: ts.ClassLikeDeclaration | null = null;
    const heritage = declaration.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword);
    const expression = heritage?.types[0]?.expression;
    if (expression) {
      const symbol = this.symbolOf(expression);
      base = symbol?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d) && this.infoByDeclaration.has(d)) ?? null;
    }
    this.baseCache.set(declaration, base);
    return base ?? undefined;
  }

  /** The constructor that `new C()` runs: C's own, or the nearest base class's. */
  constructorOf(declaration: ts.ClassLikeDeclaration, constructors: ReadonlyMap<ts.ClassLikeDeclaration, FunctionUnit>): FunctionUnit | undefined {
    const seen = new Set<ts.ClassLikeDeclaration>();
    for (let current: ts.ClassLikeDeclaration | undefined = declaration; current && !seen.has(current); current = this.baseClassOf(current)) {
      seen.add(current);
      const unit = constructors.get(current);
      if (unit) return unit;
    }
    return undefined;
  }

  /**
   * Implementations of a member declared in a class, interface, or object type alias: overrides in
   * subclasses, and for interfaces and abstract members what every implementing class runs.
   */
  implementationsOf(member: ts.Declaration): readonly FunctionUnit[] {
    const name = propertyNameText((member as ts.NamedDeclaration).name as ts.PropertyName | undefined);
    if (name === undefined) return [];
    const container = this.containerSymbol(member);
    if (!container) return [];
    const found = this.implementations.get(container)?.get(name);
    return found ? [...found] : [];
  }

  /**
   * Functions that share one name through overriding or implementing the same member: a caller of
   * that member may run any of them, so the name (and its suffix) speaks for all of them.
   */
  dispatchFamilies(): FunctionUnit[][] {
    const families: FunctionUnit[][] = [];
    for (const [supertype, byName] of this.implementations) {
      for (const [name, units] of byName) {
        const family = new Set(units);
        for (const declaration of supertype.declarations ?? []) {
          if (!ts.isClassLike(declaration)) continue;
          for (const own of this.infoByDeclaration.get(declaration)?.members.get(name) ?? []) family.add(own);
        }
        families.push([...family]);
      }
    }
    return families;
  }

  private stored: Map<ts.Symbol, Set<FunctionUnit>> | undefined;

  /**
   * The functions stored in a collection (`this.handlers.push(cb)`, `map.set(key, cb)`), by the
   * collection's symbol (a member or a variable): invoking one of its elements may run any of them.
   */
  storedIn(collection: ts.Symbol): readonly FunctionUnit[] {
    if (!this.stored) {
      this.stored = new Map();
      for (const { collection: expression, value } of this.index.storedFunctions) {
        const symbol = this.collectionSymbol(expression);
        const unit = symbol && this.storedUnit(value);
        if (!symbol || !unit) continue;
        const units = this.stored.get(symbol);
        if (units) units.add(unit);
        else this.stored.set(symbol, new Set([unit]));
      }
    }
    const found = this.stored.get(collection);
    return found ? [...found] : [];
  }

  /** The symbol a collection expression names: `this.handlers` (the member), `handlers` (the variable). */
  collectionSymbol(expression: ts.Expression): ts.Symbol | undefined {
    const node = skipOuterExpressions(expression);
    if (ts.isPropertyAccessExpression(node)) return this.checker.getSymbolAtLocation(node.name);
    return ts.isIdentifier(node) ? this.symbolOf(node) : undefined;
  }

  /** The unit a stored value is: an inline function, or the function a name denotes. */
  private storedUnit(value: ts.Expression): FunctionUnit | undefined {
    const direct = this.index.byDeclaration.get(value);
    if (direct) return direct;
    const name = ts.isPropertyAccessExpression(value) ? value.name : value;
    for (const declaration of this.symbolOf(name)?.declarations ?? []) {
      const unit = this.index.byDeclaration.get(declaration);
      if (unit) return unit;
    }
    return undefined;
  }

  private containerSymbol(member: ts.Declaration): ts.Symbol | undefined {
    const parent = member.parent;
    if (!parent) return undefined;
    if (ts.isClassLike(parent) || ts.isInterfaceDeclaration(parent)) return this.declaredSymbol(parent);
    if (ts.isTypeLiteralNode(parent) && ts.isTypeAliasDeclaration(parent.parent)) return this.declaredSymbol(parent.parent);
    return undefined;
  }

  private declaredSymbol(declaration: ts.ClassLikeDeclaration | ts.InterfaceDeclaration | ts.TypeAliasDeclaration): ts.Symbol | undefined {
    if (declaration.name) return this.checker.getSymbolAtLocation(declaration.name);
    return (declaration as unknown as { symbol?: ts.Symbol }).symbol;
  }

  private symbolOf(expression: ts.Expression): ts.Symbol | undefined {
    let symbol = this.checker.getSymbolAtLocation(expression);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return symbol;
  }

  /** Interfaces, type aliases and classes that `implements`/interface `extends` clauses name, transitively. */
  private implementedTypes(chain: readonly ts.ClassLikeDeclaration[]): Set<ts.Symbol> {
    const result = new Set<ts.Symbol>();
    const pending: ts.Symbol[] = [];
    for (const declaration of chain) {
      for (const clause of declaration.heritageClauses ?? []) {
        if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
        for (const type of clause.types) {
          const symbol = this.symbolOf(type.expression);
          if (symbol) pending.push(symbol);
        }
      }
    }
    while (pending.length > 0) {
      const symbol = pending.pop()!;
      if (result.has(symbol)) continue;
      result.add(symbol);
      for (const declaration of symbol.declarations ?? []) {
        if (!ts.isInterfaceDeclaration(declaration)) continue;
        for (const clause of declaration.heritageClauses ?? []) {
          for (const type of clause.types) {
            const base = this.symbolOf(type.expression);
            if (base) pending.push(base);
          }
        }
      }
    }
    return result;
  }

  private add(supertype: ts.Symbol, name: string, unit: FunctionUnit): void {
    let byName = this.implementations.get(supertype);
    if (!byName) {
      byName = new Map();
      this.implementations.set(supertype, byName);
    }
    let units = byName.get(name);
    if (!units) {
      units = new Set();
      byName.set(name, units);
    }
    units.add(unit);
  }

  /**
   * An object literal's function members implement the members of the same name that its
   * contextual type declares (on the type itself or inherited from the interfaces it extends).
   */
  private registerLiteral(literal: ts.ObjectLiteralExpression, members: ReadonlyMap<string, readonly FunctionUnit[]>): void {
    const contextual = this.checker.getContextualType(literal);
    if (!contextual) return;
    const types = contextual.isUnionOrIntersection() ? contextual.types : [contextual];
    for (const [name, units] of members) {
      if (name.startsWith("#")) continue;
      for (const type of types) {
        for (const declaration of this.checker.getPropertyOfType(type, name)?.declarations ?? []) {
          if (declaration.parent === literal || declaration.getSourceFile().isDeclarationFile) continue;
          const container = this.containerSymbol(declaration);
          if (container) for (const unit of units) this.add(container, name, unit);
        }
      }
    }
  }

  private register(info: ClassInfo): void {
    const chain: ts.ClassLikeDeclaration[] = [];
    for (let current: ts.ClassLikeDeclaration | undefined = info.declaration; current && !chain.includes(current); current = this.baseClassOf(current)) {
      chain.push(current);
    }
    // Overrides: a call resolved to a base class member may run this class's own member. Only a
    // name the base declares is overridden: same-named members of sibling classes are unrelated,
    // and `#private` members are never reached through another class.
    for (const base of chain.slice(1)) {
      const symbol = this.declaredSymbol(base);
      if (!symbol) continue;
      const declared = new Set(base.members.map((member) => propertyNameText(member.name)));
      for (const [name, units] of info.members) {
        if (name.startsWith("#") || !declared.has(name)) continue;
        for (const unit of units) this.add(symbol, name, unit);
      }
    }
    // Implementations: for each interface member, the member this class runs (its own or inherited).
    for (const supertype of this.implementedTypes(chain)) {
      for (const declaration of supertype.declarations ?? []) {
        const members: readonly ts.Node[] = ts.isInterfaceDeclaration(declaration) || ts.isClassLike(declaration)
          ? declaration.members
          : ts.isTypeAliasDeclaration(declaration) && ts.isTypeLiteralNode(declaration.type)
            ? declaration.type.members
            : [];
        for (const member of members) {
          const name = propertyNameText((member as ts.NamedDeclaration).name as ts.PropertyName | undefined);
          if (name === undefined) continue;
          for (const declaration of chain) {
            const units = this.infoByDeclaration.get(declaration)?.members.get(name);
            if (units?.length) {
              for (const unit of units) this.add(supertype, name, unit);
              break;
            }
          }
        }
      }
    }
  }
}

/**
 * The function members of each object literal of the program, by name: its own (`{ put: async () => …,
 * flush() {} }`) and the functions its shorthand members name (`return { put, flush }`).
 */
function objectLiteralMembers(index: Pick<FunctionIndex, "units" | "functionShorthands" | "byDeclaration">, checker: ts.TypeChecker): Map<ts.ObjectLiteralExpression, Map<string, FunctionUnit[]>> {
  const literals = new Map<ts.ObjectLiteralExpression, Map<string, FunctionUnit[]>>();
  const add = (literal: ts.ObjectLiteralExpression, name: string, unit: FunctionUnit): void => {
    let members = literals.get(literal);
    if (!members) {
      members = new Map();
      literals.set(literal, members);
    }
    const list = members.get(name);
    if (list) list.push(unit);
    else members.set(name, [unit]);
  };
  for (const unit of index.units) {
    const container = unit.container;
    if (container && ts.isObjectLiteralExpression(container) && unit.name !== undefined && (unit.kind === "method" || unit.kind === "getter" || unit.kind === "setter")) add(container, unit.name, unit);
  }
  for (const shorthand of index.functionShorthands) {
    const declaration = checker.getShorthandAssignmentValueSymbol(shorthand)?.valueDeclaration;
    const unit = declaration && index.byDeclaration.get(declaration);
    if (unit) add(shorthand.parent, shorthand.name.text, unit);
  }
  return literals;
}
