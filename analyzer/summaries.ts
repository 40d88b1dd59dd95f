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
import { analyzeFlow, type CallEffect, type CallStep, type FlowFinding, type HeldLock, type LockAcquisition } from "../core/flow.js";
import type { Callee, FunctionUnit } from "./functions.js";
import { stronglyConnectedComponents } from "./scc.js";

export interface FunctionSummary {
  /** Lock key → strongest mode taken in the function's own task. */
  readonly acquired: ReadonlyMap<string, LockAcquisition>;
  /** Parameter index → locks held (by the function itself) while it invokes that parameter. */
  readonly heldDuringParameter: ReadonlyMap<number, ReadonlyMap<string, LockAcquisition>>;
}

/** A call effect that remembers which functions it stands for (to follow chains down to the acquisition). */
export interface UnitCallEffect extends CallEffect {
  readonly targets: readonly FunctionUnit[];
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

function sameSummary(a: FunctionSummary | undefined, b: FunctionSummary): boolean {
  if (!a || !sameAcquisitions(a.acquired, b.acquired) || a.heldDuringParameter.size !== b.heldDuringParameter.size) return false;
  for (const [index, held] of b.heldDuringParameter) if (!sameAcquisitions(a.heldDuringParameter.get(index), held)) return false;
  return true;
}

function isEmpty(summary: FunctionSummary | undefined): boolean {
  return summary === undefined || (summary.acquired.size === 0 && summary.heldDuringParameter.size === 0);
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
      for (const [key, acquisition] of summary.acquired) acquires.set(key, stronger(acquires.get(key), acquisition));
      if (summary.heldDuringParameter.size > 0) wraps = true;
    }
    if (acquires.size === 0 && !wraps) return undefined;
    const targets = callee.targets;
    return {
      label: calleeLabel(targets),
      acquires: [...acquires.values()],
      targets,
      heldDuringCallback: (argIndex) => {
        const held = new Map<string, LockAcquisition>();
        for (const target of targets) {
          for (const [key, acquisition] of summaries.get(target)?.heldDuringParameter.get(argIndex) ?? []) held.set(key, stronger(held.get(key), acquisition));
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
    const heldDuringParameter = new Map<number, Map<string, LockAcquisition>>();
    const result = analyzeFlow<ts.Node, Callee>(facts.steps, {
      resolveCall: (step: CallStep<ts.Node, Callee>) => effectOf(step.callee),
      onAcquire: (acquired, held, node, via) => {
        const effect = via as UnitCallEffect | undefined;
        if (!facts.spawnNodes.has(node) && !witnesses.has(acquired.lock.key)) witnesses.set(acquired.lock.key, { node, ...(effect ? { via: effect } : {}) });
        for (const lock of held) {
          const key = `${lock.lock.key}\u0000${acquired.lock.key}\u0000${node.pos}:${node.end}`;
          if (nestingKeys.has(key)) continue;
          nestingKeys.add(key);
          nestings.push({ held: lock, acquired, node, ...(effect ? { via: effect } : {}) });
        }
      },
      onCall: (step, held) => {
        if (step.callee.kind !== "parameter" || held.length === 0) return;
        let locks = heldDuringParameter.get(step.callee.index);
        if (!locks) {
          locks = new Map();
          heldDuringParameter.set(step.callee.index, locks);
        }
        for (const lock of held) locks.set(lock.lock.key, stronger(locks.get(lock.lock.key), { lock: lock.lock, mode: lock.mode }));
      },
    });
    outcomes.set(unit, { findings: result.findings, witnesses, nestings });
    const summary: FunctionSummary = { acquired: result.acquired, heldDuringParameter };
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
