/**
 * The lowering: one function body of the TypeScript AST → the `Step` program that core/flow.ts runs.
 *
 * It knows the syntax of acquisitions, releases, calls, callbacks, task boundaries and control flow;
 * what a name denotes (which lock a receiver is, which function a call runs) is asked of the front
 * end through `LoweringHost`. It never imports `typescript` at run time: the caller hands it the `ts`
 * namespace its nodes come from, because ts-morph bundles its own TypeScript, whose `SyntaxKind`
 * values need not match those of the `typescript` package that typescript-eslint uses.
 *
 * What is one unit: a function written inline as a call argument, or called on the spot, runs during
 * that call and is lowered as part of the enclosing unit (`isInlineCallback`); any other function
 * (declared, returned, stored) is a unit of its own, and its body is not walked here.
 *
 * The recognized forms (the recognition table in core/recognition.ts says which method has which
 * shape; the lock's `methods` which names acquire and release it):
 * - callback forms (`runExclusive(fn)`, …, or any acquisition given an inline function): held in `fn`;
 * - guards and releasers (`const release = await m.acquire()`, `using g = await l.write()`), released by
 *   `release()`, `g.release()`, `g[Symbol.dispose]()` or the end of the `using` scope;
 * - `m.acquire().then((release) => …)`: held while the callback runs;
 * - manual `await m.acquire()` (result unused, or a method that returns no releaser such as
 *   `acquireAsync()`), released by `m.release()`;
 * - try-locks (`tryAcquire()`, which never waits): held in `if (lock.tryAcquire()) { … }` and after
 *   `if (!lock.tryAcquire()) return;`; elsewhere held from the call on, not tracked for release;
 * - task boundaries (timers, `process.nextTick`, event registration, routes with a path, `void expr`)
 *   become `spawn` steps;
 * - inline function arguments run during the call (`callbacks`), and so do functions passed by
 *   reference (`xs.forEach(this.visit)`), as a call to that function inside the callback — except
 *   where the call stores them in its receiver (`handlers.push(cb)`, `map.set(key, cb)`: the table's
 *   `CALLBACK_STORES`): a stored inline function is a unit of its own, and storing runs nothing.
 */
import type * as TS from "typescript";
import { KEY_TEMPLATE_MEMBERS, keyNames, keyTemplateOf, moduleDeclarationNames, type KeyArguments, type KeyTemplate } from "./key-template.js";
import { CONSUMER_ARGUMENT, lockKindOf, type CallbackArgument, type FlagPath, type FlagTest, type FlagValue, type LockRef, type Step } from "./flow.js";
import { namedTargetKey, type LockKind, type MethodCategory } from "./policy.js";
import {
  DISPOSE_SYMBOL_OWNER,
  DISPOSE_SYMBOLS,
  GENERATOR_FINISH_METHODS,
  isStoredArgument,
  isTaskBoundaryCall,
  KEY_ARGUMENT,
  methodShape,
  namedLocksOf,
  PROMISE_CONTINUATION,
  returnsHandle,
  type MethodShape,
} from "./recognition.js";

/** What the lowering reads from the `ts` namespace of its caller (see `TypeScript`). */
const TYPESCRIPT_MEMBERS = [
  "NodeFlags",
  "SyntaxKind",
  "forEachChild",
  "isArrayBindingPattern",
  "isArrayLiteralExpression",
  "isAsExpression",
  "isAwaitExpression",
  "isBinaryExpression",
  "isBindingElement",
  "isBlock",
  "isCallExpression",
  "isCaseClause",
  "isClassStaticBlockDeclaration",
  "isComputedPropertyName",
  "isDefaultClause",
  "isElementAccessExpression",
  "isForOfStatement",
  "isIdentifier",
  "isNewExpression",
  "isNonNullExpression",
  "isObjectLiteralExpression",
  "isParenthesizedExpression",
  "isPrefixUnaryExpression",
  "isPrivateIdentifier",
  "isPropertyAccessExpression",
  "isPropertyAssignment",
  "isPropertyDeclaration",
  "isSatisfiesExpression",
  "isShorthandPropertyAssignment",
  "isSourceFile",
  "isSpreadAssignment",
  "isStringLiteral",
  "isStringLiteralLike",
  "isTypeAssertionExpression",
  "isVariableDeclarationList",
  ...KEY_TEMPLATE_MEMBERS,
] as const;

/**
 * What the lowering reads from the `ts` namespace of its caller: the `typescript` package, or
 * ts-morph's bundled copy (the two namespaces differ as wholes, but agree on these members).
 */
export type TypeScript = Pick<typeof TS, (typeof TYPESCRIPT_MEMBERS)[number]>;

const plainNamespaces = new WeakMap<TypeScript, TypeScript>();

/**
 * The members the lowering reads, copied into a plain object once per namespace. TypeScript's
 * module exports every member through a getter (its bundle's `__export`), so each
 * `ts.SyntaxKind.X` and `ts.isIdentifier(…)` in the walk was a getter call: about a tenth of the
 * lowering's time.
 */
export function plainTypeScript(ts: TypeScript): TypeScript {
  let plain = plainNamespaces.get(ts);
  if (!plain) {
    plain = Object.fromEntries(TYPESCRIPT_MEMBERS.map((member) => [member, ts[member]])) as unknown as TypeScript;
    plainNamespaces.set(ts, plain);
    plainNamespaces.set(plain, plain);
  }
  return plain;
}

/** What a lock method does (lock-order.json's method categories: `atomic` and `atomicRead` take and release within the call). */
export type LockAction = MethodCategory;

/** A lowered step program; `C` is the front end's description of a callee. */
export type LockStep<C> = Step<TS.Node, C>;

/**
 * What the lowering starts from: a function-like declaration, a class static block, a class field's
 * initializer (it runs in the constructor), or a file's top-level code.
 */
export type LoweredNode = TS.FunctionLikeDeclaration | TS.ClassStaticBlockDeclaration | TS.PropertyDeclaration | TS.SourceFile;

export interface ResolvedCall<C> {
  /** The callee, or undefined for a call that takes no lock as far as the front end knows. */
  readonly callee: C | undefined;
  /**
   * Argument i of the call is argument `i - argumentShift` of the callee (`f.call(thisArg, a)`
   * shifts by one); undefined when arguments are not passed one by one (`f.apply(thisArg, args)`),
   * or when the front end does not track arguments.
   */
  readonly argumentShift: number | undefined;
}

/**
 * What a front end answers about names; `U` is its notion of the unit being lowered (handed back
 * unchanged, so a resolver can be shared by every unit of a run).
 */
export interface LoweringHost<C, U> {
  readonly ts: TypeScript;
  /** Every method name that may acquire or release a lock: other calls are never lock calls. */
  readonly lockMethodNames: ReadonlySet<string>;
  /** Method names that release a guard (`guard.release()`). */
  readonly releaseNames: ReadonlySet<string>;
  /** The callee of a call step whose callee is unknown but whose inline callbacks must still run. */
  readonly unknownCallee: C;
  /** The lock a receiver denotes, or undefined. */
  resolveLock(receiver: TS.Expression, unit: U): LockRef | undefined;
  /**
   * The lock a global lock manager names by a literal (`navigator.locks.request("cache", cb)`), by its
   * target text (`navigator.locks:cache`): the declared lock of that target, or (lock-audit) an
   * undeclared lock of that key with the table's `kind`; undefined: not a lock this front end checks.
   */
  resolveNamedLock(target: string, kind: LockKind | undefined, unit: U): LockRef | undefined;
  /** What `method` does on `lock`, or undefined when it is not one of its lock methods. */
  classify(lock: LockRef, method: string): LockAction | undefined;
  resolveCall(call: TS.CallExpression | TS.NewExpression, unit: U): ResolvedCall<C>;
  /** A function passed by reference (`this.visit`, `helper`, `this.visit.bind(this)`), or undefined. */
  resolveReference(expression: TS.Expression, unit: U): C | undefined;
  /** The getter or setter a property access runs, or undefined. */
  resolveAccessor?(access: TS.PropertyAccessExpression, kind: "get" | "set", unit: U): C | undefined;
  /** Called for every call step, with its callee (lock-audit builds its call graph from these). */
  noteCallee?(callee: C, unit: U): void;
  /**
   * Whether the function releases the releaser or guard `call` returns into `handle` itself: false
   * when it escapes (returned, stored, passed on, captured by a closure). Without it, every bound
   * releaser is the function's own.
   */
  guardOwned?(call: TS.CallExpression, handle: string, unit: U): boolean;
  /**
   * Generators (lock-audit): the callee a `yield` of the unit invokes — its consumer, at
   * `CONSUMER_ARGUMENT` — and whether a callee is a generator whose consumer a `for … of` over its
   * call runs (the loop body, as the callback at `CONSUMER_ARGUMENT`). Without them a `yield` only
   * awaits and a loop over a generator runs after the call.
   */
  consumerCallee?(unit: U): C | undefined;
  runsConsumer?(callee: C): boolean;
  /** A task-boundary registration (`setTimeout(fn)`): a call that runs no program code during the call. */
  noteTaskBoundaryCall?(): void;
  /**
   * Record flag tests and flag arguments (`if (!options?.skipLock)`, `f({ skipLock: true })`) for
   * summaries specialized on them (lock-audit); a front end that has no such summaries leaves it off.
   */
  readonly specializesOnFlags?: boolean;
  /**
   * Record keys as templates in the unit's parameters and the key texts calls pass (`accountKey(id)`,
   * `this.debit(id)`), for summaries that map a callee's key into its callers (lock-audit).
   */
  readonly keysAcrossCalls?: boolean;
}

export interface LoweredUnit<C> {
  readonly steps: LockStep<C>[];
  /** Acquire and call nodes inside task boundaries: they do not count toward the unit's own locks. */
  readonly spawnNodes: Set<TS.Node>;
  /** The body acquires a lock itself. */
  readonly acquires: boolean;
  /** How many acquisition sites the body has. */
  readonly lockSites: number;
  /**
   * The body branches on a flag parameter (`if (!options?.skipLock)`) or passes one on to a call:
   * what it takes may depend on the caller's literal arguments.
   */
  readonly flagSensitive: boolean;
}

/** The environment variable that makes lowering errors fatal (the test suite sets it to `1`). */
export const STRICT_LOWERING_ENV = "LOCK_DISCIPLINE_STRICT";

/**
 * Whether an error thrown while lowering a unit must be rethrown. Production leaves the unit out
 * (ESLint: silent; lock-audit: an `unanalyzable` note); in strict mode only a `RangeError` — code
 * nested deeper than the stack allows, a limit of the input rather than a lowering bug — is tolerated.
 */
export function isFatalLoweringError(error: unknown): boolean {
  if (error instanceof RangeError) return false;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[STRICT_LOWERING_ENV] === "1";
}

/** Lowers one unit. Throws on a shape it does not understand (the front end decides what to do). */
export function lowerUnit<C, U>(node: LoweredNode, host: LoweringHost<C, U>, unit: U): LoweredUnit<C> {
  return new UnitWalker(host, unit, node.getSourceFile()).run(node);
}

// ---- syntax shared with the front ends' unit partition ----

/** Parentheses, `as`, `satisfies`, `!` and `<T>x` do not change what an expression is. */
export function skipOuterExpressions(ts: TypeScript, node: TS.Expression): TS.Expression {
  let current = node;
  for (;;) {
    if (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isNonNullExpression(current) || ts.isTypeAssertionExpression(current)) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

/** The nearest parent that is not a parenthesis or type assertion around `node`, and the child of it that holds `node`. */
export function outerExpressionParent(ts: TypeScript, node: TS.Node): { parent: TS.Node; child: TS.Node } {
  let child = node;
  let parent = node.parent;
  while (
    parent &&
    (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent) || ts.isNonNullExpression(parent) || ts.isTypeAssertionExpression(parent))
  ) {
    child = parent;
    parent = parent.parent;
  }
  return { parent, child };
}

export function isFunctionExpressionLike(ts: TypeScript, node: TS.Node): node is TS.ArrowFunction | TS.FunctionExpression {
  return node.kind === ts.SyntaxKind.ArrowFunction || node.kind === ts.SyntaxKind.FunctionExpression;
}

/** An arrow or function expression written as a call argument or called on the spot: part of the enclosing unit. */
export function isInlineCallback(ts: TypeScript, fn: TS.ArrowFunction | TS.FunctionExpression): boolean {
  const { parent, child } = outerExpressionParent(ts, fn);
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    if (parent.expression === child) return true;
    const index = parent.arguments?.indexOf(child as TS.Expression) ?? -1;
    // `this.handlers.push(async () => …)`: stored for later, a unit of its own (run where an element is invoked).
    return index >= 0 && !(ts.isCallExpression(parent) && storesArgument(ts, parent, index));
  }
  return false;
}

/** Whether a call stores its argument `index` in its receiver (`handlers.push(cb)`, `map.set(key, cb)`): it does not run it. */
export function storesArgument(ts: TypeScript, call: TS.CallExpression, index: number): boolean {
  const callee = skipOuterExpressions(ts, call.expression);
  return ts.isPropertyAccessExpression(callee) && isStoredArgument(callee.name.text, index);
}

/** The expression under any parentheses, casts and one `await`. */
export function skipAwait(ts: TypeScript, expression: TS.Expression): TS.Expression {
  const node = skipOuterExpressions(ts, expression);
  return ts.isAwaitExpression(node) ? skipOuterExpressions(ts, node.expression) : node;
}

/** Whether the lock's methods take its key as their first argument: a keyed lock, unless it was looked up by key in a collection. */
export function takesKeyArgument(lock: LockRef): boolean {
  return lockKindOf(lock) === "keyed" && lock.lookupKey === undefined;
}

/** The table's shape of a method on this lock: the lock's own (a wrapper's, a library's), else the method name's. */
export function lockMethodShape(lock: LockRef, method: string): MethodShape {
  return lock.methodShapes?.get(method) ?? methodShape(method, takesKeyArgument(lock));
}

/** Where the shape puts the callback among a call's arguments, counted after a keyed lock's key; undefined for none. */
export function callbackArgumentIndex(shape: MethodShape, lock: LockRef, argumentCount: number): number | undefined {
  if (shape.callback === "last") return argumentCount > 0 ? argumentCount - 1 : undefined;
  return shape.callback === undefined ? undefined : shape.callback + (takesKeyArgument(lock) ? 1 : 0);
}

/** Whether a flag value passes on something of the calling function's own parameters. */
function mentionsParameter(value: FlagValue): boolean {
  if (value.kind === "forward") return true;
  if (value.kind !== "object") return false;
  if (value.spread) return true;
  for (const field of value.fields.values()) if (mentionsParameter(field)) return true;
  return false;
}

/** Type annotations, interfaces and type aliases: no code runs in them. */
export function isTypeOnly(ts: TypeScript, node: TS.Node): boolean {
  const kind = node.kind;
  return (
    (kind >= ts.SyntaxKind.FirstTypeNode && kind <= ts.SyntaxKind.LastTypeNode) ||
    kind === ts.SyntaxKind.InterfaceDeclaration ||
    kind === ts.SyntaxKind.TypeAliasDeclaration ||
    kind === ts.SyntaxKind.TypeParameter ||
    kind === ts.SyntaxKind.HeritageClause ||
    kind === ts.SyntaxKind.Decorator
  );
}

/** Whether a node is a unit of its own (see the module comment). */
function isUnitNode(ts: TypeScript, node: TS.Node): boolean {
  switch (node.kind) {
    case ts.SyntaxKind.FunctionDeclaration:
    case ts.SyntaxKind.MethodDeclaration:
    case ts.SyntaxKind.GetAccessor:
    case ts.SyntaxKind.SetAccessor:
    case ts.SyntaxKind.Constructor:
      return (node as TS.FunctionLikeDeclaration).body !== undefined;
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.FunctionExpression:
      return !isInlineCallback(ts, node as TS.ArrowFunction | TS.FunctionExpression);
    case ts.SyntaxKind.ClassStaticBlockDeclaration:
      return true;
    case ts.SyntaxKind.PropertyDeclaration: {
      // A field whose value is a function is that function's unit; any other initializer runs in the constructor.
      const initializer = (node as TS.PropertyDeclaration).initializer;
      return initializer !== undefined && !isFunctionExpressionLike(ts, initializer);
    }
    default:
      return false;
  }
}

/**
 * The units of a file: its top-level code first, then every function, static block and field
 * initializer that is a unit of its own, in no particular order. A node whose text range
 * [pos, end) `relevant` rejects is left out with everything nested in it (a front end's filter for
 * code that mentions no lock). The walk uses an explicit stack: generated code may nest deeper than
 * the call stack allows.
 */
export function collectUnits(ts: TypeScript, sourceFile: TS.SourceFile, relevant?: (pos: number, end: number) => boolean): LoweredNode[] {
  ts = plainTypeScript(ts);
  const units: LoweredNode[] = [sourceFile];
  const stack: TS.Node[] = [];
  const push = (child: TS.Node): void => {
    if (!isTypeOnly(ts, child) && (!relevant || relevant(child.pos, child.end))) stack.push(child);
  };
  ts.forEachChild(sourceFile, push);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (isUnitNode(ts, node)) units.push(node as LoweredNode);
    ts.forEachChild(node, push);
  }
  return units;
}

// ---- the walk ----

interface LockCall {
  call: TS.CallExpression;
  lock: LockRef;
  method: string;
  /** An acquisition's mode (`write`, `read`) or a release; a one-shot method is its mode and `atomic`. */
  action: "write" | "read" | "release";
  /** The method takes the lock and releases it before it returns (`methods.atomic`, `methods.atomicRead`). */
  atomic: boolean;
  /** The method's shape in the recognition table. */
  shape: MethodShape;
}

function isModuleCode(ts: TypeScript, statement: TS.Statement): boolean {
  switch (statement.kind) {
    case ts.SyntaxKind.FunctionDeclaration:
    case ts.SyntaxKind.ClassDeclaration:
    case ts.SyntaxKind.InterfaceDeclaration:
    case ts.SyntaxKind.TypeAliasDeclaration:
    case ts.SyntaxKind.EnumDeclaration:
    case ts.SyntaxKind.ModuleDeclaration:
    case ts.SyntaxKind.ImportDeclaration:
    case ts.SyntaxKind.ImportEqualsDeclaration:
    case ts.SyntaxKind.ExportDeclaration:
      return false;
    default:
      return true;
  }
}

function endsClause(ts: TypeScript, statement: TS.Statement | undefined): boolean {
  if (!statement) return false;
  const kind = statement.kind;
  return kind === ts.SyntaxKind.BreakStatement || kind === ts.SyntaxKind.ReturnStatement || kind === ts.SyntaxKind.ThrowStatement || kind === ts.SyntaxKind.ContinueStatement;
}

function flattenBlocks(ts: TypeScript, statements: readonly TS.Statement[]): TS.Statement[] {
  const flat: TS.Statement[] = [];
  for (const statement of statements) {
    if (ts.isBlock(statement)) flat.push(...flattenBlocks(ts, statement.statements));
    else flat.push(statement);
  }
  return flat;
}

function isIterationStatement(ts: TypeScript, node: TS.Statement): boolean {
  switch (node.kind) {
    case ts.SyntaxKind.ForStatement:
    case ts.SyntaxKind.ForInStatement:
    case ts.SyntaxKind.ForOfStatement:
    case ts.SyntaxKind.WhileStatement:
    case ts.SyntaxKind.DoStatement:
      return true;
    default:
      return false;
  }
}

function isSymbolDispose(ts: TypeScript, node: TS.Expression): boolean {
  const expression = skipOuterExpressions(ts, node);
  return (
    ts.isPropertyAccessExpression(expression) &&
    DISPOSE_SYMBOLS.has(expression.name.text) &&
    ts.isIdentifier(expression.expression) &&
    expression.expression.text === DISPOSE_SYMBOL_OWNER
  );
}

/** `true`, `(true)`: a loop condition that never ends the loop. */
function isTrueLiteral(ts: TypeScript, node: TS.Expression): boolean {
  return skipOuterExpressions(ts, node).kind === ts.SyntaxKind.TrueKeyword;
}

function isLogicalOperator(ts: TypeScript, kind: TS.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.AmpersandAmpersandToken || kind === ts.SyntaxKind.BarBarToken || kind === ts.SyntaxKind.QuestionQuestionToken;
}

function isAssignmentOperator(ts: TypeScript, kind: TS.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** The variable a releaser or guard is bound to: `release`, `guard`, or `[, release]` from a Semaphore. */
function handleName(ts: TypeScript, name: TS.BindingName | TS.Expression): string | undefined {
  if (ts.isIdentifier(name)) return name.text;
  if (ts.isArrayBindingPattern(name)) {
    const last = name.elements[name.elements.length - 1];
    return last && ts.isBindingElement(last) && ts.isIdentifier(last.name) ? last.name.text : undefined;
  }
  return undefined;
}

/** `navigator.locks`: a chain of plain identifiers as written, or undefined for any other expression. */
function dottedName(ts: TypeScript, node: TS.Expression): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (!ts.isPropertyAccessExpression(node)) return undefined;
  const head = dottedName(ts, skipOuterExpressions(ts, node.expression));
  return head === undefined ? undefined : `${head}.${node.name.text}`;
}

/** An argument that may name a function: `helper`, `this.visit`, `this.visit.bind(this)`. */
function mayReferenceFunction(ts: TypeScript, node: TS.Expression): boolean {
  if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) return true;
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "bind";
}

function isTaskBoundary(ts: TypeScript, call: TS.CallExpression): boolean {
  const callee = skipOuterExpressions(ts, call.expression);
  if (ts.isIdentifier(callee)) return isTaskBoundaryCall(callee.text, false, undefined);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const receiver = skipOuterExpressions(ts, callee.expression);
  const first = call.arguments[0] && skipOuterExpressions(ts, call.arguments[0]);
  const pathFirst = first !== undefined && (ts.isStringLiteralLike(first) || first.kind === ts.SyntaxKind.TemplateExpression);
  return isTaskBoundaryCall(callee.name.text, true, ts.isIdentifier(receiver) ? receiver.text : undefined, pathFirst);
}

/** What a `break` leaves: a loop (a `break` step for the core), or a switch or labeled block (no step). */
type BreakTarget = "loop" | "other";

/** Builds the steps of one unit. Inline callbacks are walked as part of it; other nested functions are units of their own. */
class UnitWalker<C, U> {
  private readonly ts: TypeScript;
  private readonly spawnNodes = new Set<TS.Node>();
  /** Variables bound to a releaser or guard in this function. */
  private readonly handles = new Set<string>();
  private readonly lockCalls = new Map<TS.CallExpression, LockCall | null>();
  private spawnDepth = 0;
  private breakTargets: BreakTarget[] = [];
  /** Labels in scope (created at the first labeled statement: most code has none). */
  private labels: Map<string, BreakTarget> | undefined;
  private acquires = false;
  private lockSites = 0;
  /** The unit function's plain parameters by name, for flag tests (`options?.skipLock`). */
  private parameters: ReadonlyMap<string, number> = new Map();
  /** The unit function, for the names its key templates may use (computed on first use). */
  private unitFunction: TS.FunctionLikeDeclaration | undefined;
  private keyNameSets: ReturnType<typeof keyNames> | undefined;
  private flagSensitive = false;
  /** The call a `return` statement returns, while its expression is lowered. */
  private returnedCall: TS.CallExpression | undefined;
  /** Variables bound to the result of a call that may hand over a releaser (`const release = await this.lock()`). */
  private readonly handedHandles = new Set<string>();

  constructor(
    private readonly host: LoweringHost<C, U>,
    private readonly unit: U,
    private readonly sourceFile: TS.SourceFile,
  ) {
    this.ts = plainTypeScript(host.ts);
  }

  run(node: LoweredNode): LoweredUnit<C> {
    const ts = this.ts;
    let steps: LockStep<C>[];
    if (ts.isSourceFile(node)) steps = this.statements(node.statements.filter((statement) => isModuleCode(ts, statement)));
    else if (ts.isClassStaticBlockDeclaration(node)) steps = this.statements(node.body.statements);
    else if (ts.isPropertyDeclaration(node)) {
      steps = [];
      if (node.initializer) this.expression(node.initializer, steps);
    } else {
      const parameters = new Map<string, number>();
      node.parameters.forEach((parameter, index) => {
        if (ts.isIdentifier(parameter.name) && !parameter.dotDotDotToken) parameters.set(parameter.name.text, index);
      });
      this.parameters = parameters;
      this.unitFunction = node;
      steps = this.functionBody(node);
    }
    return { steps, spawnNodes: this.spawnNodes, acquires: this.acquires, lockSites: this.lockSites, flagSensitive: this.flagSensitive };
  }

  // ---- statements ----

  private functionBody(fn: TS.FunctionLikeDeclaration): LockStep<C>[] {
    const ts = this.ts;
    const savedTargets = this.breakTargets;
    const savedLabels = this.labels;
    this.breakTargets = [];
    this.labels = undefined;
    try {
      const body = fn.body;
      if (!body) return [];
      if (ts.isBlock(body)) return this.statements(body.statements);
      const out: LockStep<C>[] = [];
      this.expression(body, out);
      return out;
    } finally {
      this.breakTargets = savedTargets;
      this.labels = savedLabels;
    }
  }

  private statements(list: readonly TS.Statement[]): LockStep<C>[] {
    const out: LockStep<C>[] = [];
    for (const statement of list) this.statement(statement, out);
    return out;
  }

  private nested(statement: TS.Statement): LockStep<C>[] {
    const out: LockStep<C>[] = [];
    this.statement(statement, out);
    return out;
  }

  private loopBody(build: (out: LockStep<C>[]) => void): LockStep<C>[] {
    this.breakTargets.push("loop");
    const body: LockStep<C>[] = [];
    try {
      build(body);
    } finally {
      this.breakTargets.pop();
    }
    return body;
  }

  private statement(statement: TS.Statement, out: LockStep<C>[]): void {
    const ts = this.ts;
    switch (statement.kind) {
      case ts.SyntaxKind.Block:
        out.push({ type: "scope", body: this.statements((statement as TS.Block).statements) });
        return;
      case ts.SyntaxKind.VariableStatement:
        this.variables((statement as TS.VariableStatement).declarationList, out);
        return;
      case ts.SyntaxKind.ExpressionStatement:
        this.expressionStatement((statement as TS.ExpressionStatement).expression, out);
        return;
      case ts.SyntaxKind.IfStatement: {
        const node = statement as TS.IfStatement;
        if (this.triedIf(node, out)) return;
        this.expression(node.expression, out);
        const then = this.nested(node.thenStatement);
        const otherwise = node.elseStatement ? this.nested(node.elseStatement) : [];
        if (then.length || otherwise.length) out.push(this.branch([then, otherwise], this.flagTest(node.expression, false)));
        return;
      }
      case ts.SyntaxKind.SwitchStatement:
        this.switchStatement(statement as TS.SwitchStatement, out);
        return;
      case ts.SyntaxKind.ForStatement: {
        const node = statement as TS.ForStatement;
        if (node.initializer) {
          if (ts.isVariableDeclarationList(node.initializer)) this.variables(node.initializer, out);
          else this.expression(node.initializer, out);
        }
        const body = this.loopBody((inner) => {
          if (node.condition) this.expression(node.condition, inner);
          this.statement(node.statement, inner);
          if (node.incrementor) this.expression(node.incrementor, inner);
        });
        if (body.length) out.push({ type: "loop", body, ...(!node.condition || isTrueLiteral(ts, node.condition) ? { endless: true } : {}) });
        return;
      }
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.ForInStatement: {
        const node = statement as TS.ForOfStatement | TS.ForInStatement;
        const iterated: LockStep<C>[] = [];
        this.expression(node.expression, iterated);
        const isAwait = ts.isForOfStatement(node) && node.awaitModifier !== undefined;
        const body = this.loopBody((inner) => {
          if (isAwait) inner.push({ type: "await", node });
          this.statement(node.statement, inner);
        });
        const loop: LockStep<C>[] = body.length ? [{ type: "loop", body }] : [];
        // `for await (const block of this.getMany(cids))`: the body is the generator's consumer, run at its yields.
        const iterable = skipOuterExpressions(ts, node.expression);
        const last = iterated[iterated.length - 1];
        if (ts.isForOfStatement(node) && last?.type === "call" && last.node === iterable && this.host.runsConsumer?.(last.callee)) {
          iterated[iterated.length - 1] = { ...last, callbacks: [...last.callbacks, { argIndex: CONSUMER_ARGUMENT, body: loop }] };
          out.push(...iterated);
          return;
        }
        out.push(...iterated, ...loop);
        return;
      }
      case ts.SyntaxKind.WhileStatement: {
        const node = statement as TS.WhileStatement;
        const body = this.loopBody((inner) => {
          this.expression(node.expression, inner);
          this.statement(node.statement, inner);
        });
        if (body.length) out.push({ type: "loop", body, ...(isTrueLiteral(ts, node.expression) ? { endless: true } : {}) });
        return;
      }
      case ts.SyntaxKind.DoStatement: {
        const node = statement as TS.DoStatement;
        const body = this.loopBody((inner) => {
          this.statement(node.statement, inner);
          this.expression(node.expression, inner);
        });
        if (body.length) out.push({ type: "loop", body, ...(isTrueLiteral(ts, node.expression) ? { endless: true } : { atLeastOnce: true }) });
        return;
      }
      case ts.SyntaxKind.ReturnStatement: {
        const node = statement as TS.ReturnStatement;
        // `return m.acquire()` and `return release`: the caller gets the releaser, and holds the lock.
        const returned = node.expression && skipAwait(ts, node.expression);
        const saved = this.returnedCall;
        this.returnedCall = returned && ts.isCallExpression(returned) ? returned : undefined;
        try {
          if (node.expression) this.expression(node.expression, out);
        } finally {
          this.returnedCall = saved;
        }
        const handle = returned && ts.isIdentifier(returned) && (this.handles.has(returned.text) || this.handedHandles.has(returned.text)) ? returned.text : undefined;
        out.push(handle === undefined ? { type: "exit", kind: "return", node } : { type: "exit", kind: "return", node, handle });
        return;
      }
      case ts.SyntaxKind.ThrowStatement: {
        const node = statement as TS.ThrowStatement;
        this.expression(node.expression, out);
        out.push({ type: "exit", kind: "throw", node });
        return;
      }
      case ts.SyntaxKind.TryStatement: {
        const node = statement as TS.TryStatement;
        out.push({
          type: "try",
          block: this.statements(node.tryBlock.statements),
          ...(node.catchClause ? { handler: this.statements(node.catchClause.block.statements) } : {}),
          ...(node.finallyBlock ? { finalizer: this.statements(node.finallyBlock.statements) } : {}),
        });
        return;
      }
      case ts.SyntaxKind.BreakStatement: {
        const node = statement as TS.BreakStatement;
        // Leaving a switch or a labeled block resumes right after it (a switch clause's `break` is the
        // end of its arm, see switchStatement); the core's `break` leaves a loop.
        const target = node.label ? this.labels?.get(node.label.text) : this.breakTargets[this.breakTargets.length - 1];
        if (target === "loop") out.push({ type: "exit", kind: "break", node });
        return;
      }
      case ts.SyntaxKind.ContinueStatement:
        if (this.breakTargets.includes("loop")) out.push({ type: "exit", kind: "continue", node: statement });
        return;
      case ts.SyntaxKind.LabeledStatement: {
        const node = statement as TS.LabeledStatement;
        const isLoop = isIterationStatement(ts, node.statement);
        const labels = (this.labels ??= new Map());
        const saved = labels.get(node.label.text);
        labels.set(node.label.text, isLoop ? "loop" : "other");
        if (!isLoop) this.breakTargets.push("other");
        try {
          this.statement(node.statement, out);
        } finally {
          if (!isLoop) this.breakTargets.pop();
          if (saved === undefined) labels.delete(node.label.text);
          else labels.set(node.label.text, saved);
        }
        return;
      }
      case ts.SyntaxKind.ExportAssignment:
        this.expression((statement as TS.ExportAssignment).expression, out);
        return;
      default:
        // Declarations (functions, classes, types, imports) hold no code that runs here.
        return;
    }
  }

  /**
   * Each clause is an arm; a clause that does not end in break/return/throw/continue falls through
   * into the next. A `break` nested deeper in a clause (in an `if`) is not an arm's end: that path
   * runs on into the rest of the clause (an over-approximation).
   */
  private switchStatement(node: TS.SwitchStatement, out: LockStep<C>[]): void {
    const ts = this.ts;
    this.expression(node.expression, out);
    this.breakTargets.push("other");
    const clauses: { steps: LockStep<C>[]; ends: boolean }[] = [];
    try {
      for (const clause of node.caseBlock.clauses) {
        const steps: LockStep<C>[] = [];
        if (ts.isCaseClause(clause)) this.expression(clause.expression, steps);
        // `case 1: { …; break; }` reads as `case 1: …; break;`; what follows a statement that leaves is unreachable.
        let ends = false;
        for (const statement of flattenBlocks(ts, clause.statements)) {
          this.statement(statement, steps);
          if (endsClause(ts, statement)) {
            ends = true;
            break;
          }
        }
        clauses.push({ steps, ends });
      }
    } finally {
      this.breakTargets.pop();
    }
    const arms: LockStep<C>[][] = [];
    for (let i = 0; i < clauses.length; i += 1) {
      const arm: LockStep<C>[] = [];
      for (let j = i; j < clauses.length; j += 1) {
        arm.push(...clauses[j].steps);
        if (clauses[j].ends) break;
      }
      arms.push(arm);
    }
    if (!node.caseBlock.clauses.some((clause) => ts.isDefaultClause(clause))) arms.push([]);
    if (arms.some((arm) => arm.length > 0)) out.push({ type: "branch", arms });
  }

  private variables(list: TS.VariableDeclarationList, out: LockStep<C>[]): void {
    const ts = this.ts;
    // `using` and `await using` release their value at the end of the enclosing block.
    const isUsing = (list.flags & ts.NodeFlags.Using) !== 0;
    for (const declaration of list.declarations) {
      const initializer = declaration.initializer;
      if (!initializer) continue;
      if (isFunctionExpressionLike(ts, skipOuterExpressions(ts, initializer))) continue; // a unit of its own
      const handle = handleName(ts, declaration.name);
      if (this.guardAcquisition(initializer, handle, isUsing, out)) continue;
      const from = out.length;
      this.expression(initializer, out);
      // `const release = await this.lock()`: the call may hand over a releaser (its summary says).
      const call = skipAwait(ts, initializer);
      if (handle === undefined || isUsing || !ts.isCallExpression(call)) continue;
      const index = out.findIndex((step, at) => at >= from && step.type === "call" && step.node === call);
      if (index < 0) continue;
      const step = out[index] as Extract<LockStep<C>, { type: "call" }>;
      // `const it = this.getMany()`: a generator driven by hand holds what it holds at its yields until `it.return()`.
      const startsGenerator = skipOuterExpressions(ts, initializer) === call && this.host.runsConsumer?.(step.callee) === true;
      out[index] = startsGenerator ? { ...step, handle, startsGenerator } : { ...step, handle };
      this.handedHandles.add(handle);
    }
  }

  private expressionStatement(expression: TS.Expression, out: LockStep<C>[]): void {
    const ts = this.ts;
    const node = skipOuterExpressions(ts, expression);
    const inner = ts.isAwaitExpression(node) ? skipOuterExpressions(ts, node.expression) : node;
    if (ts.isCallExpression(inner)) {
      const lockCall = this.lockCallOf(inner);
      if (lockCall) {
        // The result is unused: `await m.acquire()` holds the lock until `m.release()`. Its rejection
        // is the acquire step's own (before anything is held): no exception point follows it.
        this.lockCall(lockCall, "statement", out);
        const holdsAfter = lockCall.action !== "release" && !this.isCallbackForm(lockCall);
        if (inner !== node && !holdsAfter) out.push({ type: "await", node });
        return;
      }
    }
    this.expression(expression, out);
  }

  // ---- locks ----

  /**
   * `if (lock.tryAcquire()) { … }` holds the lock in the `then` arm, `if (!lock.tryAcquire()) { … }` in
   * the `else` arm (and after the `if` when the `then` arm leaves): a try-lock is held where it succeeded.
   */
  private triedIf(node: TS.IfStatement, out: LockStep<C>[]): boolean {
    const ts = this.ts;
    let condition = skipOuterExpressions(ts, node.expression);
    let negated = false;
    if (condition.kind === ts.SyntaxKind.PrefixUnaryExpression && (condition as TS.PrefixUnaryExpression).operator === ts.SyntaxKind.ExclamationToken) {
      negated = true;
      condition = skipOuterExpressions(ts, (condition as TS.PrefixUnaryExpression).operand);
    }
    if (!ts.isCallExpression(condition)) return false;
    const lockCall = this.lockCallOf(condition);
    if (!lockCall || lockCall.action === "release" || lockCall.shape.waits || this.isCallbackForm(lockCall)) return false;
    for (const arg of condition.arguments) this.expression(arg, out);
    const success: LockStep<C>[] = [];
    this.pushAcquire(lockCall, "manual", success, {}, true);
    const then = this.nested(node.thenStatement);
    const otherwise = node.elseStatement ? this.nested(node.elseStatement) : [];
    out.push({ type: "branch", arms: negated ? [then, [...success, ...otherwise]] : [[...success, ...then], otherwise] });
    return true;
  }

  private lockCallOf(call: TS.CallExpression): LockCall | undefined {
    const ts = this.ts;
    const cached = this.lockCalls.get(call);
    if (cached !== undefined) return cached ?? undefined;
    let result: LockCall | undefined;
    const callee = skipOuterExpressions(ts, call.expression);
    if (ts.isPropertyAccessExpression(callee) && this.host.lockMethodNames.has(callee.name.text)) {
      const method = callee.name.text;
      const receiver = skipOuterExpressions(ts, callee.expression);
      const global = dottedName(ts, receiver);
      const named = global === undefined ? undefined : namedLocksOf(global);
      let lock: LockRef | undefined;
      if (named) {
        // `navigator.locks.request("cache", cb)`: the literal names the lock; any other argument, no lock known.
        const nameArgument = call.arguments[named.named.nameArgument];
        const name = nameArgument && skipOuterExpressions(ts, nameArgument);
        if (name && ts.isStringLiteralLike(name)) lock = this.host.resolveNamedLock(namedTargetKey(global!, name.text), named.library.kind, this.unit);
      } else {
        const isHandle = ts.isIdentifier(receiver) && this.handles.has(receiver.text);
        lock = isHandle ? undefined : this.host.resolveLock(receiver, this.unit);
      }
      const category = lock && this.host.classify(lock, method);
      if (lock && category) {
        const atomic = category === "atomic" || category === "atomicRead";
        const action = category === "atomic" ? "write" : category === "atomicRead" ? "read" : category;
        result = this.withOptions({ call, lock, method, action, atomic, shape: lockMethodShape(lock, method) });
      }
    }
    this.lockCalls.set(call, result ?? null);
    return result;
  }

  /**
   * An options object literal the table reads (Web Locks' `request(name, { mode: "shared", ifAvailable: true }, cb)`):
   * a shared mode makes the acquisition a read (exclusive on a mutex or keyed lock), a no-wait flag a try-lock.
   */
  private withOptions(lockCall: LockCall): LockCall {
    const ts = this.ts;
    const options = lockCall.shape.options;
    if (!options || lockCall.action === "release") return lockCall;
    const argument = lockCall.call.arguments[options.argument];
    const literal = argument && skipOuterExpressions(ts, argument);
    if (!literal || !ts.isObjectLiteralExpression(literal)) return lockCall;
    let shared = false;
    let noWait = false;
    for (const property of literal.properties) {
      if (!ts.isPropertyAssignment(property)) continue;
      const key = ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name) ? property.name.text : undefined;
      const value = skipOuterExpressions(ts, property.initializer);
      if (options.mode && key === options.mode.property) shared = ts.isStringLiteralLike(value) && value.text === options.mode.read;
      if (options.noWait !== undefined && key === options.noWait) noWait = value.kind === ts.SyntaxKind.TrueKeyword;
    }
    const kind = lockKindOf(lockCall.lock);
    const action = shared && lockCall.action === "write" && kind !== "mutex" && kind !== "keyed" ? "read" : lockCall.action;
    return { ...lockCall, action, shape: noWait ? { ...lockCall.shape, waits: false } : lockCall.shape };
  }

  private isCallbackForm(lockCall: LockCall): boolean {
    const ts = this.ts;
    // A one-shot method holds the lock only during the call, as a callback form with an empty callback.
    if (lockCall.atomic) return true;
    if (lockCall.call.arguments.some((arg) => isFunctionExpressionLike(ts, skipOuterExpressions(ts, arg)))) return true;
    const callbackIndex = this.callbackIndex(lockCall);
    const callback = callbackIndex === undefined ? undefined : lockCall.call.arguments[callbackIndex];
    if (!callback) return false;
    if (!lockCall.shape.callbackIfFunction) return true;
    // `acquire(key, this.work)` runs a function; `acquire(resources, ttl)` is given a number.
    const node = skipOuterExpressions(ts, callback);
    return mayReferenceFunction(ts, node) && this.host.resolveReference(node, this.unit) !== undefined;
  }

  /** Where the table puts the callback, counted after a keyed lock's key. */
  private callbackIndex(lockCall: LockCall): number | undefined {
    return callbackArgumentIndex(lockCall.shape, lockCall.lock, lockCall.call.arguments.length);
  }

  /** `const release = await m.acquire()` and friends: a guard bound to `handle`. */
  private guardAcquisition(initializer: TS.Expression, handle: string | undefined, scoped: boolean, out: LockStep<C>[]): boolean {
    const ts = this.ts;
    const node = skipAwait(ts, initializer);
    if (!ts.isCallExpression(node)) return false;
    const lockCall = this.lockCallOf(node);
    if (!lockCall || lockCall.action === "release" || this.isCallbackForm(lockCall)) return false;
    for (const arg of node.arguments) this.expression(arg, out);
    if (!returnsHandle(lockCall.shape)) {
      // `const ok = lock.tryAcquire()`, `await lock.acquireAsync()` bound: no releaser, released on the lock.
      this.pushAcquire(lockCall, "manual", out, {});
      return true;
    }
    // A bound releaser that escapes (returned, stored, captured by a closure) is someone else's to release.
    const owned = handle === undefined || scoped || (this.host.guardOwned?.(node, handle, this.unit) ?? true);
    this.pushAcquire(lockCall, "guard", out, { ...(handle === undefined ? {} : { handle }), ...(scoped ? { scoped: true } : {}), ...(owned ? {} : { owned: false }) });
    if (handle !== undefined) this.handles.add(handle);
    return true;
  }

  private lockCall(lockCall: LockCall, context: "statement" | "value", out: LockStep<C>[]): void {
    const ts = this.ts;
    const { call } = lockCall;
    if (lockCall.action === "release") {
      // `redlock.unlock(lock)`: the handle given releases that acquisition.
      const handleArgument = lockCall.shape.handleArgument === undefined ? undefined : call.arguments[lockCall.shape.handleArgument];
      const handle = handleArgument && skipOuterExpressions(ts, handleArgument);
      if (handle && ts.isIdentifier(handle) && this.handles.has(handle.text)) {
        out.push({ type: "release", node: call, handle: handle.text });
        return;
      }
      // The arguments (a keyed lock's key) belong to the release: `finally { locks.release(keyOf(x)) }`
      // counts as releasing, so what they call is placed after the release, not as a throw before it.
      out.push({ type: "release", node: call, lock: lockCall.lock });
      for (const arg of call.arguments) this.expression(arg, out);
      return;
    }
    if (!this.isCallbackForm(lockCall)) {
      for (const arg of call.arguments) this.expression(arg, out);
      // A value nobody binds (returned, passed on): held from here, released by whoever gets it. A
      // method that hands back no releaser is released on the lock, whoever does it.
      const manual = context === "statement" || !returnsHandle(lockCall.shape);
      this.pushAcquire(lockCall, manual ? "manual" : "guard", out, context === "statement" ? {} : { owned: false });
      return;
    }
    if (lockCall.atomic) {
      // `pool.query(sql)`: its arguments are evaluated before the call takes the lock; nothing runs under it here.
      for (const arg of call.arguments) this.expression(arg, out);
      this.pushAcquire(lockCall, "callback", out, { body: [] });
      return;
    }
    let body: LockStep<C>[] | undefined;
    const callbackIndex = this.callbackIndex(lockCall);
    call.arguments.forEach((arg, index) => {
      const node = skipOuterExpressions(ts, arg);
      if (body === undefined && isFunctionExpressionLike(ts, node)) {
        body = this.functionBody(node);
        return;
      }
      // `runExclusive(fn)` with a function passed by reference (a wrapper's parameter, a method).
      const mayBeCallback = index === callbackIndex && mayReferenceFunction(ts, node);
      const reference = mayBeCallback ? this.host.resolveReference(node, this.unit) : undefined;
      if (reference) {
        if (ts.isPropertyAccessExpression(node)) this.expression(node.expression, out);
        body = [this.callStep(node, reference, [])];
        return;
      }
      this.expression(arg, out);
    });
    const keys = this.keySequence(lockCall);
    if (!keys) {
      this.pushAcquire(lockCall, "callback", out, { body: body ?? [] });
      return;
    }
    // `acquire([k1, k2], fn)`: k1 is taken, then k2 while holding k1, then `fn` runs holding both.
    let inner = body ?? [];
    for (let i = keys.length - 1; i > 0; i -= 1) {
      const step: LockStep<C>[] = [];
      this.pushAcquire(lockCall, "callback", step, { body: inner }, false, keys[i]);
      inner = step;
    }
    this.pushAcquire(lockCall, "callback", out, { body: inner }, false, keys[0]);
  }

  /** The keys of a keyed call whose key is an array literal taken key by key (`keyList: "sequence"`), as written. */
  private keySequence(lockCall: LockCall): readonly TS.Expression[] | undefined {
    const ts = this.ts;
    if (!lockCall.shape.keySequence || !takesKeyArgument(lockCall.lock)) return undefined;
    const key = lockCall.call.arguments[KEY_ARGUMENT];
    const list = key && skipOuterExpressions(ts, key);
    if (!list || !ts.isArrayLiteralExpression(list) || list.elements.length === 0) return undefined;
    if (list.elements.some((element) => element.kind === ts.SyntaxKind.SpreadElement)) return undefined;
    return list.elements;
  }

  /** A key as a template in the unit's parameters (lock-audit), or undefined. */
  private keyTemplate(key: TS.Expression): KeyTemplate | undefined {
    if (!this.host.keysAcrossCalls || !this.unitFunction) return undefined;
    const moduleNames = moduleDeclarationNames(this.ts, this.sourceFile);
    // Most keys and arguments name nothing of the function or module: they need no look at the body.
    const asWritten = keyTemplateOf(this.ts, key, this.sourceFile, this.parameters, moduleNames);
    if (!asWritten) return undefined;
    // Literals only: nothing a declaration in the body could change.
    if (asWritten.file === undefined && asWritten.parts.every((part) => typeof part === "string")) return asWritten;
    this.keyNameSets ??= keyNames(this.ts, this.unitFunction, this.parameters, moduleNames);
    return keyTemplateOf(this.ts, key, this.sourceFile, this.keyNameSets.parameters, this.keyNameSets.moduleNames);
  }

  /** What a call passes, as key templates by the callee's parameter index; undefined when nothing is expressible. */
  private keyArguments(args: readonly TS.Expression[], argumentShift: number | undefined): KeyArguments | undefined {
    if (argumentShift === undefined || !this.host.keysAcrossCalls || args.length <= argumentShift) return undefined;
    // A spread puts arguments where the indexes cannot follow.
    if (args.some((argument) => argument.kind === this.ts.SyntaxKind.SpreadElement)) return undefined;
    const values = args.slice(argumentShift).map((argument) => this.keyTemplate(argument) ?? null);
    const any = values.some((value) => value !== null);
    return any ? { file: this.sourceFile.fileName, values } : undefined;
  }

  /**
   * Pushes the acquire step. A try-lock (`waits: false` in the table) is marked as not waiting; unless
   * the code shows that it succeeded (`succeeded`: the arm of `if (lock.tryAcquire())`), it is held
   * from here on without being this function's to release (it may not have been taken at all).
   */
  private pushAcquire(
    lockCall: LockCall,
    form: "callback" | "guard" | "manual",
    out: LockStep<C>[],
    extra: { handle?: string; scoped?: boolean; owned?: boolean; body?: LockStep<C>[] },
    succeeded = false,
    /** One key of a key list (`acquire([k1, k2], fn)`), instead of the key argument. */
    key?: TS.Expression,
  ): void {
    const ts = this.ts;
    const { call, lock } = lockCall;
    const tries = !lockCall.shape.waits;
    const keyArgument = call.arguments[KEY_ARGUMENT];
    const keyNode =
      key ??
      (lock.lookupKey === undefined && takesKeyArgument(lock) && keyArgument && !isFunctionExpressionLike(ts, skipOuterExpressions(ts, keyArgument)) ? keyArgument : undefined);
    const keyText = keyNode?.getText(this.sourceFile) ?? lock.lookupKey;
    // A try-lock never waits, so its key is no recursion in a caller either.
    const keyTemplate = keyNode && !tries ? this.keyTemplate(keyNode) : undefined;
    this.lockSites += 1;
    this.acquires = true;
    if (this.spawnDepth > 0) this.spawnNodes.add(call);
    out.push({
      type: "acquire",
      node: call,
      lock,
      mode: lockCall.action === "read" ? "r" : "w",
      form,
      ...extra,
      ...(form === "guard" && call === this.returnedCall ? { returned: true } : {}),
      ...(keyText === undefined ? {} : { keyText }),
      ...(keyTemplate === undefined ? {} : { keyTemplate }),
      ...(tries ? { waits: false as const, ...(succeeded ? {} : { owned: false }) } : {}),
    });
  }

  // ---- calls ----

  private callStep(
    node: TS.Node,
    callee: C,
    callbacks: CallbackArgument<TS.Node, C>[],
    flagArguments?: ReadonlyMap<number, FlagValue>,
    keyArguments?: KeyArguments,
  ): LockStep<C> {
    this.host.noteCallee?.(callee, this.unit);
    if (this.spawnDepth > 0) this.spawnNodes.add(node);
    return {
      type: "call",
      node,
      callee,
      callbacks,
      ...(flagArguments ? { flagArguments } : {}),
      ...(keyArguments ? { keyArguments } : {}),
    };
  }

  // ---- flags: summaries specialized on literal arguments (`{ skipLock: true }`) ----

  private branch(arms: LockStep<C>[][], flag: FlagTest | undefined): LockStep<C> {
    if (!flag) return { type: "branch", arms };
    this.flagSensitive = true;
    return { type: "branch", arms, flag };
  }

  /** `options.skipLock`, `options?.skipLock`, `skipLock` on a parameter of the unit function; undefined for anything else. */
  private flagPath(expression: TS.Expression): FlagPath | undefined {
    const ts = this.ts;
    const path: string[] = [];
    let node = skipOuterExpressions(ts, expression);
    while (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.name)) {
      path.unshift(node.name.text);
      node = skipOuterExpressions(ts, node.expression);
    }
    if (!ts.isIdentifier(node)) return undefined;
    const parameter = this.parameters.get(node.text);
    return parameter === undefined ? undefined : { parameter, path };
  }

  /** A condition that tests a flag path (`!` flips it): which arm runs when the flag is truthy. */
  private flagTest(condition: TS.Expression, negated: boolean): FlagTest | undefined {
    if (!this.host.specializesOnFlags) return undefined;
    const ts = this.ts;
    let node = skipOuterExpressions(ts, condition);
    let flipped = negated;
    while (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      flipped = !flipped;
      node = skipOuterExpressions(ts, node.operand);
    }
    const path = this.flagPath(node);
    return path && { ...path, armWhenTrue: flipped ? 1 : 0 };
  }

  /** The flag arguments of a call, by the callee's parameter index; undefined when none. */
  private flagArguments(args: readonly TS.Expression[], argumentShift: number | undefined): ReadonlyMap<number, FlagValue> | undefined {
    if (argumentShift === undefined || !this.host.specializesOnFlags) return undefined;
    let flags: Map<number, FlagValue> | undefined;
    args.forEach((argument, index) => {
      const value = this.flagValue(argument, 0);
      if (!value || index - argumentShift < 0) return;
      (flags ??= new Map()).set(index - argumentShift, value);
      if (mentionsParameter(value)) this.flagSensitive = true;
    });
    return flags;
  }

  private flagValue(expression: TS.Expression, depth: number): FlagValue | undefined {
    const ts = this.ts;
    const node = skipOuterExpressions(ts, expression);
    if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) return { kind: "literal", value: node.kind === ts.SyntaxKind.TrueKeyword };
    const path = this.flagPath(node);
    if (path) return { kind: "forward", from: path };
    if (!ts.isObjectLiteralExpression(node) || depth > 3) return undefined;
    const fields = new Map<string, FlagValue>();
    let closed = true;
    let spread: FlagPath | undefined;
    let meaningful = false;
    for (const property of node.properties) {
      if (ts.isSpreadAssignment(property)) {
        const from = this.flagPath(property.expression);
        // Fields written before the spread may be overwritten by it: only a leading spread is followed.
        if (from && !spread && fields.size === 0) {
          spread = from;
          meaningful = true;
        } else closed = false;
        continue;
      }
      const name = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : undefined;
      if (name === undefined) {
        closed = false;
        continue;
      }
      const value = ts.isPropertyAssignment(property)
        ? this.flagValue(property.initializer, depth + 1)
        : ts.isShorthandPropertyAssignment(property)
          ? this.flagValue(property.name, depth + 1)
          : undefined;
      fields.set(name, value ?? { kind: "unknown" });
      if (value) meaningful = true;
    }
    return meaningful ? { kind: "object", fields, closed, ...(spread ? { spread } : {}) } : undefined;
  }

  /** Builds the body of a `spawn` step: nodes inside are marked as belonging to another task. */
  private spawnBody(build: (body: LockStep<C>[]) => void): LockStep<C>[] {
    const body: LockStep<C>[] = [];
    this.spawnDepth += 1;
    try {
      build(body);
    } finally {
      this.spawnDepth -= 1;
    }
    return body;
  }

  private call(call: TS.CallExpression, out: LockStep<C>[]): void {
    const ts = this.ts;
    const callee = skipOuterExpressions(ts, call.expression);
    // Releasing a guard or releaser: `release()`, `guard.release()`, `guard[Symbol.dispose]()`.
    if (ts.isIdentifier(callee) && this.handles.has(callee.text)) {
      for (const arg of call.arguments) this.expression(arg, out);
      out.push({ type: "release", node: call, handle: callee.text });
      return;
    }
    // `const run = this.runner(); run()`: a releaser the call handed over, or a closure it returned (a call).
    if (ts.isIdentifier(callee) && this.handedHandles.has(callee.text)) out.push({ type: "release", node: call, handle: callee.text });
    if (
      (ts.isPropertyAccessExpression(callee) && this.host.releaseNames.has(callee.name.text)) ||
      (ts.isElementAccessExpression(callee) && isSymbolDispose(ts, callee.argumentExpression))
    ) {
      const receiver = skipOuterExpressions(ts, callee.expression);
      if (ts.isIdentifier(receiver) && this.handles.has(receiver.text)) {
        out.push({ type: "release", node: call, handle: receiver.text });
        return;
      }
      // `guard.release()` on what a call handed over: a release, and still a call of whatever `release` is.
      if (ts.isIdentifier(receiver) && this.handedHandles.has(receiver.text)) out.push({ type: "release", node: call, handle: receiver.text });
    }
    // `it.return()` on a generator driven by hand: its `finally` releases what it held at its yield.
    if (ts.isPropertyAccessExpression(callee) && GENERATOR_FINISH_METHODS.has(callee.name.text)) {
      const receiver = skipOuterExpressions(ts, callee.expression);
      if (ts.isIdentifier(receiver) && this.handedHandles.has(receiver.text)) out.push({ type: "release", node: call, handle: receiver.text });
    }
    const lockCall = this.lockCallOf(call);
    if (lockCall) {
      this.lockCall(lockCall, "value", out);
      return;
    }
    if (this.acquisitionThen(call, callee, out)) return;
    if (isTaskBoundary(ts, call)) {
      this.taskBoundary(call, callee, out);
      return;
    }

    const callbacks: CallbackArgument<TS.Node, C>[] = [];
    if (ts.isPropertyAccessExpression(callee)) this.expression(callee.expression, out);
    else if (ts.isElementAccessExpression(callee)) {
      this.expression(callee.expression, out);
      this.expression(callee.argumentExpression, out);
    } else if (isFunctionExpressionLike(ts, callee)) {
      // An immediately invoked function runs right here.
      callbacks.push({ argIndex: -1, body: this.functionBody(callee) });
    } else if (!ts.isIdentifier(callee)) {
      this.expression(callee, out);
    }
    const resolved = this.host.resolveCall(call, this.unit);
    this.arguments(call.arguments, resolved.argumentShift, callbacks, out, call);
    if (resolved.callee !== undefined || callbacks.length > 0) {
      const known = resolved.callee !== undefined;
      out.push(
        this.callStep(
          call,
          resolved.callee ?? this.host.unknownCallee,
          callbacks,
          known ? this.flagArguments(call.arguments, resolved.argumentShift) : undefined,
          known ? this.keyArguments(call.arguments, resolved.argumentShift) : undefined,
        ),
      );
    }
  }

  /**
   * `m.acquire().then((release) => { …; release(); })`: the lock is held while the callback runs,
   * as in the callback forms — not for the rest of the function, as an unbound guard would be.
   */
  private acquisitionThen(call: TS.CallExpression, callee: TS.Expression, out: LockStep<C>[]): boolean {
    const ts = this.ts;
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== PROMISE_CONTINUATION) return false;
    const receiver = skipOuterExpressions(ts, callee.expression);
    const callback = call.arguments[0] && skipOuterExpressions(ts, call.arguments[0]);
    if (!ts.isCallExpression(receiver) || !callback || !isFunctionExpressionLike(ts, callback)) return false;
    const lockCall = this.lockCallOf(receiver);
    if (!lockCall || lockCall.action === "release" || this.isCallbackForm(lockCall) || !returnsHandle(lockCall.shape)) return false;
    for (const arg of receiver.arguments) this.expression(arg, out);
    this.pushAcquire(lockCall, "callback", out, { body: this.functionBody(callback) });
    for (const arg of call.arguments.slice(1)) this.expression(arg, out);
    return true;
  }

  private newExpression(node: TS.NewExpression, out: LockStep<C>[]): void {
    const ts = this.ts;
    const callbacks: CallbackArgument<TS.Node, C>[] = [];
    const callee = skipOuterExpressions(ts, node.expression);
    if (!ts.isIdentifier(callee)) this.expression(callee, out);
    const resolved = this.host.resolveCall(node, this.unit);
    this.arguments(node.arguments ?? [], resolved.argumentShift, callbacks, out);
    if (resolved.callee !== undefined || callbacks.length > 0) out.push(this.callStep(node, resolved.callee ?? this.host.unknownCallee, callbacks));
  }

  /** Arguments are evaluated before the call; functions among them run during it, unless the call stores them (`handlers.push(cb)`). */
  private arguments(args: readonly TS.Expression[], shift: number | undefined, callbacks: CallbackArgument<TS.Node, C>[], out: LockStep<C>[], call?: TS.CallExpression): void {
    const ts = this.ts;
    args.forEach((arg, i) => {
      const node = skipOuterExpressions(ts, arg);
      if (call && storesArgument(ts, call, i)) {
        this.expression(arg, out);
        return;
      }
      const argIndex = shift === undefined ? -1 : i - shift;
      if (isFunctionExpressionLike(ts, node)) {
        callbacks.push({ argIndex, body: this.functionBody(node) });
        return;
      }
      if (shift !== undefined && mayReferenceFunction(ts, node)) {
        const reference = this.host.resolveReference(node, this.unit);
        if (reference) {
          if (ts.isPropertyAccessExpression(node)) this.expression(node.expression, out);
          callbacks.push({ argIndex, body: [this.callStep(node, reference, [])] });
          return;
        }
      }
      this.expression(arg, out);
    });
  }

  /** Callbacks given to timers and event registration run later, as a task of their own. */
  private taskBoundary(call: TS.CallExpression, callee: TS.Expression, out: LockStep<C>[]): void {
    const ts = this.ts;
    this.host.noteTaskBoundaryCall?.();
    if (ts.isPropertyAccessExpression(callee)) this.expression(callee.expression, out);
    for (const arg of call.arguments) {
      const node = skipOuterExpressions(ts, arg);
      if (isFunctionExpressionLike(ts, node)) {
        out.push({ type: "spawn", node, body: this.spawnBody((inner) => inner.push(...this.functionBody(node))) });
        continue;
      }
      const reference = mayReferenceFunction(ts, node) ? this.host.resolveReference(node, this.unit) : undefined;
      if (reference) {
        out.push({ type: "spawn", node, body: this.spawnBody((inner) => inner.push(this.callStep(node, reference, []))) });
        continue;
      }
      this.expression(arg, out);
    }
  }

  // ---- expressions ----

  private accessor(access: TS.PropertyAccessExpression, kind: "get" | "set", out: LockStep<C>[]): void {
    const callee = this.host.resolveAccessor?.(access, kind, this.unit);
    if (callee !== undefined) out.push(this.callStep(access, callee, []));
  }

  private expression(node: TS.Node, out: LockStep<C>[]): void {
    const ts = this.ts;
    switch (node.kind) {
      case ts.SyntaxKind.Identifier:
      case ts.SyntaxKind.PrivateIdentifier:
      case ts.SyntaxKind.ThisKeyword:
      case ts.SyntaxKind.SuperKeyword:
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NumericLiteral:
      case ts.SyntaxKind.BigIntLiteral:
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      case ts.SyntaxKind.RegularExpressionLiteral:
      case ts.SyntaxKind.TrueKeyword:
      case ts.SyntaxKind.FalseKeyword:
      case ts.SyntaxKind.NullKeyword:
      case ts.SyntaxKind.ArrowFunction: // a function not passed inline is a unit of its own
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ClassExpression:
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor:
        return;
      case ts.SyntaxKind.TaggedTemplateExpression:
        this.expression((node as TS.TaggedTemplateExpression).template, out);
        return;
      case ts.SyntaxKind.CallExpression:
        this.call(node as TS.CallExpression, out);
        return;
      case ts.SyntaxKind.NewExpression:
        this.newExpression(node as TS.NewExpression, out);
        return;
      case ts.SyntaxKind.AwaitExpression:
        this.expression((node as TS.AwaitExpression).expression, out);
        out.push({ type: "await", node });
        return;
      case ts.SyntaxKind.YieldExpression: {
        const inner = (node as TS.YieldExpression).expression;
        const consumer = this.host.consumerCallee?.(this.unit);
        if (!inner) {
          // Nothing to evaluate.
        } else if (consumer !== undefined && (node as TS.YieldExpression).asteriskToken !== undefined) {
          // `yield* other()`: the delegate's yields reach this generator's consumer.
          const delegated: LockStep<C>[] = [];
          this.expression(inner, delegated);
          const last = delegated[delegated.length - 1];
          const target = skipOuterExpressions(ts, inner);
          if (last?.type === "call" && last.node === target && this.host.runsConsumer?.(last.callee)) {
            delegated[delegated.length - 1] = { ...last, callbacks: [...last.callbacks, { argIndex: CONSUMER_ARGUMENT, body: [this.callStep(node, consumer, [])] }] };
            out.push(...delegated, { type: "await", node });
            return;
          }
          // Any other iterable (a library's generator, an array): each of its values reaches the consumer here.
          out.push(...delegated);
        } else {
          this.expression(inner, out);
        }
        out.push({ type: "await", node });
        if (consumer !== undefined) out.push(this.callStep(node, consumer, []));
        return;
      }
      case ts.SyntaxKind.VoidExpression: {
        // `void promise`: the work goes on as a task of its own.
        const body = this.spawnBody((inner) => this.expression((node as TS.VoidExpression).expression, inner));
        if (body.length) out.push({ type: "spawn", node, body });
        return;
      }
      case ts.SyntaxKind.ConditionalExpression: {
        const conditional = node as TS.ConditionalExpression;
        this.expression(conditional.condition, out);
        const whenTrue: LockStep<C>[] = [];
        const whenFalse: LockStep<C>[] = [];
        this.expression(conditional.whenTrue, whenTrue);
        this.expression(conditional.whenFalse, whenFalse);
        if (whenTrue.length || whenFalse.length) out.push(this.branch([whenTrue, whenFalse], this.flagTest(conditional.condition, false)));
        return;
      }
      case ts.SyntaxKind.BinaryExpression:
        this.binary(node as TS.BinaryExpression, out);
        return;
      case ts.SyntaxKind.PropertyAccessExpression: {
        const access = node as TS.PropertyAccessExpression;
        this.expression(access.expression, out);
        this.accessor(access, "get", out);
        return;
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        for (const property of (node as TS.ObjectLiteralExpression).properties) {
          if (ts.isPropertyAssignment(property)) {
            if (ts.isComputedPropertyName(property.name)) this.expression(property.name.expression, out);
            if (!isFunctionExpressionLike(ts, skipOuterExpressions(ts, property.initializer))) this.expression(property.initializer, out);
          } else if (ts.isSpreadAssignment(property)) {
            this.expression(property.expression, out);
          }
        }
        return;
      default:
        ts.forEachChild(node, (child) => {
          if (!isTypeOnly(ts, child)) this.expression(child, out);
        });
    }
  }

  private binary(node: TS.BinaryExpression, out: LockStep<C>[]): void {
    const ts = this.ts;
    const operator = node.operatorToken.kind;
    if (isAssignmentOperator(ts, operator)) {
      this.assignment(node, out);
      return;
    }
    // Long chains (`a + b + c + …`, `a && b && …`) nest to the left: walk the spine with a loop, not recursion.
    const logical = isLogicalOperator(ts, operator);
    const rights: TS.Expression[] = [];
    let left: TS.Expression = node;
    while (ts.isBinaryExpression(left) && isLogicalOperator(ts, left.operatorToken.kind) === logical && !isAssignmentOperator(ts, left.operatorToken.kind)) {
      rights.push(left.right);
      left = left.left;
    }
    this.expression(left, out);
    for (let i = rights.length - 1; i >= 0; i -= 1) {
      if (!logical) {
        this.expression(rights[i], out);
        continue;
      }
      // The right operand of `&&`, `||`, `??` may not run.
      const arm: LockStep<C>[] = [];
      this.expression(rights[i], arm);
      // `!options?.skipLock && take()`: on a flag, the arm runs when it is truthy (`&&`) or not (`||`).
      const operatorKind = i === 0 && rights.length === 1 ? node.operatorToken.kind : undefined;
      const test =
        operatorKind === ts.SyntaxKind.AmpersandAmpersandToken ? this.flagTest(left, false) : operatorKind === ts.SyntaxKind.BarBarToken ? this.flagTest(left, true) : undefined;
      if (arm.length) out.push(this.branch([arm, []], test));
    }
  }

  private assignment(node: TS.BinaryExpression, out: LockStep<C>[]): void {
    const ts = this.ts;
    const target = skipOuterExpressions(ts, node.left);
    const isPlain = node.operatorToken.kind === ts.SyntaxKind.EqualsToken;
    if (isPlain && ts.isIdentifier(target) && this.guardAcquisition(node.right, target.text, false, out)) return;
    if (ts.isPropertyAccessExpression(target)) {
      this.expression(target.expression, out);
      if (!isPlain) this.accessor(target, "get", out);
      if (!isFunctionExpressionLike(ts, skipOuterExpressions(ts, node.right))) this.expression(node.right, out);
      this.accessor(target, "set", out);
      return;
    }
    this.expression(node.left, out);
    if (isFunctionExpressionLike(ts, skipOuterExpressions(ts, node.right))) return;
    const operator = node.operatorToken.kind;
    if (operator === ts.SyntaxKind.BarBarEqualsToken || operator === ts.SyntaxKind.AmpersandAmpersandEqualsToken || operator === ts.SyntaxKind.QuestionQuestionEqualsToken) {
      // `a ||= f()`, `a &&= f()`, `a ??= f()` may not evaluate the right side.
      const arm: LockStep<C>[] = [];
      this.expression(node.right, arm);
      if (arm.length) out.push({ type: "branch", arms: [arm, []] });
      return;
    }
    this.expression(node.right, out);
  }
}
