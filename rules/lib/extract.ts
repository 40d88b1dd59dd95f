/**
 * The ESLint front end of the held-set analysis: ESTree → the core `Step` IR, one program per function.
 *
 * This file only describes what the code does to locks, in evaluation order, with its control flow;
 * what is held where, and what is wrong about it, is decided by `core/flow.ts` (shared with lock-audit).
 * Lock resolution (which declared lock an expression is) lives in resolve-lock.ts, re-exported here.
 *
 * Every function that has a name (see `functionNameOf`) is extracted on its own, as are class members
 * without one (constructors, computed keys), static blocks, field initializers and the module's top
 * level. Anonymous functions belong to the code around them: a callback passed to a call runs during
 * that call, except across a task boundary (timers, event handlers, `void`), which becomes a `spawn`.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESTree } from "@typescript-eslint/utils";
import type { AcquireStep, CallbackArgument, Step } from "../../core/flow.js";
import { isFatalLoweringError } from "../../core/lowering.js";
import { isTaskBoundaryCall } from "../../core/recognition.js";
import { CALLBACK_METHODS, type DeclaredLock } from "../../core/policy.js";
import { suffixOf } from "../../core/suffix.js";
import { functionNameOf, type FunctionName, type FunctionNode } from "./function-names.js";
import { isFunctionNode, lockRefOf, memberName, resolveLockCall, unwrapExpression, type LockCall, type LockEnv } from "./resolve-lock.js";

export {
  isFunctionNode,
  lockEnvFor,
  lockRefOf,
  memberName,
  resolveLock,
  resolveLockCall,
  resolveLockIn,
  unwrapExpression,
  type LockCall,
  type LockEnv,
  type ResolvedLock,
  type TypeServices,
} from "./resolve-lock.js";

/** A called function as the rules see it: its name, from which its suffix is read. */
export interface CalleeRef {
  /** The name as written (`add_rsw`, `#flush_sm`), or undefined when the callee has none (computed, a call's result, an IIFE). */
  readonly name: string | undefined;
  /** `this.f()`, `super.f()`, `other.f()`, or a plain `f()`. */
  readonly receiver: "this" | "super" | "other" | "none";
  /** The node that names the callee (identifier, member property, or the callee expression). */
  readonly node: TSESTree.Node;
}

export type LockStep = Step<TSESTree.Node, CalleeRef>;

/** What is extracted on its own: a function, a static block, a field initializer, or the module's top level. */
export type ExtractedRoot = FunctionNode | TSESTree.Program | TSESTree.StaticBlock | TSESTree.PropertyDefinition | TSESTree.AccessorProperty;

export interface ExtractedFunction {
  readonly node: ExtractedRoot;
  /** Named functions only: their suffix must match what they take. */
  readonly name: FunctionName | undefined;
  readonly steps: readonly LockStep[];
}

export interface FileExtraction {
  readonly functions: readonly ExtractedFunction[];
  /** Roots whose extraction threw (code shapes this front end does not understand); they are left out, silently. */
  readonly failures: readonly { readonly node: TSESTree.Node; readonly error: unknown }[];
}

/** `guard[Symbol.dispose]()` and its async twin release a guard. */
const DISPOSE_SYMBOLS: ReadonlySet<string> = new Set(["dispose", "asyncDispose"]);
/** Child keys that hold types or decorators, never code that runs in the function. */
const SKIPPED_KEYS: ReadonlySet<string> = new Set(["typeAnnotation", "typeArguments", "typeParameters", "returnType", "decorators", "superTypeArguments"]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type GuardStep = Mutable<AcquireStep<TSESTree.Node, CalleeRef>>;

/** How the result of an acquiring call is used, which decides between a guard and a manual acquisition. */
type ResultUse =
  | { readonly kind: "unused" }
  | { readonly kind: "bound"; readonly binding: TSESTree.Identifier; readonly scoped: boolean }
  | { readonly kind: "escapes" };

export interface ExtractOptions {
  /**
   * Roots (other than the module's top level) for which this returns true are left out, together with
   * everything nested in them: the analysis uses it to skip functions whose text mentions no lock.
   */
  readonly skipRoot?: (root: ExtractedRoot) => boolean;
}

/**
 * Every root of the file with its steps. Never throws: a root whose shape surprises the extractor is
 * recorded in `failures` and contributes nothing.
 */
export function extractFile(env: LockEnv, options: ExtractOptions = {}): FileExtraction {
  const functions: ExtractedFunction[] = [];
  const failures: { node: TSESTree.Node; error: unknown }[] = [];
  const pending: ExtractedRoot[] = [env.sourceCode.ast];
  const seen = new Set<TSESTree.Node>();
  const skipRoot = options.skipRoot;
  const discover = (root: ExtractedRoot): void => {
    if (seen.has(root)) return;
    seen.add(root);
    if (!skipRoot?.(root)) pending.push(root);
  };
  for (let index = 0; index < pending.length; index += 1) {
    const root = pending[index];
    try {
      const steps = new BodyExtractor(env, discover).root(root);
      const name = isFunctionNode(root) || root.type === AST_NODE_TYPES.FunctionDeclaration ? functionNameOf(root) : undefined;
      functions.push({ node: root, name, steps });
    } catch (error) {
      if (isFatalLoweringError(error)) throw error;
      failures.push({ node: root, error });
    }
  }
  return { functions, failures };
}

/** The steps of one function body alone (nested named functions are not followed). Never throws: returns [] instead. */
export function extractFunctionSteps(fn: FunctionNode, env: LockEnv): LockStep[] {
  try {
    return new BodyExtractor(env, () => {}).root(fn);
  } catch (error) {
    if (isFatalLoweringError(error)) throw error;
    return [];
  }
}

/** Which statement a `break` leaves: a loop (a `break` step for the core) or a switch / labeled block (no step). */
type Breakable = "loop" | "other";

class BodyExtractor {
  /** Releaser and guard variables bound by acquisitions in this root, to the lock they release. */
  private handles: Map<string, DeclaredLock> | undefined;
  private boundGuards: { step: GuardStep; binding: TSESTree.Identifier }[] | undefined;
  private breakables: Breakable[] = [];
  /** Labels in scope (created at the first labeled statement: most code has none). */
  private labels: Map<string, Breakable> | undefined;

  constructor(
    private readonly env: LockEnv,
    private readonly discover: (root: ExtractedRoot) => void,
  ) {}

  root(root: ExtractedRoot): LockStep[] {
    let steps: LockStep[];
    switch (root.type) {
      case AST_NODE_TYPES.Program:
        steps = this.statements(root.body);
        break;
      case AST_NODE_TYPES.StaticBlock:
        steps = this.statements(root.body);
        break;
      case AST_NODE_TYPES.PropertyDefinition:
      case AST_NODE_TYPES.AccessorProperty:
        steps = [];
        this.expression(root.value, steps);
        break;
      default:
        steps = this.functionBody(root);
    }
    this.settleOwnership();
    return steps;
  }

  // ---- statements ----

  private statements(list: readonly TSESTree.Node[]): LockStep[] {
    const out: LockStep[] = [];
    for (const statement of list) this.statement(statement, out);
    return out;
  }

  /** The statements of an `if` arm, loop body or case: a block's own list (the core scopes every arm). */
  private armSteps(node: TSESTree.Statement): LockStep[] {
    return node.type === AST_NODE_TYPES.BlockStatement ? this.statements(node.body) : this.statements([node]);
  }

  private statement(node: TSESTree.Node, out: LockStep[]): void {
    switch (node.type) {
      case AST_NODE_TYPES.ExpressionStatement:
        this.expression(node.expression, out);
        return;
      case AST_NODE_TYPES.VariableDeclaration:
        for (const declarator of node.declarations) this.expression(declarator.init, out);
        return;
      case AST_NODE_TYPES.BlockStatement:
        out.push({ type: "scope", body: this.statements(node.body) });
        return;
      case AST_NODE_TYPES.IfStatement:
        this.expression(node.test, out);
        out.push({ type: "branch", arms: [this.armSteps(node.consequent), node.alternate ? this.armSteps(node.alternate) : []] });
        return;
      case AST_NODE_TYPES.ReturnStatement:
        this.expression(node.argument, out);
        out.push({ type: "exit", kind: "return", node });
        return;
      case AST_NODE_TYPES.ThrowStatement:
        this.expression(node.argument, out);
        out.push({ type: "exit", kind: "throw", node });
        return;
      case AST_NODE_TYPES.BreakStatement: {
        const target = node.label ? this.labels?.get(node.label.name) : this.breakables[this.breakables.length - 1];
        // Leaving a switch or labeled block resumes right after it; the core's `break` leaves a loop.
        if (target === "loop") out.push({ type: "exit", kind: "break", node });
        return;
      }
      case AST_NODE_TYPES.ContinueStatement:
        out.push({ type: "exit", kind: "continue", node });
        return;
      case AST_NODE_TYPES.TryStatement:
        out.push({
          type: "try",
          block: this.statements(node.block.body),
          ...(node.handler ? { handler: this.statements(node.handler.body.body) } : {}),
          ...(node.finalizer ? { finalizer: this.statements(node.finalizer.body) } : {}),
        });
        return;
      case AST_NODE_TYPES.WhileStatement: {
        this.expression(node.test, out);
        const body = this.loopBody(node.body);
        this.expression(node.test, body);
        out.push({ type: "loop", body, ...(isTrueLiteral(node.test) ? { endless: true } : {}) });
        return;
      }
      case AST_NODE_TYPES.DoWhileStatement: {
        const body = this.loopBody(node.body);
        this.expression(node.test, body);
        out.push({ type: "loop", body, ...(isTrueLiteral(node.test) ? { endless: true } : { atLeastOnce: true }) });
        return;
      }
      case AST_NODE_TYPES.ForStatement: {
        if (node.init) this.statementOrExpression(node.init, out);
        this.expression(node.test, out);
        const body = this.loopBody(node.body);
        this.expression(node.update, body);
        this.expression(node.test, body);
        out.push({ type: "loop", body, ...(!node.test || isTrueLiteral(node.test) ? { endless: true } : {}) });
        return;
      }
      case AST_NODE_TYPES.ForInStatement:
      case AST_NODE_TYPES.ForOfStatement: {
        this.expression(node.right, out);
        const body: LockStep[] = [];
        if (node.type === AST_NODE_TYPES.ForOfStatement && node.await) body.push({ type: "await", node });
        body.push(...this.loopBody(node.body));
        out.push({ type: "loop", body });
        return;
      }
      case AST_NODE_TYPES.SwitchStatement:
        this.expression(node.discriminant, out);
        out.push({ type: "branch", arms: this.switchArms(node) });
        return;
      case AST_NODE_TYPES.LabeledStatement: {
        const isLoop = isLoopStatement(node.body);
        const labels = (this.labels ??= new Map());
        const saved = labels.get(node.label.name);
        labels.set(node.label.name, isLoop ? "loop" : "other");
        if (isLoop) this.statement(node.body, out);
        else {
          this.breakables.push("other");
          try {
            this.statement(node.body, out);
          } finally {
            this.breakables.pop();
          }
        }
        if (saved === undefined) labels.delete(node.label.name);
        else labels.set(node.label.name, saved);
        return;
      }
      case AST_NODE_TYPES.FunctionDeclaration:
        // Hoisted and named: its own root; calls to it are calls by name.
        this.discover(node);
        return;
      case AST_NODE_TYPES.ClassDeclaration:
        this.discoverClass(node);
        return;
      case AST_NODE_TYPES.ExportNamedDeclaration:
        if (node.declaration) this.statement(node.declaration, out);
        return;
      case AST_NODE_TYPES.ExportDefaultDeclaration:
        this.statementOrExpression(node.declaration, out);
        return;
      case AST_NODE_TYPES.TSModuleDeclaration:
        if (node.body?.type === AST_NODE_TYPES.TSModuleBlock) out.push(...this.statements(node.body.body));
        else if (node.body) this.statement(node.body, out);
        return;
      case AST_NODE_TYPES.TSExportAssignment:
        this.expression(node.expression, out);
        return;
      case AST_NODE_TYPES.ImportDeclaration:
      case AST_NODE_TYPES.ExportAllDeclaration:
      case AST_NODE_TYPES.TSInterfaceDeclaration:
      case AST_NODE_TYPES.TSTypeAliasDeclaration:
      case AST_NODE_TYPES.TSEnumDeclaration:
      case AST_NODE_TYPES.TSDeclareFunction:
      case AST_NODE_TYPES.TSImportEqualsDeclaration:
      case AST_NODE_TYPES.TSNamespaceExportDeclaration:
      case AST_NODE_TYPES.EmptyStatement:
      case AST_NODE_TYPES.DebuggerStatement:
        return;
      default:
        this.children(node, out);
    }
  }

  private statementOrExpression(node: TSESTree.Node, out: LockStep[]): void {
    if (
      node.type === AST_NODE_TYPES.VariableDeclaration ||
      node.type === AST_NODE_TYPES.FunctionDeclaration ||
      node.type === AST_NODE_TYPES.ClassDeclaration ||
      node.type === AST_NODE_TYPES.TSDeclareFunction ||
      node.type === AST_NODE_TYPES.TSInterfaceDeclaration ||
      node.type === AST_NODE_TYPES.TSEnumDeclaration ||
      node.type === AST_NODE_TYPES.TSModuleDeclaration ||
      node.type === AST_NODE_TYPES.TSTypeAliasDeclaration
    ) {
      this.statement(node, out);
    } else {
      this.expression(node, out);
    }
  }

  private loopBody(body: TSESTree.Statement): LockStep[] {
    this.breakables.push("loop");
    try {
      return this.armSteps(body);
    } finally {
      this.breakables.pop();
    }
  }

  /**
   * One arm per case, starting at that case and falling through until a statement that leaves it
   * (`break`, `return`, `throw`, `continue`); an extra empty arm when there is no `default`.
   * A `break` nested deeper inside a case (in an `if`) cannot be expressed in the step IR; it is
   * ignored, so that path runs on into the rest of the case (an over-approximation).
   */
  private switchArms(node: TSESTree.SwitchStatement): LockStep[][] {
    this.breakables.push("other");
    try {
      const caseBodies = node.cases.map((switchCase) => flattenBlocks(switchCase.consequent));
      const arms: LockStep[][] = [];
      for (let start = 0; start < caseBodies.length; start += 1) {
        const arm: LockStep[] = [];
        let left = false;
        for (let index = start; index < caseBodies.length && !left; index += 1) {
          for (const statement of caseBodies[index]) {
            if (statement.type === AST_NODE_TYPES.BreakStatement && !statement.label) {
              left = true;
              break;
            }
            this.statement(statement, arm);
            if (
              statement.type === AST_NODE_TYPES.ReturnStatement ||
              statement.type === AST_NODE_TYPES.ThrowStatement ||
              statement.type === AST_NODE_TYPES.ContinueStatement ||
              statement.type === AST_NODE_TYPES.BreakStatement
            ) {
              left = true;
              break;
            }
          }
        }
        arms.push(arm);
      }
      if (!node.cases.some((switchCase) => switchCase.test === null)) arms.push([]);
      return arms;
    } finally {
      this.breakables.pop();
    }
  }

  // ---- functions and classes ----

  /** A function body as steps; `break` and labels do not cross into it. */
  private functionBody(fn: FunctionNode): LockStep[] {
    const savedBreakables = this.breakables;
    const savedLabels = this.labels;
    this.breakables = [];
    this.labels = undefined;
    try {
      if (fn.body.type === AST_NODE_TYPES.BlockStatement) return this.statements(fn.body.body);
      const steps: LockStep[] = [];
      this.expression(fn.body, steps);
      return steps;
    } finally {
      this.breakables = savedBreakables;
      this.labels = savedLabels;
    }
  }

  private discoverClass(node: TSESTree.ClassDeclaration | TSESTree.ClassExpression): void {
    for (const member of node.body.body) {
      switch (member.type) {
        case AST_NODE_TYPES.MethodDefinition:
          if (member.value.body) this.discover(member.value);
          break;
        case AST_NODE_TYPES.PropertyDefinition:
        case AST_NODE_TYPES.AccessorProperty: {
          const value = member.value ? unwrapExpression(member.value) : undefined;
          if (!value) break;
          // `handle = async () => {…}` is a named function; any other initializer runs in the constructor.
          if (isFunctionNode(value) && value === member.value) this.discover(value);
          else this.discover(member);
          break;
        }
        case AST_NODE_TYPES.StaticBlock:
          this.discover(member);
          break;
        default:
          break;
      }
    }
  }

  /** A function written where a value is expected (not as a call argument). */
  private functionValue(fn: TSESTree.ArrowFunctionExpression | TSESTree.FunctionExpression): void {
    // Named or not, a closure that is returned or stored runs later, when someone calls it: a unit of
    // its own, whose locks are not the enclosing function's.
    this.discover(fn);
  }

  // ---- expressions ----

  private expression(node: TSESTree.Node | null | undefined, out: LockStep[]): void {
    if (!node) return;
    // The most frequent kinds come first (a switch on strings tests its cases in order).
    switch (node.type) {
      case AST_NODE_TYPES.MemberExpression:
        this.expression(node.object, out);
        if (node.computed) this.expression(node.property, out);
        else this.getterRead(node, out);
        return;
      case AST_NODE_TYPES.Identifier:
      case AST_NODE_TYPES.Literal:
      case AST_NODE_TYPES.ThisExpression:
      case AST_NODE_TYPES.Super:
      case AST_NODE_TYPES.PrivateIdentifier:
      case AST_NODE_TYPES.TemplateElement:
      case AST_NODE_TYPES.MetaProperty:
        return;
      case AST_NODE_TYPES.CallExpression:
        this.call(node, out);
        return;
      case AST_NODE_TYPES.NewExpression:
        this.expression(node.callee, out);
        this.plainCall(node, calleeRefOf(node.callee), false, out);
        return;
      case AST_NODE_TYPES.AwaitExpression:
      case AST_NODE_TYPES.YieldExpression: {
        this.expression(node.argument, out);
        // `await lock.acquire()`: the acquire step already covers its rejection (nothing held yet);
        // an exception point after it would wrongly count as "thrown while held".
        const last = out[out.length - 1];
        const awaitsAcquisition = last?.type === "acquire" && last.form !== "callback" && node.argument && last.node === unwrapExpression(node.argument);
        if (!awaitsAcquisition) out.push({ type: "await", node });
        return;
      }
      case AST_NODE_TYPES.ArrowFunctionExpression:
      case AST_NODE_TYPES.FunctionExpression:
        this.functionValue(node);
        return;
      case AST_NODE_TYPES.ClassExpression:
        this.discoverClass(node);
        return;
      case AST_NODE_TYPES.ConditionalExpression: {
        this.expression(node.test, out);
        const consequent: LockStep[] = [];
        const alternate: LockStep[] = [];
        this.expression(node.consequent, consequent);
        this.expression(node.alternate, alternate);
        if (consequent.length || alternate.length) out.push({ type: "branch", arms: [consequent, alternate] });
        return;
      }
      case AST_NODE_TYPES.LogicalExpression: {
        this.expression(node.left, out);
        const right: LockStep[] = [];
        this.expression(node.right, right);
        if (right.length) out.push({ type: "branch", arms: [right, []] });
        return;
      }
      case AST_NODE_TYPES.AssignmentExpression: {
        if (node.left.type === AST_NODE_TYPES.MemberExpression) this.expression(node.left.object, out);
        const right: LockStep[] = [];
        this.expression(node.right, right);
        // `a ||= f()`, `a &&= f()`, `a ??= f()` may not evaluate the right side.
        if (node.operator === "||=" || node.operator === "&&=" || node.operator === "??=") {
          if (right.length) out.push({ type: "branch", arms: [right, []] });
        } else {
          out.push(...right);
        }
        return;
      }
      case AST_NODE_TYPES.UnaryExpression:
        if (node.operator === "void") {
          // `void promise`: fire and forget, a separate task.
          const body: LockStep[] = [];
          this.expression(node.argument, body);
          if (body.length) out.push({ type: "spawn", node, body });
          return;
        }
        this.expression(node.argument, out);
        return;
      // The most common shapes, walked directly (the generic walk below handles them too, slower).
      case AST_NODE_TYPES.BinaryExpression:
        this.expression(node.left, out);
        this.expression(node.right, out);
        return;
      case AST_NODE_TYPES.TemplateLiteral:
        for (const part of node.expressions) this.expression(part, out);
        return;
      case AST_NODE_TYPES.ArrayExpression:
        for (const element of node.elements) this.expression(element, out);
        return;
      case AST_NODE_TYPES.ObjectExpression:
        for (const property of node.properties) {
          if (property.type === AST_NODE_TYPES.Property) {
            if (property.computed) this.expression(property.key, out);
            this.expression(property.value, out);
          } else {
            this.expression(property.argument, out);
          }
        }
        return;
      case AST_NODE_TYPES.SpreadElement:
      case AST_NODE_TYPES.UpdateExpression:
        this.expression(node.argument, out);
        return;
      case AST_NODE_TYPES.ChainExpression:
      case AST_NODE_TYPES.TSAsExpression:
      case AST_NODE_TYPES.TSNonNullExpression:
      case AST_NODE_TYPES.TSSatisfiesExpression:
      case AST_NODE_TYPES.TSTypeAssertion:
        this.expression(node.expression, out);
        return;
      default:
        this.children(node, out);
    }
  }

  /** Any other node: its children in source order (which is evaluation order for the remaining kinds). */
  private children(node: TSESTree.Node, out: LockStep[]): void {
    const keys = this.env.sourceCode.visitorKeys[node.type] ?? [];
    for (const key of keys) {
      if (SKIPPED_KEYS.has(key)) continue;
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const item of child) if (isNode(item)) this.childNode(item, out);
      } else if (isNode(child)) {
        this.childNode(child, out);
      }
    }
  }

  private childNode(node: TSESTree.Node, out: LockStep[]): void {
    if (isStatementNode(node)) this.statement(node, out);
    else this.expression(node, out);
  }

  private call(call: TSESTree.CallExpression, out: LockStep[]): void {
    const callee = unwrapExpression(call.callee);
    if (callee.type === AST_NODE_TYPES.MemberExpression) {
      const lockCall = resolveLockCall(call, this.env);
      if (lockCall) {
        this.lockCall(lockCall, out);
        return;
      }
    }
    const handle = this.releasedHandle(callee);
    if (handle !== undefined) {
      out.push({ type: "release", node: call, handle });
      return;
    }
    if (isFunctionNode(callee)) {
      // An IIFE runs right here.
      for (const argument of call.arguments) this.expression(argument, out);
      out.push({ type: "call", node: call, callee: { name: undefined, receiver: "none", node: callee }, callbacks: [{ argIndex: -1, body: this.functionBody(callee) }] });
      return;
    }
    if (callee.type === AST_NODE_TYPES.MemberExpression) {
      this.expression(callee.object, out);
      if (callee.computed) this.expression(callee.property, out);
    } else if (callee.type !== AST_NODE_TYPES.Identifier) {
      this.expression(callee, out);
    }
    this.plainCall(call, calleeRefOf(call.callee), isTaskBoundary(callee), out);
  }

  /** A call that is not a lock operation: its arguments, then the call with the callbacks that run during it. */
  private plainCall(call: TSESTree.CallExpression | TSESTree.NewExpression, callee: CalleeRef, spawnsTasks: boolean, out: LockStep[]): void {
    const callbacks: CallbackArgument<TSESTree.Node, CalleeRef>[] = [];
    const args = call.arguments;
    for (let argIndex = 0; argIndex < args.length; argIndex += 1) {
      const argument = args[argIndex];
      const value = unwrapExpression(argument);
      let body: LockStep[] | undefined;
      if (isFunctionNode(value)) body = this.functionBody(value);
      else {
        const reference = this.suffixedReference(value);
        if (reference) body = [{ type: "call", node: value, callee: reference, callbacks: [] }];
      }
      if (!body) {
        this.expression(argument, out);
        continue;
      }
      if (spawnsTasks) out.push({ type: "spawn", node: value, body });
      else callbacks.push({ argIndex, body });
    }
    out.push({ type: "call", node: call, callee, callbacks });
  }

  /** `this.entries.runWrite(fn)`, `await this.m.acquire()`, `this.m.release()`. */
  private lockCall(lockCall: LockCall, out: LockStep[]): void {
    const { call, lock, method, action } = lockCall;
    const lockRef = lockRefOf(lock);
    const keyText = lockCall.keyText === undefined ? {} : { keyText: lockCall.keyText };
    if (action === "release") {
      // The arguments (a keyed lock's key) belong to the release: `finally { locks.release(keyOf(x)) }`
      // counts as releasing, so what they call is placed after the release, not as a throw before it.
      out.push({ type: "release", node: call, lock: lockRef });
      for (const argument of call.arguments) this.expression(argument, out);
      return;
    }
    const mode = action === "read" ? "r" : "w";
    const callbackIndex = call.arguments.findIndex((argument) => isFunctionNode(unwrapExpression(argument)));
    const isCallbackMethod = CALLBACK_METHODS.has(method);
    if (callbackIndex >= 0 || isCallbackMethod) {
      // The lock is held while the callback runs: inline, or a function passed by reference (`runExclusive(this.work_rsw)`).
      let body: LockStep[] = [];
      call.arguments.forEach((argument, index) => {
        const value = unwrapExpression(argument);
        if (index === callbackIndex && isFunctionNode(value)) {
          body = this.functionBody(value);
          return;
        }
        if (callbackIndex < 0 && isCallbackMethod && body.length === 0 && argument !== lockCall.keyNode) {
          const reference = referenceOf(value);
          if (reference) {
            body = [{ type: "call", node: value, callee: reference, callbacks: [] }];
            return;
          }
        }
        this.expression(argument, out);
      });
      out.push({ type: "acquire", node: call, lock: lockRef, mode, form: "callback", body, ...keyText });
      return;
    }
    for (const argument of call.arguments) this.expression(argument, out);
    const use = resultUse(call);
    if (use.kind === "unused") {
      out.push({ type: "acquire", node: call, lock: lockRef, mode, form: "manual", ...keyText });
      return;
    }
    if (use.kind === "escapes") {
      // Returned or stored elsewhere: releasing it is the receiver's job.
      out.push({ type: "acquire", node: call, lock: lockRef, mode, form: "guard", owned: false, ...keyText });
      return;
    }
    const step: GuardStep = { type: "acquire", node: call, lock: lockRef, mode, form: "guard", handle: use.binding.name, ...keyText };
    if (use.scoped) step.scoped = true;
    else (this.boundGuards ??= []).push({ step, binding: use.binding });
    (this.handles ??= new Map()).set(use.binding.name, lock);
    out.push(step);
  }

  /** The handle a call releases: `release()`, `guard.release()`, `guard[Symbol.dispose]()`, or undefined. */
  private releasedHandle(callee: TSESTree.Node): string | undefined {
    const handles = this.handles;
    if (handles === undefined || handles.size === 0) return undefined;
    if (callee.type === AST_NODE_TYPES.Identifier) return handles.has(callee.name) ? callee.name : undefined;
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
    const object = unwrapExpression(callee.object);
    if (object.type !== AST_NODE_TYPES.Identifier) return undefined;
    const lock = handles.get(object.name);
    if (!lock) return undefined;
    const method = memberName(callee);
    if (method !== undefined && lock.methods.release.includes(method)) return object.name;
    const property = callee.property;
    if (
      callee.computed &&
      property.type === AST_NODE_TYPES.MemberExpression &&
      !property.computed &&
      property.object.type === AST_NODE_TYPES.Identifier &&
      property.object.name === "Symbol" &&
      property.property.type === AST_NODE_TYPES.Identifier &&
      DISPOSE_SYMBOLS.has(property.property.name)
    ) {
      return object.name;
    }
    return undefined;
  }

  /** Reading a suffixed getter declared in this file runs it: a call (`this.value_sa`). */
  private getterRead(node: TSESTree.MemberExpression, out: LockStep[]): void {
    const getters = this.env.suffixedGetterNames;
    if (getters.size === 0) return;
    const name = memberName(node);
    if (name === undefined || !getters.has(name)) return;
    const callee = referenceOf(node);
    if (callee) out.push({ type: "call", node, callee, callbacks: [] });
  }

  /** A function passed by reference whose name carries a suffix (`items.map(this.add_rsw)`): a call during the call. */
  private suffixedReference(node: TSESTree.Node): CalleeRef | undefined {
    // The name first, without building the reference: most arguments are not suffixed functions.
    const target = referenceTarget(node);
    if (target === undefined) return undefined;
    const name = target.type === AST_NODE_TYPES.Identifier ? target.name : memberName(target);
    if (!name || !name.includes("_")) return undefined;
    return suffixOf(name, this.env.policy).tokens.length ? referenceOf(node) : undefined;
  }

  /**
   * A releaser or guard that is used anywhere but in its own release (returned, stored, passed on,
   * captured by a closure) is not this function's to release.
   */
  private settleOwnership(): void {
    if (this.boundGuards) for (const { step, binding } of this.boundGuards) step.owned = !handleEscapes(binding, this.env);
  }
}

// ---- helpers ----

function isNode(value: unknown): value is TSESTree.Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

function isStatementNode(node: TSESTree.Node): boolean {
  return node.type.endsWith("Statement") || node.type.endsWith("Declaration");
}

/** `true`: a loop condition that never ends the loop. */
function isTrueLiteral(node: TSESTree.Expression): boolean {
  return node.type === AST_NODE_TYPES.Literal && node.value === true;
}

function isLoopStatement(node: TSESTree.Node): boolean {
  switch (node.type) {
    case AST_NODE_TYPES.WhileStatement:
    case AST_NODE_TYPES.DoWhileStatement:
    case AST_NODE_TYPES.ForStatement:
    case AST_NODE_TYPES.ForInStatement:
    case AST_NODE_TYPES.ForOfStatement:
      return true;
    default:
      return false;
  }
}

/** `case 1: { …; break; }` reads as `case 1: …; break;`. */
function flattenBlocks(statements: readonly TSESTree.Statement[]): TSESTree.Statement[] {
  const flat: TSESTree.Statement[] = [];
  for (const statement of statements) {
    if (statement.type === AST_NODE_TYPES.BlockStatement) flat.push(...flattenBlocks(statement.body));
    else flat.push(statement);
  }
  return flat;
}

function isTaskBoundary(callee: TSESTree.Node): boolean {
  if (callee.type === AST_NODE_TYPES.Identifier) return isTaskBoundaryCall(callee.name, false, undefined);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return false;
  const name = memberName(callee);
  if (name === undefined) return false;
  const object = unwrapExpression(callee.object);
  return isTaskBoundaryCall(name, true, object.type === AST_NODE_TYPES.Identifier ? object.name : undefined);
}

/** The callee as a name: `f()`, `this.f()`, `super.f()`, `a?.f()`, `obj["f"]()`, and `f.call(…)` / `f.apply(…)` as `f`. */
export function calleeRefOf(calleeExpression: TSESTree.Node): CalleeRef {
  const callee = unwrapExpression(calleeExpression);
  if (callee.type === AST_NODE_TYPES.MemberExpression) {
    const name = memberName(callee);
    if (name === "call" || name === "apply") {
      const target = unwrapExpression(callee.object);
      if (target.type === AST_NODE_TYPES.Identifier || target.type === AST_NODE_TYPES.MemberExpression) return calleeRefOf(target);
    }
  }
  return referenceOf(callee) ?? { name: undefined, receiver: "none", node: callee };
}

/** A function named by an expression: `f`, `this.f`, `super.f`, `other.f`, `this.f.bind(this)`. */
function referenceOf(node: TSESTree.Node): CalleeRef | undefined {
  const target = referenceTarget(node);
  if (target === undefined) return undefined;
  if (target.type === AST_NODE_TYPES.Identifier) return { name: target.name, receiver: "none", node: target };
  const name = memberName(target);
  if (name === undefined) return undefined;
  const object = target.object;
  const receiver = object.type === AST_NODE_TYPES.ThisExpression ? "this" : object.type === AST_NODE_TYPES.Super ? "super" : "other";
  return { name, receiver, node: target.property };
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

/** What happens to the releaser/guard an acquiring call returns. */
function resultUse(call: TSESTree.CallExpression): ResultUse {
  let node: TSESTree.Node = call;
  let parent: TSESTree.Node | undefined = call.parent;
  while (parent && isTransparentParent(parent)) {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return { kind: "escapes" };
  switch (parent.type) {
    case AST_NODE_TYPES.ExpressionStatement:
      return { kind: "unused" };
    case AST_NODE_TYPES.VariableDeclarator: {
      if (parent.init !== node) return { kind: "escapes" };
      const declaration = parent.parent;
      const scoped = declaration?.type === AST_NODE_TYPES.VariableDeclaration && (declaration.kind === "using" || declaration.kind === "await using");
      if (parent.id.type === AST_NODE_TYPES.Identifier) return { kind: "bound", binding: parent.id, scoped };
      // async-mutex `Semaphore.acquire()` resolves to `[value, release]`.
      const releaser = parent.id.type === AST_NODE_TYPES.ArrayPattern ? parent.id.elements[1] : undefined;
      if (releaser?.type === AST_NODE_TYPES.Identifier) return { kind: "bound", binding: releaser, scoped: false };
      return { kind: "escapes" };
    }
    case AST_NODE_TYPES.AssignmentExpression:
      if (parent.right === node && parent.operator === "=" && parent.left.type === AST_NODE_TYPES.Identifier) {
        return { kind: "bound", binding: parent.left, scoped: false };
      }
      return { kind: "escapes" };
    default:
      return { kind: "escapes" };
  }
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
