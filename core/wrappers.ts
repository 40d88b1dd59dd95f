/**
 * Wrapper classes (core/recognition.ts `forwardingMethodShape`): which methods of a class of the
 * program run one of their function parameters under a lock the instance holds
 * (`acquire = (key, op, cb) => this.lock.acquire(key, async () => … cb() …)`, boltz's
 * `InstrumentedLock`). Both front ends read a class with this one walk; what a name denotes — which
 * lock `this.lock` is, whether a parameter is a function, which binding an identifier names — each
 * answers with its own means (lock-audit: the type checker; the ESLint rules: what the file shows).
 * Like the lowering, it reads `SyntaxKind` from the `ts` it is handed and never imports `typescript`.
 */
import type * as TS from "typescript";
import { lockKindOf, type LockRef } from "./flow.js";
import { callbackArgumentIndex, isFunctionExpressionLike, isInlineCallback, isTypeOnly, lockMethodShape, skipOuterExpressions, takesKeyArgument, type LockAction, type TypeScript } from "./lowering.js";
import type { LockKind } from "./policy.js";
import { forwardingMethodShape, KEY_ARGUMENT, type MethodShape } from "./recognition.js";

/** What a class's lock methods are when it is a wrapper: the kind of lock it is, and each forwarding method's shape by name. */
export interface WrapperClass {
  readonly kind: LockKind | undefined;
  readonly methodShapes: ReadonlyMap<string, MethodShape>;
}

export interface WrapperHost {
  readonly ts: TypeScript;
  /** Method names that may acquire a lock: only members bearing one are read. */
  readonly lockMethodNames: ReadonlySet<string>;
  /** The lock `this.member` denotes inside the class (its own lock), or undefined. */
  innerLock(receiver: TS.PropertyAccessExpression): LockRef | undefined;
  /** What `method` does on `lock`, or undefined when it is not one of its lock methods. */
  classify(lock: LockRef, method: string): LockAction | undefined;
  /** Whether a parameter of a member is a function (a callback it may forward). */
  isFunctionParameter(parameter: TS.ParameterDeclaration): boolean;
  /** Whether an identifier in a member's body names that parameter. */
  namesParameter(identifier: TS.Identifier, parameter: TS.ParameterDeclaration): boolean;
}

/** The wrapper a class is, or undefined when none of its lock-method-named members forwards a callback to a lock of its own. */
export function wrapperClassOf(declaration: TS.ClassLikeDeclaration, host: WrapperHost): WrapperClass | undefined {
  const ts = host.ts;
  const methodShapes = new Map<string, MethodShape>();
  let kind: LockKind | undefined;
  for (const member of declaration.members) {
    const name = member.name && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name) || ts.isStringLiteral(member.name)) ? member.name.text : undefined;
    if (name === undefined || !host.lockMethodNames.has(name) || isStatic(ts, member)) continue;
    const fn = memberFunction(ts, member);
    const forwarding = fn?.body ? forwardingOf(fn, host) : undefined;
    if (!forwarding) continue;
    methodShapes.set(name, forwarding.shape);
    kind ??= forwarding.kind;
  }
  return methodShapes.size > 0 ? { kind, methodShapes } : undefined;
}

function isStatic(ts: TypeScript, member: TS.ClassElement): boolean {
  return (member as { modifiers?: TS.NodeArray<TS.ModifierLike> }).modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword) ?? false;
}

/** A method with a body, or a field holding a function expression. */
function memberFunction(ts: TypeScript, member: TS.ClassElement): TS.FunctionLikeDeclaration | undefined {
  if (member.kind === ts.SyntaxKind.MethodDeclaration) return member as TS.MethodDeclaration;
  if (!ts.isPropertyDeclaration(member) || !member.initializer) return undefined;
  const initializer = skipOuterExpressions(ts, member.initializer);
  return isFunctionExpressionLike(ts, initializer) ? initializer : undefined;
}

/**
 * How a method runs one of its function parameters under a lock of `this` (`this.lock.acquire(key,
 * async () => { … cb() … })`, `this.mutex.runExclusive(cb)`), or undefined when it does not.
 */
function forwardingOf(fn: TS.FunctionLikeDeclaration, host: WrapperHost): { shape: MethodShape; kind: LockKind | undefined } | undefined {
  const ts = host.ts;
  const callbacks = fn.parameters.filter((parameter) => ts.isIdentifier(parameter.name) && !parameter.dotDotDotToken && host.isFunctionParameter(parameter));
  if (callbacks.length === 0) return undefined;
  const stack: TS.Node[] = [fn.body!];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (ts.isCallExpression(node)) {
      const found = forwardingCall(node, fn, callbacks, host);
      if (found) return found;
    }
    ts.forEachChild(node, (child) => {
      // A function that is not an inline callback runs later, if at all; types run nothing.
      if (isTypeOnly(ts, child) || child.kind === ts.SyntaxKind.FunctionDeclaration || (isFunctionExpressionLike(ts, child) && !isInlineCallback(ts, child))) return;
      stack.push(child);
    });
  }
  return undefined;
}

function forwardingCall(call: TS.CallExpression, fn: TS.FunctionLikeDeclaration, callbacks: readonly TS.ParameterDeclaration[], host: WrapperHost): { shape: MethodShape; kind: LockKind | undefined } | undefined {
  const ts = host.ts;
  const callee = skipOuterExpressions(ts, call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !host.lockMethodNames.has(callee.name.text)) return undefined;
  const receiver = skipOuterExpressions(ts, callee.expression);
  if (!ts.isPropertyAccessExpression(receiver) || receiver.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  const inner = host.innerLock(receiver);
  if (!inner || inner.parameter) return undefined;
  const method = callee.name.text;
  const action = host.classify(inner, method);
  if (action !== "write" && action !== "read") return undefined;
  const innerKeyed = takesKeyArgument(inner);
  const innerShape = lockMethodShape(inner, method);
  const callbackAt = callbackArgumentIndex(innerShape, inner, call.arguments.length);
  let forwarded: number | undefined;
  call.arguments.forEach((argument, index) => {
    const node = skipOuterExpressions(ts, argument);
    if (forwarded === undefined && (index === callbackAt || isFunctionExpressionLike(ts, node))) forwarded = referencedCallback(node, fn, callbacks, host);
  });
  if (forwarded === undefined) return undefined;
  let kind = lockKindOf(inner);
  if (innerKeyed) {
    // Passing its first parameter on as the key makes the wrapper keyed; a fixed key makes it one lock.
    const key = call.arguments[KEY_ARGUMENT];
    const keyNode = key && skipOuterExpressions(ts, key);
    const first = fn.parameters[KEY_ARGUMENT];
    const passesKey = keyNode !== undefined && ts.isIdentifier(keyNode) && first !== undefined && ts.isIdentifier(first.name) && host.namesParameter(keyNode, first);
    kind = passesKey ? "keyed" : "mutex";
    if (passesKey && forwarded === KEY_ARGUMENT) return undefined;
  }
  return { shape: forwardingMethodShape(innerShape, forwarded, kind === "keyed"), kind };
}

/** The index of the callback parameter an argument is or mentions (`cb`, `() => context.with(ctx, cb)`), or undefined. */
function referencedCallback(node: TS.Node, fn: TS.FunctionLikeDeclaration, callbacks: readonly TS.ParameterDeclaration[], host: WrapperHost): number | undefined {
  const ts = host.ts;
  const stack: TS.Node[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (ts.isIdentifier(current)) {
      const parameter = callbacks.find((candidate) => host.namesParameter(current, candidate));
      if (parameter) return fn.parameters.indexOf(parameter);
    }
    ts.forEachChild(current, (child) => {
      if (!isTypeOnly(ts, child)) stack.push(child);
    });
  }
  return undefined;
}
