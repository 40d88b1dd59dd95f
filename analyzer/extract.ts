/**
 * Fact extraction: one function body (compiler nodes) → the `Step` program that core/flow.ts runs.
 * The recognition rules are the shared ones (issue 2, "How acquisitions are recognized"):
 * - lock methods per `classifyMethod` on a recognized lock (see locks.ts);
 * - callback forms (`runExclusive(fn)`, …, or any acquisition given an inline function): held in `fn`;
 * - guards and releasers (`const release = await m.acquire()`, `using g = await l.write()`), released by
 *   `release()`, `g.release()`, `g[Symbol.dispose]()` or the end of the `using` scope;
 * - manual `await m.acquire()` (result unused), released by `m.release()`;
 * - task boundaries (setTimeout, setInterval, setImmediate, queueMicrotask, process.nextTick, `.on`,
 *   `.once`, `.addEventListener`, `void expr`) become `spawn` steps;
 * - inline function arguments run during the call (`callbacks`), and so do functions passed by
 *   reference (`xs.forEach(this.visit)`), as a call to that function inside the callback.
 */
import { ts } from "ts-morph";
import type { CallbackArgument, LockRef } from "../core/flow.js";
import { CALLBACK_METHODS } from "../core/policy.js";
import { isTaskBoundaryCall } from "../core/recognition.js";
import { isFunctionExpressionLike, isTypeOnly, skipOuterExpressions, type Callee, type FunctionUnit, type LockStep, type UnitFacts } from "./functions.js";
import type { LockAction, LockResolver } from "./locks.js";
import type { CallResolver } from "./resolve.js";


interface LockCall {
  call: ts.CallExpression;
  lock: LockRef;
  method: string;
  action: LockAction;
}

export class FactExtractor {
  /** Acquisition sites recognized so far. */
  lockSites = 0;
  readonly releaseNames: ReadonlySet<string>;

  constructor(
    readonly locks: LockResolver,
    readonly calls: CallResolver,
    releaseNames: Iterable<string>,
  ) {
    this.releaseNames = new Set(releaseNames);
  }

  extract(unit: FunctionUnit): UnitFacts {
    return new UnitWalker(this, unit).run();
  }
}

function isModuleCode(statement: ts.Statement): boolean {
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

function endsClause(statement: ts.Statement | undefined): boolean {
  if (!statement) return false;
  const kind = statement.kind;
  return kind === ts.SyntaxKind.BreakStatement || kind === ts.SyntaxKind.ReturnStatement || kind === ts.SyntaxKind.ThrowStatement || kind === ts.SyntaxKind.ContinueStatement;
}

function isSymbolDispose(node: ts.Expression): boolean {
  const expression = skipOuterExpressions(node);
  return (
    ts.isPropertyAccessExpression(expression) &&
    (expression.name.text === "dispose" || expression.name.text === "asyncDispose") &&
    ts.isIdentifier(expression.expression) &&
    expression.expression.text === "Symbol"
  );
}

function isLogicalOperator(kind: ts.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.AmpersandAmpersandToken || kind === ts.SyntaxKind.BarBarToken || kind === ts.SyntaxKind.QuestionQuestionToken;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** The variable a releaser or guard is bound to: `release`, `guard`, or `[, release]` from a Semaphore. */
function handleName(name: ts.BindingName | ts.Expression): string | undefined {
  if (ts.isIdentifier(name)) return name.text;
  if (ts.isArrayBindingPattern(name)) {
    const last = name.elements[name.elements.length - 1];
    return last && ts.isBindingElement(last) && ts.isIdentifier(last.name) ? last.name.text : undefined;
  }
  return undefined;
}

/** An argument that may name a function: `helper`, `this.visit`, `this.visit.bind(this)`. */
function mayReferenceFunction(node: ts.Expression): boolean {
  if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) return true;
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "bind";
}

function isTaskBoundary(call: ts.CallExpression): boolean {
  const callee = skipOuterExpressions(call.expression);
  if (ts.isIdentifier(callee)) return isTaskBoundaryCall(callee.text, false, undefined);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const receiver = skipOuterExpressions(callee.expression);
  return isTaskBoundaryCall(callee.name.text, true, ts.isIdentifier(receiver) ? receiver.text : undefined);
}

type BreakTarget = "loop" | "switch";

/** Builds the steps of one unit. Inline callbacks are walked as part of it; other nested functions are units of their own. */
class UnitWalker {
  private readonly callees = new Set<FunctionUnit>();
  private readonly spawnNodes = new Set<ts.Node>();
  /** Variables bound to a releaser or guard in this function. */
  private readonly handles = new Set<string>();
  private readonly lockCalls = new Map<ts.CallExpression, LockCall | null>();
  private spawnDepth = 0;
  private breakTargets: BreakTarget[] = [];
  private acquires = false;
  private invokesParameter = false;

  constructor(
    private readonly extractor: FactExtractor,
    private readonly unit: FunctionUnit,
  ) {}

  run(): UnitFacts {
    const node = this.unit.node;
    let steps: LockStep[];
    if (ts.isSourceFile(node)) steps = this.statements(node.statements.filter(isModuleCode));
    else if (ts.isClassStaticBlockDeclaration(node)) steps = this.statements(node.body.statements);
    else steps = this.functionBody(node);
    return { steps, callees: this.callees, spawnNodes: this.spawnNodes, acquires: this.acquires, invokesParameter: this.invokesParameter };
  }

  // ---- statements ----

  private functionBody(fn: ts.FunctionLikeDeclaration): LockStep[] {
    const saved = this.breakTargets;
    this.breakTargets = [];
    try {
      const body = fn.body;
      if (!body) return [];
      if (ts.isBlock(body)) return this.statements(body.statements);
      const out: LockStep[] = [];
      this.expression(body, out);
      return out;
    } finally {
      this.breakTargets = saved;
    }
  }

  private statements(list: readonly ts.Statement[]): LockStep[] {
    const out: LockStep[] = [];
    for (const statement of list) this.statement(statement, out);
    return out;
  }

  private nested(statement: ts.Statement): LockStep[] {
    const out: LockStep[] = [];
    this.statement(statement, out);
    return out;
  }

  private loopBody(build: (out: LockStep[]) => void): LockStep[] {
    this.breakTargets.push("loop");
    const body: LockStep[] = [];
    try {
      build(body);
    } finally {
      this.breakTargets.pop();
    }
    return body;
  }

  private statement(statement: ts.Statement, out: LockStep[]): void {
    switch (statement.kind) {
      case ts.SyntaxKind.Block:
        out.push({ type: "scope", body: this.statements((statement as ts.Block).statements) });
        return;
      case ts.SyntaxKind.VariableStatement:
        this.variables((statement as ts.VariableStatement).declarationList, out);
        return;
      case ts.SyntaxKind.ExpressionStatement:
        this.expressionStatement((statement as ts.ExpressionStatement).expression, out);
        return;
      case ts.SyntaxKind.IfStatement: {
        const node = statement as ts.IfStatement;
        this.expression(node.expression, out);
        const then = this.nested(node.thenStatement);
        const otherwise = node.elseStatement ? this.nested(node.elseStatement) : [];
        if (then.length || otherwise.length) out.push({ type: "branch", arms: [then, otherwise] });
        return;
      }
      case ts.SyntaxKind.SwitchStatement:
        this.switchStatement(statement as ts.SwitchStatement, out);
        return;
      case ts.SyntaxKind.ForStatement: {
        const node = statement as ts.ForStatement;
        if (node.initializer) {
          if (ts.isVariableDeclarationList(node.initializer)) this.variables(node.initializer, out);
          else this.expression(node.initializer, out);
        }
        const body = this.loopBody((inner) => {
          if (node.condition) this.expression(node.condition, inner);
          this.statement(node.statement, inner);
          if (node.incrementor) this.expression(node.incrementor, inner);
        });
        if (body.length) out.push({ type: "loop", body });
        return;
      }
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.ForInStatement: {
        const node = statement as ts.ForOfStatement | ts.ForInStatement;
        this.expression(node.expression, out);
        const isAwait = ts.isForOfStatement(node) && node.awaitModifier !== undefined;
        const body = this.loopBody((inner) => {
          if (isAwait) inner.push({ type: "await", node });
          this.statement(node.statement, inner);
        });
        if (body.length) out.push({ type: "loop", body });
        return;
      }
      case ts.SyntaxKind.WhileStatement:
      case ts.SyntaxKind.DoStatement: {
        const node = statement as ts.WhileStatement | ts.DoStatement;
        const body = this.loopBody((inner) => {
          this.expression(node.expression, inner);
          this.statement(node.statement, inner);
        });
        if (body.length) out.push({ type: "loop", body });
        return;
      }
      case ts.SyntaxKind.ReturnStatement: {
        const node = statement as ts.ReturnStatement;
        if (node.expression) this.expression(node.expression, out);
        out.push({ type: "exit", kind: "return", node });
        return;
      }
      case ts.SyntaxKind.ThrowStatement: {
        const node = statement as ts.ThrowStatement;
        this.expression(node.expression, out);
        out.push({ type: "exit", kind: "throw", node });
        return;
      }
      case ts.SyntaxKind.TryStatement: {
        const node = statement as ts.TryStatement;
        out.push({
          type: "try",
          block: this.statements(node.tryBlock.statements),
          ...(node.catchClause ? { handler: this.statements(node.catchClause.block.statements) } : {}),
          ...(node.finallyBlock ? { finalizer: this.statements(node.finallyBlock.statements) } : {}),
        });
        return;
      }
      case ts.SyntaxKind.BreakStatement: {
        const node = statement as ts.BreakStatement;
        // A `break` that ends a switch clause is the end of that arm (see switchStatement), not a loop exit.
        const leavesLoop = node.label ? this.breakTargets.includes("loop") : this.breakTargets[this.breakTargets.length - 1] === "loop";
        if (leavesLoop) out.push({ type: "exit", kind: "break", node });
        return;
      }
      case ts.SyntaxKind.ContinueStatement:
        if (this.breakTargets.includes("loop")) out.push({ type: "exit", kind: "continue", node: statement });
        return;
      case ts.SyntaxKind.LabeledStatement:
        this.statement((statement as ts.LabeledStatement).statement, out);
        return;
      case ts.SyntaxKind.ExportAssignment:
        this.expression((statement as ts.ExportAssignment).expression, out);
        return;
      default:
        // Declarations (functions, classes, types, imports) hold no code that runs here.
        return;
    }
  }

  /** Each clause is an arm; a clause that does not end in break/return/throw falls through into the next. */
  private switchStatement(node: ts.SwitchStatement, out: LockStep[]): void {
    this.expression(node.expression, out);
    this.breakTargets.push("switch");
    const clauses: { steps: LockStep[]; ends: boolean }[] = [];
    try {
      for (const clause of node.caseBlock.clauses) {
        const steps: LockStep[] = [];
        if (ts.isCaseClause(clause)) this.expression(clause.expression, steps);
        for (const statement of clause.statements) this.statement(statement, steps);
        clauses.push({ steps, ends: endsClause(clause.statements[clause.statements.length - 1]) });
      }
    } finally {
      this.breakTargets.pop();
    }
    const arms: LockStep[][] = [];
    for (let i = 0; i < clauses.length; i += 1) {
      const arm: LockStep[] = [];
      for (let j = i; j < clauses.length; j += 1) {
        arm.push(...clauses[j].steps);
        if (clauses[j].ends) break;
      }
      arms.push(arm);
    }
    if (!node.caseBlock.clauses.some(ts.isDefaultClause)) arms.push([]);
    if (arms.some((arm) => arm.length > 0)) out.push({ type: "branch", arms });
  }

  private variables(list: ts.VariableDeclarationList, out: LockStep[]): void {
    // `using` and `await using` release their value at the end of the enclosing block.
    const isUsing = (list.flags & ts.NodeFlags.Using) !== 0;
    for (const declaration of list.declarations) {
      const initializer = declaration.initializer;
      if (!initializer) continue;
      if (isFunctionExpressionLike(skipOuterExpressions(initializer))) continue; // a unit of its own
      if (this.guardAcquisition(initializer, handleName(declaration.name), isUsing, out)) continue;
      this.expression(initializer, out);
    }
  }

  private expressionStatement(expression: ts.Expression, out: LockStep[]): void {
    const node = skipOuterExpressions(expression);
    const inner = ts.isAwaitExpression(node) ? skipOuterExpressions(node.expression) : node;
    if (ts.isCallExpression(inner)) {
      const lockCall = this.lockCallOf(inner);
      if (lockCall) {
        // The result is unused: `await m.acquire()` holds the lock until `m.release()`.
        this.lockCall(lockCall, "statement", out);
        if (inner !== node) out.push({ type: "await", node });
        return;
      }
    }
    this.expression(expression, out);
  }

  // ---- locks ----

  private lockCallOf(call: ts.CallExpression): LockCall | undefined {
    const cached = this.lockCalls.get(call);
    if (cached !== undefined) return cached ?? undefined;
    let result: LockCall | undefined;
    const callee = skipOuterExpressions(call.expression);
    if (ts.isPropertyAccessExpression(callee) && this.extractor.locks.methodNames.has(callee.name.text)) {
      const receiver = skipOuterExpressions(callee.expression);
      const isHandle = ts.isIdentifier(receiver) && this.handles.has(receiver.text);
      const lock = isHandle ? undefined : this.extractor.locks.resolve(receiver);
      const action = lock && this.extractor.locks.classify(lock, callee.name.text);
      if (lock && action) result = { call, lock, method: callee.name.text, action };
    }
    this.lockCalls.set(call, result ?? null);
    return result;
  }

  private isCallbackForm(lockCall: LockCall): boolean {
    return CALLBACK_METHODS.has(lockCall.method) || lockCall.call.arguments.some((arg) => isFunctionExpressionLike(skipOuterExpressions(arg)));
  }

  /** `const release = await m.acquire()` and friends: a guard bound to `handle`. */
  private guardAcquisition(initializer: ts.Expression, handle: string | undefined, scoped: boolean, out: LockStep[]): boolean {
    let node = skipOuterExpressions(initializer);
    if (ts.isAwaitExpression(node)) node = skipOuterExpressions(node.expression);
    if (!ts.isCallExpression(node)) return false;
    const lockCall = this.lockCallOf(node);
    if (!lockCall || lockCall.action === "release" || this.isCallbackForm(lockCall)) return false;
    for (const arg of node.arguments) this.expression(arg, out);
    this.pushAcquire(lockCall, "guard", out, { ...(handle === undefined ? {} : { handle }), ...(scoped ? { scoped: true } : {}) });
    if (handle !== undefined) this.handles.add(handle);
    return true;
  }

  private lockCall(lockCall: LockCall, context: "statement" | "value", out: LockStep[]): void {
    const { call } = lockCall;
    if (lockCall.action === "release") {
      for (const arg of call.arguments) this.expression(arg, out);
      out.push({ type: "release", node: call, lock: lockCall.lock });
      return;
    }
    if (!this.isCallbackForm(lockCall)) {
      for (const arg of call.arguments) this.expression(arg, out);
      // A value nobody binds (returned, passed on): held from here, released by whoever gets it.
      this.pushAcquire(lockCall, context === "statement" ? "manual" : "guard", out, context === "statement" ? {} : { owned: false });
      return;
    }
    let body: LockStep[] | undefined;
    call.arguments.forEach((arg, index) => {
      const node = skipOuterExpressions(arg);
      if (body === undefined && isFunctionExpressionLike(node)) {
        body = this.functionBody(node);
        return;
      }
      // `runExclusive(fn)` with a function passed by reference (a wrapper's parameter, a method):
      // only the first argument of a callback method is its callback; a keyed lock's key is not.
      const mayBeCallback = index === 0 && CALLBACK_METHODS.has(lockCall.method) && mayReferenceFunction(node);
      const reference = mayBeCallback ? this.extractor.calls.resolveReference(node, this.unit) : undefined;
      if (reference) {
        if (ts.isPropertyAccessExpression(node)) this.expression(node.expression, out);
        body = [this.callStep(node, reference, [])];
        return;
      }
      this.expression(arg, out);
    });
    this.pushAcquire(lockCall, "callback", out, { body: body ?? [] });
  }

  private pushAcquire(
    lockCall: LockCall,
    form: "callback" | "guard" | "manual",
    out: LockStep[],
    extra: { handle?: string; scoped?: boolean; owned?: boolean; body?: LockStep[] },
  ): void {
    const { call, lock } = lockCall;
    const keyArgument = call.arguments[0];
    const keyText =
      lock.declared?.kind === "keyed" && keyArgument && !isFunctionExpressionLike(skipOuterExpressions(keyArgument))
        ? keyArgument.getText(this.unit.sourceFile)
        : undefined;
    this.extractor.lockSites += 1;
    this.acquires = true;
    if (this.spawnDepth > 0) this.spawnNodes.add(call);
    out.push({
      type: "acquire",
      node: call,
      lock,
      mode: lockCall.action === "read" ? "r" : "w",
      form,
      ...extra,
      ...(keyText === undefined ? {} : { keyText }),
    });
  }

  // ---- calls ----

  private callStep(node: ts.Node, callee: Callee, callbacks: CallbackArgument<ts.Node, Callee>[]): LockStep {
    if (callee.kind === "functions") {
      for (const target of callee.targets) this.callees.add(target);
    } else if (callee.kind === "parameter") {
      this.invokesParameter = true;
    }
    if (this.spawnDepth > 0) this.spawnNodes.add(node);
    return { type: "call", node, callee, callbacks };
  }

  /** Builds the body of a `spawn` step: nodes inside are marked as belonging to another task. */
  private spawnBody(build: (body: LockStep[]) => void): LockStep[] {
    const body: LockStep[] = [];
    this.spawnDepth += 1;
    try {
      build(body);
    } finally {
      this.spawnDepth -= 1;
    }
    return body;
  }

  private call(call: ts.CallExpression, out: LockStep[]): void {
    const callee = skipOuterExpressions(call.expression);
    // Releasing a guard or releaser: `release()`, `guard.release()`, `guard[Symbol.dispose]()`.
    if (ts.isIdentifier(callee) && this.handles.has(callee.text)) {
      for (const arg of call.arguments) this.expression(arg, out);
      out.push({ type: "release", node: call, handle: callee.text });
      return;
    }
    if (
      (ts.isPropertyAccessExpression(callee) && this.extractor.releaseNames.has(callee.name.text)) ||
      (ts.isElementAccessExpression(callee) && isSymbolDispose(callee.argumentExpression))
    ) {
      const receiver = skipOuterExpressions(callee.expression);
      if (ts.isIdentifier(receiver) && this.handles.has(receiver.text)) {
        out.push({ type: "release", node: call, handle: receiver.text });
        return;
      }
    }
    const lockCall = this.lockCallOf(call);
    if (lockCall) {
      this.lockCall(lockCall, "value", out);
      return;
    }
    if (this.acquisitionThen(call, callee, out)) return;
    if (isTaskBoundary(call)) {
      this.taskBoundary(call, callee, out);
      return;
    }

    const callbacks: CallbackArgument<ts.Node, Callee>[] = [];
    if (ts.isPropertyAccessExpression(callee)) this.expression(callee.expression, out);
    else if (ts.isElementAccessExpression(callee)) {
      this.expression(callee.expression, out);
      this.expression(callee.argumentExpression, out);
    } else if (isFunctionExpressionLike(callee)) {
      // An immediately invoked function runs right here.
      callbacks.push({ argIndex: -1, body: this.functionBody(callee) });
    } else if (!ts.isIdentifier(callee)) {
      this.expression(callee, out);
    }
    const resolved = this.extractor.calls.resolveCall(call, this.unit);
    this.arguments(call.arguments, resolved.argumentShift, callbacks, out);
    if (resolved.callee.kind !== "unknown" || callbacks.length > 0) out.push(this.callStep(call, resolved.callee, callbacks));
  }

  /**
   * `m.acquire().then((release) => { …; release(); })`: the lock is held while the callback runs,
   * as in the callback forms — not for the rest of the function, as an unbound guard would be.
   */
  private acquisitionThen(call: ts.CallExpression, callee: ts.Expression, out: LockStep[]): boolean {
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "then") return false;
    const receiver = skipOuterExpressions(callee.expression);
    const callback = call.arguments[0] && skipOuterExpressions(call.arguments[0]);
    if (!ts.isCallExpression(receiver) || !callback || !isFunctionExpressionLike(callback)) return false;
    const lockCall = this.lockCallOf(receiver);
    if (!lockCall || lockCall.action === "release" || this.isCallbackForm(lockCall)) return false;
    for (const arg of receiver.arguments) this.expression(arg, out);
    this.pushAcquire(lockCall, "callback", out, { body: this.functionBody(callback) });
    for (const arg of call.arguments.slice(1)) this.expression(arg, out);
    return true;
  }

  private newExpression(node: ts.NewExpression, out: LockStep[]): void {
    const callbacks: CallbackArgument<ts.Node, Callee>[] = [];
    const callee = skipOuterExpressions(node.expression);
    if (!ts.isIdentifier(callee)) this.expression(callee, out);
    const resolved = this.extractor.calls.resolveCall(node, this.unit);
    this.arguments(node.arguments ?? [], resolved.argumentShift, callbacks, out);
    if (resolved.callee.kind !== "unknown" || callbacks.length > 0) out.push(this.callStep(node, resolved.callee, callbacks));
  }

  /** Arguments are evaluated before the call; functions among them run during it. */
  private arguments(args: readonly ts.Expression[], shift: number | undefined, callbacks: CallbackArgument<ts.Node, Callee>[], out: LockStep[]): void {
    args.forEach((arg, i) => {
      const node = skipOuterExpressions(arg);
      const argIndex = shift === undefined ? -1 : i - shift;
      if (isFunctionExpressionLike(node)) {
        callbacks.push({ argIndex, body: this.functionBody(node) });
        return;
      }
      if (shift !== undefined && mayReferenceFunction(node)) {
        const reference = this.extractor.calls.resolveReference(node, this.unit);
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
  private taskBoundary(call: ts.CallExpression, callee: ts.Expression, out: LockStep[]): void {
    this.extractor.calls.countExternalCall();
    if (ts.isPropertyAccessExpression(callee)) this.expression(callee.expression, out);
    for (const arg of call.arguments) {
      const node = skipOuterExpressions(arg);
      if (isFunctionExpressionLike(node)) {
        out.push({ type: "spawn", node, body: this.spawnBody((inner) => inner.push(...this.functionBody(node))) });
        continue;
      }
      const reference = mayReferenceFunction(node) ? this.extractor.calls.resolveReference(node, this.unit) : undefined;
      if (reference) {
        out.push({ type: "spawn", node, body: this.spawnBody((inner) => inner.push(this.callStep(node, reference, []))) });
        continue;
      }
      this.expression(arg, out);
    }
  }

  // ---- expressions ----

  private accessor(access: ts.PropertyAccessExpression, kind: "get" | "set", out: LockStep[]): void {
    const targets = this.extractor.calls.resolveAccessor(access, kind);
    if (targets.length > 0) out.push(this.callStep(access, { kind: "functions", targets }, []));
  }

  private expression(node: ts.Node, out: LockStep[]): void {
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
        this.expression((node as ts.TaggedTemplateExpression).template, out);
        return;
      case ts.SyntaxKind.CallExpression:
        this.call(node as ts.CallExpression, out);
        return;
      case ts.SyntaxKind.NewExpression:
        this.newExpression(node as ts.NewExpression, out);
        return;
      case ts.SyntaxKind.AwaitExpression:
        this.expression((node as ts.AwaitExpression).expression, out);
        out.push({ type: "await", node });
        return;
      case ts.SyntaxKind.YieldExpression: {
        const inner = (node as ts.YieldExpression).expression;
        if (inner) this.expression(inner, out);
        out.push({ type: "await", node });
        return;
      }
      case ts.SyntaxKind.VoidExpression: {
        // `void promise`: the work goes on as a task of its own.
        const body = this.spawnBody((inner) => this.expression((node as ts.VoidExpression).expression, inner));
        if (body.length) out.push({ type: "spawn", node, body });
        return;
      }
      case ts.SyntaxKind.ConditionalExpression: {
        const conditional = node as ts.ConditionalExpression;
        this.expression(conditional.condition, out);
        const whenTrue: LockStep[] = [];
        const whenFalse: LockStep[] = [];
        this.expression(conditional.whenTrue, whenTrue);
        this.expression(conditional.whenFalse, whenFalse);
        if (whenTrue.length || whenFalse.length) out.push({ type: "branch", arms: [whenTrue, whenFalse] });
        return;
      }
      case ts.SyntaxKind.BinaryExpression:
        this.binary(node as ts.BinaryExpression, out);
        return;
      case ts.SyntaxKind.PropertyAccessExpression: {
        const access = node as ts.PropertyAccessExpression;
        this.expression(access.expression, out);
        this.accessor(access, "get", out);
        return;
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        for (const property of (node as ts.ObjectLiteralExpression).properties) {
          if (ts.isPropertyAssignment(property)) {
            if (ts.isComputedPropertyName(property.name)) this.expression(property.name.expression, out);
            if (!isFunctionExpressionLike(skipOuterExpressions(property.initializer))) this.expression(property.initializer, out);
          } else if (ts.isSpreadAssignment(property)) {
            this.expression(property.expression, out);
          }
        }
        return;
      default:
        ts.forEachChild(node, (child) => {
          if (!isTypeOnly(child)) this.expression(child, out);
        });
    }
  }

  private binary(node: ts.BinaryExpression, out: LockStep[]): void {
    const operator = node.operatorToken.kind;
    if (isAssignmentOperator(operator)) {
      this.assignment(node, out);
      return;
    }
    // Long chains (`a + b + c + …`, `a && b && …`) nest to the left: walk the spine with a loop, not recursion.
    const logical = isLogicalOperator(operator);
    const rights: ts.Expression[] = [];
    let left: ts.Expression = node;
    while (ts.isBinaryExpression(left) && isLogicalOperator(left.operatorToken.kind) === logical && !isAssignmentOperator(left.operatorToken.kind)) {
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
      const arm: LockStep[] = [];
      this.expression(rights[i], arm);
      if (arm.length) out.push({ type: "branch", arms: [arm, []] });
    }
  }

  private assignment(node: ts.BinaryExpression, out: LockStep[]): void {
    const target = skipOuterExpressions(node.left);
    const isPlain = node.operatorToken.kind === ts.SyntaxKind.EqualsToken;
    if (isPlain && ts.isIdentifier(target) && this.guardAcquisition(node.right, target.text, false, out)) return;
    if (ts.isPropertyAccessExpression(target)) {
      this.expression(target.expression, out);
      if (!isPlain) this.accessor(target, "get", out);
      if (!isFunctionExpressionLike(skipOuterExpressions(node.right))) this.expression(node.right, out);
      this.accessor(target, "set", out);
      return;
    }
    this.expression(node.left, out);
    if (!isFunctionExpressionLike(skipOuterExpressions(node.right))) this.expression(node.right, out);
  }
}
