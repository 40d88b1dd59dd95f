/**
 * The functions of the program, each a unit of analysis with a summary: function declarations,
 * methods (static, `#private`), getters and setters, constructors, class fields and variables whose
 * value is a function, object-literal methods, other closures, and each file's top-level code.
 *
 * A function written inline as an argument (`xs.map((x) => ...)`, `m.runExclusive(async () => ...)`)
 * is not a unit: it runs during that call, so it belongs to the enclosing function, and the shared
 * lowering (core/lowering.ts, `isInlineCallback`) walks it as part of that function.
 */
import { ts } from "ts-morph";
import type { LockRef, Step } from "../core/flow.js";
import * as lowering from "../core/lowering.js";
import { ELEMENT_CALLBACK_METHODS, isStoredArgument } from "../core/recognition.js";

export type UnitKind = "function" | "method" | "getter" | "setter" | "constructor" | "closure" | "module";

/** A function-like node with a body that the analysis treats as a unit. */
export type FunctionNode = ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration;

/** What a call step calls, as resolved by `CallResolver`. */
export type Callee =
  | {
      readonly kind: "functions";
      readonly targets: readonly FunctionUnit[];
      /** Parameter index → the lock this call passes for a lock parameter of a target (undefined entries: not known). */
      readonly lockArguments?: ReadonlyMap<number, LockRef>;
    }
  /** The analyzed function's own parameter (a wrapper invoking the callback it was given). */
  | { readonly kind: "parameter"; readonly index: number }
  /** A call that takes no lock as far as the analysis knows (library, unresolved). */
  | { readonly kind: "unknown" };

export type LockStep = Step<ts.Node, Callee>;

/** What the extractor learned about one unit's body. */
export interface UnitFacts {
  readonly steps: LockStep[];
  /** Every function a call in the body may reach (call-graph edges, task boundaries included). */
  readonly callees: Set<FunctionUnit>;
  /** Acquire and call nodes inside task boundaries: they do not count toward the function's own locks. */
  readonly spawnNodes: Set<ts.Node>;
  /** The body acquires a lock itself. */
  readonly acquires: boolean;
  /** The body calls one of the function's own parameters (it may be a wrapper running a callback). */
  readonly invokesParameter: boolean;
  /** It branches on a flag parameter or passes one on: its summary is specialized on callers' literal flags. */
  readonly flagSensitive: boolean;
}

export interface FunctionUnit {
  readonly id: number;
  readonly kind: UnitKind;
  readonly node: FunctionNode | ts.SourceFile;
  readonly sourceFile: ts.SourceFile;
  /** The name as written (`#withLock` keeps its `#`); undefined for closures, constructors and modules. */
  readonly name?: string;
  /** Where the name is written (for `suffix` findings and renames). */
  readonly nameNode?: ts.Node;
  /** The class or object the function is a member of. */
  readonly container?: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression;
  /** `MemberList.insert_mlw`, `helper_rsw`, `<closure in Server.start>`, `<top level of src/a.ts>`. */
  readonly label: string;
  facts?: UnitFacts;
  /** Why the body could not be analyzed (nesting deeper than the stack allows), when it could not. */
  unanalyzable?: string;
}

export interface ClassInfo {
  readonly declaration: ts.ClassLikeDeclaration;
  readonly name: string;
  /** Own members that are functions, by name (methods, accessors, function-valued fields). */
  readonly members: Map<string, FunctionUnit[]>;
}

export interface FunctionIndex {
  readonly units: FunctionUnit[];
  /** Declaration node (function, method, accessor, constructor, variable, field, property) → unit. */
  readonly byDeclaration: Map<ts.Node, FunctionUnit>;
  readonly constructors: Map<ts.ClassLikeDeclaration, FunctionUnit>;
  readonly classes: ClassInfo[];
  readonly classesByName: Map<string, ts.ClassLikeDeclaration[]>;
  /** Names of getters and setters: only property accesses with these names can run one. */
  readonly accessorNames: Set<string>;
  /**
   * Every name through which a call could reach a function of the program: function and member
   * names, class names, import/export bindings, destructured bindings. A callee named otherwise
   * cannot resolve to a unit, so the type checker is not asked about it. The names a property
   * access can reach a function by (`x.name`: function, member, class and exported names, not local
   * bindings) are in it once more as `memberKey(name)`, so `entry.id` does not reach the checker
   * because some `const { id } = …` exists.
   */
  readonly functionNames: Set<string>;
  /**
   * Shorthand members of object literals that name a function of their file (`return { put, flush }`):
   * the literal may implement an interface with them (ClassHierarchy).
   */
  readonly functionShorthands: ts.ShorthandPropertyAssignment[];
  /**
   * Functions stored in a collection for later (`this.handlers.push(cb)`, `map.set(key, cb)`): the
   * collection as written and the stored value (an inline function, or a name of one).
   */
  readonly storedFunctions: StoredFunction[];
  /**
   * Locals that may hold a function a call returned or an element of a collection: `run` in `const
   * run = this.runner()`, `h` in `for (const h of this.handlers)` and `handlers.forEach((h) => …)`.
   * Only a call of one by name (`run()`) asks the checker, not a reference to it (kept apart from
   * `functionNames`, so `f(id)` for a loop variable `id` is settled without it).
   */
  readonly localCallees: Set<string>;
}

export interface StoredFunction {
  readonly collection: ts.Expression;
  readonly value: ts.Expression;
}

/** How a name that may follow a dot is kept in `FunctionIndex.functionNames`. */
export function memberKey(name: string): string {
  return `.${name}`;
}

/** `foo`, `#foo`, `"foo"`, `1`; undefined for computed names. */
export function propertyNameText(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}

/** Parentheses, `as`, `satisfies`, `!` and `<T>x` do not change what an expression is. */
export function skipOuterExpressions(node: ts.Expression): ts.Expression {
  return lowering.skipOuterExpressions(ts, node);
}

/** The same, and under one `await`: what is awaited. */
export function skipAwait(node: ts.Expression): ts.Expression {
  return lowering.skipAwait(ts, node);
}

function outerExpressionParent(node: ts.Node): { parent: ts.Node; child: ts.Node } {
  return lowering.outerExpressionParent(ts, node);
}

export function isFunctionExpressionLike(node: ts.Node): node is ts.ArrowFunction | ts.FunctionExpression {
  return lowering.isFunctionExpressionLike(ts, node);
}

function className(declaration: ts.ClassLikeDeclaration): string {
  if (declaration.name) return declaration.name.text;
  const { parent } = outerExpressionParent(declaration);
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return "<anonymous class>";
}

function objectLiteralName(literal: ts.ObjectLiteralExpression): string | undefined {
  const { parent } = outerExpressionParent(literal);
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent)) return propertyNameText(parent.name);
  return undefined;
}

function containerLabel(container: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression | undefined): string | undefined {
  if (!container) return undefined;
  return ts.isObjectLiteralExpression(container) ? objectLiteralName(container) : className(container);
}

interface Naming {
  kind: UnitKind;
  name?: string;
  nameNode?: ts.Node;
  container?: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression;
  /** The declaration that calls resolve to, when it is not the function node itself. */
  declaration?: ts.Node;
}

function memberContainer(node: ts.Node): ts.ClassLikeDeclaration | ts.ObjectLiteralExpression | undefined {
  const parent = node.parent;
  if (parent && (ts.isClassLike(parent) || ts.isObjectLiteralExpression(parent))) return parent;
  return undefined;
}

/** How a function node is named, or undefined when it is an inline callback (not a unit). */
function namingOf(fn: FunctionNode): Naming | undefined {
  switch (fn.kind) {
    case ts.SyntaxKind.FunctionDeclaration: {
      const isDefault = fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ?? false;
      if (fn.name) return { kind: "function", name: fn.name.text, nameNode: fn.name };
      return isDefault ? { kind: "function", name: "default" } : { kind: "closure" };
    }
    case ts.SyntaxKind.MethodDeclaration:
      return { kind: "method", name: propertyNameText(fn.name), nameNode: fn.name, container: memberContainer(fn) };
    case ts.SyntaxKind.GetAccessor:
      return { kind: "getter", name: propertyNameText(fn.name), nameNode: fn.name, container: memberContainer(fn) };
    case ts.SyntaxKind.SetAccessor:
      return { kind: "setter", name: propertyNameText(fn.name), nameNode: fn.name, container: memberContainer(fn) };
    case ts.SyntaxKind.Constructor:
      return { kind: "constructor", container: memberContainer(fn) };
    case ts.SyntaxKind.ClassStaticBlockDeclaration:
      return { kind: "closure", container: memberContainer(fn) };
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.FunctionExpression: {
      if (lowering.isInlineCallback(ts, fn)) return undefined;
      const { parent } = outerExpressionParent(fn);
      if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
        return { kind: "function", name: parent.name.text, nameNode: parent.name, declaration: parent };
      }
      if (ts.isPropertyDeclaration(parent) || ts.isPropertyAssignment(parent)) {
        return { kind: "method", name: propertyNameText(parent.name), nameNode: parent.name, container: memberContainer(parent), declaration: parent };
      }
      return { kind: "closure" };
    }
    default:
      return { kind: "closure" };
  }
}

/**
 * Records the functions a call stores in its receiver (`handlers.push(cb)`, the table's
 * `CALLBACK_STORES`), and the element parameter of `handlers.forEach((h) => h())`, whose calls may
 * invoke them.
 */
function noteStoredFunctions(call: ts.CallExpression, index: FunctionIndex): void {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return;
  if (ELEMENT_CALLBACK_METHODS.has(callee.name.text)) {
    const callback = call.arguments[0] && skipOuterExpressions(call.arguments[0]);
    const element = callback && isFunctionExpressionLike(callback) ? callback.parameters[0] : undefined;
    if (element && ts.isIdentifier(element.name)) index.localCallees.add(element.name.text);
    return;
  }
  if (!isStoredArgument(callee.name.text, 0) && !isStoredArgument(callee.name.text, 1)) return;
  call.arguments.forEach((argument, position) => {
    if (!isStoredArgument(callee.name.text, position)) return;
    const value = skipOuterExpressions(argument);
    if (isFunctionExpressionLike(value) || ts.isIdentifier(value) || ts.isPropertyAccessExpression(value)) index.storedFunctions.push({ collection: callee.expression, value });
  });
}

/** `f()`, `await f()`: a value that a call returned. */
function isCallResult(initializer: ts.Expression): boolean {
  return ts.isCallExpression(skipAwait(initializer));
}

/** Type annotations, interfaces and type aliases: no code runs in them. */
export function isTypeOnly(node: ts.Node): boolean {
  return lowering.isTypeOnly(ts, node);
}

function hasBody(node: ts.Node): node is FunctionNode {
  if (node.kind === ts.SyntaxKind.ClassStaticBlockDeclaration) return true;
  return ts.isFunctionLike(node) && "body" in node && (node as ts.FunctionLikeDeclaration).body !== undefined;
}

/**
 * Finds every unit in the files. The walk uses an explicit stack: a generated file may nest
 * expressions far deeper than the call stack allows.
 */
export function collectFunctions(sourceFiles: readonly ts.SourceFile[], relativePath: (fileName: string) => string): FunctionIndex {
  const index: FunctionIndex = {
    units: [],
    byDeclaration: new Map(),
    constructors: new Map(),
    classes: [],
    classesByName: new Map(),
    accessorNames: new Set(),
    functionNames: new Set(),
    functionShorthands: [],
    storedFunctions: [],
    localCallees: new Set(),
  };
  const classInfos = new Map<ts.ClassLikeDeclaration, ClassInfo>();

  const addUnit = (unit: FunctionUnit) => {
    index.units.push(unit);
    if (unit.name !== undefined) index.functionNames.add(unit.name).add(memberKey(unit.name));
  };

  for (const sourceFile of sourceFiles) {
    const moduleUnit: FunctionUnit = {
      id: index.units.length,
      kind: "module",
      node: sourceFile,
      sourceFile,
      label: `<top level of ${relativePath(sourceFile.fileName)}>`,
    };
    addUnit(moduleUnit);

    const stack: { node: ts.Node; enclosing: FunctionUnit }[] = [];
    const pushChildren = (node: ts.Node, enclosing: FunctionUnit) => {
      const children: ts.Node[] = [];
      ts.forEachChild(node, (child) => {
        // Types hold no code; skipping them keeps the walk to the executable part of the tree.
        if (!isTypeOnly(child)) children.push(child);
      });
      for (let i = children.length - 1; i >= 0; i -= 1) stack.push({ node: children[i], enclosing });
    };
    pushChildren(sourceFile, moduleUnit);
    const shorthands: ts.ShorthandPropertyAssignment[] = [];
    const fileFunctions = new Set<string>();

    while (stack.length > 0) {
      const { node, enclosing } = stack.pop()!;
      if (ts.isClassLike(node)) {
        const name = className(node);
        const info: ClassInfo = { declaration: node, name, members: new Map() };
        classInfos.set(node, info);
        index.classes.push(info);
        const list = index.classesByName.get(name) ?? [];
        list.push(node);
        index.classesByName.set(name, list);
        index.functionNames.add(name).add(memberKey(name));
      } else if (ts.isShorthandPropertyAssignment(node)) {
        shorthands.push(node);
      } else if (ts.isCallExpression(node)) {
        noteStoredFunctions(node, index);
      } else if (ts.isForOfStatement(node) && ts.isVariableDeclarationList(node.initializer)) {
        // `for (const handler of this.handlers) handler()` invokes what the collection holds.
        for (const declaration of node.initializer.declarations) if (ts.isIdentifier(declaration.name)) index.localCallees.add(declaration.name.text);
      } else if (ts.isExportSpecifier(node)) {
        // `ns.name` after `import * as ns` reaches what the module exports under that name.
        index.functionNames.add(node.name.text).add(memberKey(node.name.text));
      } else if (ts.isImportSpecifier(node) || ts.isNamespaceImport(node) || ts.isImportEqualsDeclaration(node)) {
        index.functionNames.add(node.name.text);
      } else if (ts.isImportClause(node) && node.name) {
        index.functionNames.add(node.name.text);
      } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isCallResult(node.initializer)) {
        // `const run = this.runner(); run()` may call the closure `runner` returns.
        index.localCallees.add(node.name.text);
      } else if (ts.isBindingElement(node) && ts.isIdentifier(node.name)) {
        index.functionNames.add(node.name.text);
      } else if ((ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) && propertyNameText(node.name) !== undefined) {
        index.accessorNames.add(propertyNameText(node.name)!);
      }

      let childEnclosing = enclosing;
      if (hasBody(node)) {
        const naming = namingOf(node);
        if (naming) {
          const container = naming.container;
          const owner = containerLabel(container);
          const label =
            naming.kind === "constructor"
              ? `${owner ?? "<class>"}.constructor`
              : naming.name === undefined
                ? `<closure in ${enclosing.label}>`
                : owner
                  ? `${owner}.${naming.name}`
                  : naming.name;
          const unit: FunctionUnit = {
            id: index.units.length,
            kind: naming.kind,
            node,
            sourceFile,
            label,
            ...(naming.name === undefined ? {} : { name: naming.name }),
            ...(naming.nameNode === undefined ? {} : { nameNode: naming.nameNode }),
            ...(container === undefined ? {} : { container }),
          };
          addUnit(unit);
          if (unit.kind === "function" && unit.name !== undefined) fileFunctions.add(unit.name);
          index.byDeclaration.set(node, unit);
          if (naming.declaration) index.byDeclaration.set(naming.declaration, unit);
          if (naming.kind === "constructor" && container && ts.isClassLike(container)) index.constructors.set(container, unit);
          if (container && ts.isClassLike(container) && naming.name !== undefined) {
            const info = classInfos.get(container);
            if (info) {
              const members = info.members.get(naming.name) ?? [];
              members.push(unit);
              info.members.set(naming.name, members);
            }
          }
          childEnclosing = unit;
        }
      }
      pushChildren(node, childEnclosing);
    }
    for (const shorthand of shorthands) if (fileFunctions.has(shorthand.name.text)) index.functionShorthands.push(shorthand);
  }
  return index;
}
