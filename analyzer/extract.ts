/**
 * lock-audit's side of the lowering: core/lowering.ts turns each unit's compiler nodes into the
 * `Step` program core/flow.ts runs; this host answers it with the type checker — which lock a
 * receiver is (locks.ts), which units a call may run (resolve.ts) — and records the call-graph edges.
 */
import { ts } from "ts-morph";
import { CONSUMER_ARGUMENT, type LockRef } from "../core/flow.js";
import type { LockKind } from "../core/policy.js";
import { lowerUnit, type LockAction, type LoweringHost, type ResolvedCall, type TypeScript } from "../core/lowering.js";
import type { Callee, FunctionUnit, UnitFacts } from "./functions.js";
import type { LockResolver } from "./locks.js";
import type { CallResolver } from "./resolve.js";

const UNKNOWN: Callee = { kind: "unknown" };

/** One unit's call-graph edges, collected while it is lowered. */
interface Edges {
  readonly callees: Set<FunctionUnit>;
  invokesParameter: boolean;
}

export class FactExtractor implements LoweringHost<Callee, FunctionUnit> {
  /** Acquisition sites recognized so far. */
  lockSites = 0;
  // ts-morph's bundled TypeScript: its nodes are read with its own SyntaxKind values.
  readonly ts: TypeScript = ts;
  readonly unknownCallee = UNKNOWN;
  readonly specializesOnFlags = true;
  readonly keysAcrossCalls = true;
  readonly lockMethodNames: ReadonlySet<string>;
  readonly releaseNames: ReadonlySet<string>;
  private edges: Edges | undefined;

  constructor(
    readonly locks: LockResolver,
    readonly calls: CallResolver,
    releaseNames: Iterable<string>,
  ) {
    this.releaseNames = new Set(releaseNames);
    this.lockMethodNames = locks.methodNames;
  }

  extract(unit: FunctionUnit): UnitFacts {
    const edges: Edges = { callees: new Set(), invokesParameter: false };
    this.edges = edges;
    try {
      const lowered = lowerUnit(unit.node, this, unit);
      this.lockSites += lowered.lockSites;
      return {
        steps: lowered.steps,
        callees: edges.callees,
        spawnNodes: lowered.spawnNodes,
        acquires: lowered.acquires,
        invokesParameter: edges.invokesParameter,
        flagSensitive: lowered.flagSensitive,
      };
    } finally {
      this.edges = undefined;
    }
  }

  resolveLock(receiver: ts.Expression, unit: FunctionUnit): LockRef | undefined {
    const lock = this.locks.resolve(receiver);
    // A parameter of an enclosing function, captured by a closure of its own: its calls do not say which lock it is.
    if (lock?.parameter && lock.parameter.owner !== unit.node) return undefined;
    return lock;
  }

  resolveNamedLock(target: string, kind: LockKind | undefined): LockRef | undefined {
    return this.locks.resolveNamed(target, kind);
  }

  classify(lock: LockRef, method: string): LockAction | undefined {
    return this.locks.classify(lock, method);
  }

  resolveCall(call: ts.CallExpression | ts.NewExpression, unit: FunctionUnit): ResolvedCall<Callee> {
    const resolved = this.calls.resolveCall(call, unit);
    if (resolved.callee.kind === "unknown") return { callee: undefined, argumentShift: resolved.argumentShift };
    if (resolved.callee.kind !== "functions" || resolved.argumentShift === undefined) return { callee: resolved.callee, argumentShift: resolved.argumentShift };
    // `withLock(this.#mutex, cb)`: the locks this call passes for the targets' lock parameters.
    const lockArguments = new Map<number, LockRef>();
    for (const target of resolved.callee.targets) {
      for (const index of this.locks.lockParameters(target.node)) {
        const argument = call.arguments?.[index + resolved.argumentShift];
        const lock = argument && !lockArguments.has(index) ? this.resolveLock(argument, unit) : undefined;
        if (lock) lockArguments.set(index, lock);
      }
    }
    return { callee: lockArguments.size > 0 ? { ...resolved.callee, lockArguments } : resolved.callee, argumentShift: resolved.argumentShift };
  }

  resolveReference(expression: ts.Expression, unit: FunctionUnit): Callee | undefined {
    return this.calls.resolveReference(expression, unit);
  }

  resolveAccessor(access: ts.PropertyAccessExpression, kind: "get" | "set"): Callee | undefined {
    const targets = this.calls.resolveAccessor(access, kind);
    return targets.length > 0 ? { kind: "functions", targets } : undefined;
  }

  noteCallee(callee: Callee): void {
    const edges = this.edges!;
    if (callee.kind === "functions") for (const target of callee.targets) edges.callees.add(target);
    else if (callee.kind === "parameter") edges.invokesParameter = true;
  }

  /** A generator's `yield` invokes its consumer, the pseudo parameter at `CONSUMER_ARGUMENT`. */
  consumerCallee(unit: FunctionUnit): Callee | undefined {
    return isGenerator(unit.node) ? { kind: "parameter", index: CONSUMER_ARGUMENT } : undefined;
  }

  runsConsumer(callee: Callee): boolean {
    return callee.kind === "functions" && callee.targets.some((target) => isGenerator(target.node));
  }

  noteTaskBoundaryCall(): void {
    this.calls.countExternalCall();
  }
}

function isGenerator(node: ts.Node): boolean {
  return (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken !== undefined;
}
