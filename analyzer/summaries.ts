/**
 * Per-function summaries to a fixpoint over the call graph's strongly connected components.
 *
 * A summary says which locks a function takes in its own task, directly or through callees (the
 * truth its suffix must state), and which locks it holds while it invokes each of its parameters
 * (a wrapper such as `#withControllerLock(fn) { return this.#mutex.runExclusive(fn) }`). Components
 * are processed callees first; inside a recursive component a worklist re-runs the callers of every
 * function whose summary grew, until nothing changes. Summaries only grow and are bounded by the
 * locks of the program, so this ends. The held-set semantics are core/flow.ts's, unchanged: this
 * module only feeds it callee summaries (`resolveCall`) and listens (`onAcquire`, `onCall`).
 */
import type { ts } from "ts-morph";
import { analyzeFlow, type CallEffect, type CallStep, type FlowFinding, type HeldLock, type LockAcquisition, type LockRef } from "../core/flow.js";
import type { Callee, FunctionUnit } from "./functions.js";
import { stronglyConnectedComponents } from "./scc.js";

export interface FunctionSummary {
  /** Lock key → strongest mode taken in the function's own task. */
  readonly acquired: ReadonlyMap<string, LockAcquisition>;
  /** Parameter index → locks held (by the function itself) while it invokes that parameter. */
  readonly heldDuringParameter: ReadonlyMap<number, ReadonlyMap<string, LockAcquisition>>;
  /**
   * Nestings that involve a lock parameter (`both(a, b)` takes `b` while holding `a`): each call
   * site substitutes its arguments and records the nesting of the locks it passes, so two callers
   * passing one pair in opposite orders form a cycle.
   */
  readonly parametricNestings: readonly ParametricNesting[];
}

export interface ParametricNesting {
  readonly held: LockAcquisition;
  readonly acquired: LockAcquisition;
}

/** A call effect that remembers which functions it stands for (to follow chains down to the acquisition). */
export interface UnitCallEffect extends CallEffect {
  readonly targets: readonly FunctionUnit[];
  /** The locks the call passes for the targets' lock parameters. */
  readonly lockArguments?: ReadonlyMap<number, LockRef>;
}

/** How a function first comes to take a lock: at `node`, directly, or by calling `via`. */
export interface AcquisitionWitness {
  readonly node: ts.Node;
  readonly via?: UnitCallEffect;
}

/** `acquired` taken while `held` was held, at `node` (directly or through `via`). */
export interface Nesting {
  readonly held: HeldLock<ts.Node>;
  readonly acquired: LockAcquisition;
  readonly node: ts.Node;
  readonly via?: UnitCallEffect;
}

/** What the final run over a function found, with final callee summaries. */
export interface UnitOutcome {
  readonly findings: readonly FlowFinding<ts.Node>[];
  readonly witnesses: ReadonlyMap<string, AcquisitionWitness>;
  readonly nestings: readonly Nesting[];
}

export interface SummaryResult {
  readonly summaries: ReadonlyMap<FunctionUnit, FunctionSummary>;
  readonly outcomes: ReadonlyMap<FunctionUnit, UnitOutcome>;
}

function stronger(a: LockAcquisition | undefined, b: LockAcquisition): LockAcquisition {
  return a === undefined || (a.mode === "r" && b.mode === "w") ? b : a;
}

function sameAcquisitions(a: ReadonlyMap<string, LockAcquisition> | undefined, b: ReadonlyMap<string, LockAcquisition>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [key, acquisition] of b) if (a.get(key)?.mode !== acquisition.mode) return false;
  return true;
}

function nestingKey(nesting: ParametricNesting): string {
  return `${nesting.held.lock.key}:${nesting.held.mode}\u0000${nesting.acquired.lock.key}:${nesting.acquired.mode}`;
}

function sameSummary(a: FunctionSummary | undefined, b: FunctionSummary): boolean {
  if (!a || !sameAcquisitions(a.acquired, b.acquired) || a.heldDuringParameter.size !== b.heldDuringParameter.size) return false;
  if (a.parametricNestings.length !== b.parametricNestings.length) return false;
  const nestings = new Set(a.parametricNestings.map(nestingKey));
  if (b.parametricNestings.some((nesting) => !nestings.has(nestingKey(nesting)))) return false;
  for (const [index, held] of b.heldDuringParameter) if (!sameAcquisitions(a.heldDuringParameter.get(index), held)) return false;
  return true;
}

function isEmpty(summary: FunctionSummary | undefined): boolean {
  return summary === undefined || (summary.acquired.size === 0 && summary.heldDuringParameter.size === 0 && summary.parametricNestings.length === 0);
}

/**
 * Adds a callee's acquisition as this call site sees it: a lock parameter becomes the lock the call
 * passes for it, and is left out when the call passes nothing the analysis knows as a lock.
 */
function addSubstituted(into: Map<string, LockAcquisition>, acquisition: LockAcquisition, lockArguments: ReadonlyMap<number, LockRef> | undefined): void {
  const seen = substituted(acquisition, lockArguments);
  if (seen) into.set(seen.lock.key, stronger(into.get(seen.lock.key), seen));
}

/** A callee's acquisition at a call site: a lock parameter becomes the lock passed for it (undefined: none known). */
function substituted(acquisition: LockAcquisition, lockArguments: ReadonlyMap<number, LockRef> | undefined): LockAcquisition | undefined {
  const parameter = acquisition.lock.parameter;
  if (!parameter) return acquisition;
  const lock = lockArguments?.get(parameter.index);
  return lock ? { lock, mode: acquisition.mode } : undefined;
}

/**
 * The key under which a callee's summary knows the lock a caller calls `key`: the same key, or the
 * callee's lock parameter that the call passes it for.
 */
export function keyInCallee(summary: FunctionSummary | undefined, key: string, lockArguments: ReadonlyMap<number, LockRef> | undefined): string | undefined {
  if (!summary) return undefined;
  if (summary.acquired.has(key)) return key;
  if (!lockArguments) return undefined;
  for (const acquisition of summary.acquired.values()) {
    const parameter = acquisition.lock.parameter;
    if (parameter && lockArguments.get(parameter.index)?.key === key) return acquisition.lock.key;
  }
  return undefined;
}

export function calleeLabel(targets: readonly FunctionUnit[]): string {
  if (targets.length === 1) return targets[0].label;
  return `${targets[0].label} (or ${targets.length - 1} other implementation${targets.length > 2 ? "s" : ""})`;
}

export function computeSummaries(units: readonly FunctionUnit[], onProgress?: (done: number, total: number) => void): SummaryResult {
  const summaries = new Map<FunctionUnit, FunctionSummary>();
  const outcomes = new Map<FunctionUnit, UnitOutcome>();
  const analyzable = units.filter((unit) => unit.facts !== undefined);

  const effectOf = (callee: Callee): UnitCallEffect | undefined => {
    if (callee.kind !== "functions") return undefined;
    const acquires = new Map<string, LockAcquisition>();
    let wraps = false;
    for (const target of callee.targets) {
      const summary = summaries.get(target);
      if (!summary) continue;
      for (const acquisition of summary.acquired.values()) addSubstituted(acquires, acquisition, callee.lockArguments);
      if (summary.heldDuringParameter.size > 0) wraps = true;
    }
    if (acquires.size === 0 && !wraps) return undefined;
    const targets = callee.targets;
    return {
      label: calleeLabel(targets),
      acquires: [...acquires.values()],
      targets,
      ...(callee.lockArguments ? { lockArguments: callee.lockArguments } : {}),
      heldDuringCallback: (argIndex) => {
        const held = new Map<string, LockAcquisition>();
        for (const target of targets) {
          for (const acquisition of summaries.get(target)?.heldDuringParameter.get(argIndex)?.values() ?? []) addSubstituted(held, acquisition, callee.lockArguments);
        }
        return held.size > 0 ? [...held.values()] : undefined;
      },
    };
  };

  /** Runs the held-set interpreter over one function with the current callee summaries; true when its summary changed. */
  const run = (unit: FunctionUnit): boolean => {
    const facts = unit.facts!;
    const mayMatter = facts.acquires || facts.invokesParameter || [...facts.callees].some((callee) => !isEmpty(summaries.get(callee)));
    if (!mayMatter) return false; // takes no lock and calls nothing that does: empty summary, nothing to report
    const witnesses = new Map<string, AcquisitionWitness>();
    const nestings: Nesting[] = [];
    const nestingKeys = new Set<string>();
    const addNesting = (nesting: Nesting): void => {
      const node = nesting.node;
      const key = `${nesting.held.lock.key}\u0000${nesting.acquired.lock.key}\u0000${node.pos}:${node.end}`;
      if (nestingKeys.has(key)) return;
      nestingKeys.add(key);
      nestings.push(nesting);
    };
    const heldDuringParameter = new Map<number, Map<string, LockAcquisition>>();
    /** Order findings of nestings that a callee makes of the locks this function passes it. */
    const passedFindings: FlowFinding<ts.Node>[] = [];
    const result = analyzeFlow<ts.Node, Callee>(facts.steps, {
      resolveCall: (step: CallStep<ts.Node, Callee>) => effectOf(step.callee),
      onAcquire: (acquired, held, node, via) => {
        const effect = via as UnitCallEffect | undefined;
        if (!facts.spawnNodes.has(node) && !witnesses.has(acquired.lock.key)) witnesses.set(acquired.lock.key, { node, ...(effect ? { via: effect } : {}) });
        for (const lock of held) addNesting({ held: lock, acquired, node, ...(effect ? { via: effect } : {}) });
      },
      onCall: (step, held) => {
        const callee = step.callee;
        if (callee.kind === "functions" && callee.lockArguments) {
          // The callee nests the locks this call passes: the nesting happens here, with this call's locks.
          for (const target of callee.targets) {
            for (const nesting of summaries.get(target)?.parametricNestings ?? []) {
              const outer = substituted(nesting.held, callee.lockArguments);
              const inner = substituted(nesting.acquired, callee.lockArguments);
              if (!outer || !inner || outer.lock.key === inner.lock.key) continue;
              const effect = effectOf(callee);
              const heldLock: HeldLock<ts.Node> = { lock: outer.lock, mode: outer.mode, site: step.node, form: "callback", owned: false, inCallee: true };
              addNesting({ held: heldLock, acquired: inner, node: step.node, ...(effect ? { via: effect } : {}) });
              // Both declared and taken against the order: the call is where it happens.
              const [first, second] = [outer.lock.declared, inner.lock.declared];
              if (first && second && second.rank < first.rank && !facts.spawnNodes.has(step.node)) {
                passedFindings.push({ kind: "order", node: step.node, held: [heldLock], acquiring: [inner], ...(effect ? { via: effect } : {}) });
              }
            }
          }
        }
        if (callee.kind !== "parameter" || held.length === 0) return;
        let locks = heldDuringParameter.get(callee.index);
        if (!locks) {
          locks = new Map();
          heldDuringParameter.set(callee.index, locks);
        }
        for (const lock of held) locks.set(lock.lock.key, stronger(locks.get(lock.lock.key), { lock: lock.lock, mode: lock.mode }));
      },
    });
    outcomes.set(unit, { findings: passedFindings.length > 0 ? [...result.findings, ...passedFindings] : result.findings, witnesses, nestings });
    const parametricNestings = nestings
      .filter((nesting) => nesting.held.lock.parameter || nesting.acquired.lock.parameter)
      .map((nesting): ParametricNesting => ({ held: { lock: nesting.held.lock, mode: nesting.held.mode }, acquired: nesting.acquired }));
    const summary: FunctionSummary = { acquired: result.acquired, heldDuringParameter, parametricNestings };
    const changed = !sameSummary(summaries.get(unit), summary);
    summaries.set(unit, summary);
    return changed && !isEmpty(summary);
  };

  // Callees that could not be analyzed have no facts: they take no lock as far as we know.
  const analyzedCallees = (unit: FunctionUnit): FunctionUnit[] => [...unit.facts!.callees].filter((callee) => callee.facts !== undefined);
  const components = stronglyConnectedComponents(analyzable, analyzedCallees);
  let done = 0;
  for (const component of components) {
    const first = component[0];
    if (component.length === 1 && !first.facts!.callees.has(first)) {
      run(first);
    } else {
      // Recursion: re-run the callers (inside the component) of every function whose summary grew.
      const members = new Set(component);
      const callers = new Map<FunctionUnit, FunctionUnit[]>();
      for (const unit of component) {
        for (const callee of analyzedCallees(unit)) {
          if (!members.has(callee)) continue;
          const list = callers.get(callee) ?? [];
          list.push(unit);
          callers.set(callee, list);
        }
      }
      const queue = [...component];
      const queued = new Set(component);
      for (let i = 0; i < queue.length; i += 1) {
        const unit = queue[i];
        queued.delete(unit);
        if (!run(unit)) continue;
        for (const caller of callers.get(unit) ?? []) {
          if (queued.has(caller)) continue;
          queued.add(caller);
          queue.push(caller);
        }
      }
    }
    done += component.length;
    onProgress?.(done, analyzable.length);
  }
  return { summaries, outcomes };
}
