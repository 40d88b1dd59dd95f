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
import { analyzeFlow, type CallEffect, type CallStep, type FlagPath, type FlagTest, type FlagValue, type FlowFinding, type HeldLock, type LockAcquisition, type LockRef, type Step } from "../core/flow.js";
import { keyTemplateText, substituteKeyTemplate, type KeyArguments, type KeyTemplate } from "../core/key-template.js";
import { stronglyConnectedComponents } from "./scc.js";

/** What summaries need of a site: its range in the file (nestings are told apart by it). */
export interface Positioned {
  readonly pos: number;
  readonly end: number;
}

/** A call's callee as the front end resolved it, with targets of the unit type `U`. */
export type CalleeOf<U> =
  | { readonly kind: "functions"; readonly targets: readonly U[]; readonly lockArguments?: ReadonlyMap<number, LockRef> }
  | { readonly kind: "parameter"; readonly index: number }
  | { readonly kind: "unknown" };

/**
 * A unit as the fixpoint sees it: live program units (analyzer/functions.ts) and linked facts
 * (analyzer/facts.ts) both are one.
 */
export interface SummaryUnit<N extends Positioned, U> {
  readonly id: number | string;
  readonly label: string;
  readonly facts?: {
    readonly steps: readonly Step<N, CalleeOf<U>>[];
    readonly callees: ReadonlySet<U>;
    readonly spawnNodes: ReadonlySet<N>;
    readonly acquires: boolean;
    readonly invokesParameter: boolean;
    readonly flagSensitive: boolean;
  };
}

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
  /** Locks whose releaser or guard the function returns, still held (`lock() { return this.#mutex.acquire() }`). */
  readonly handedOver: ReadonlyMap<string, LockAcquisition>;
  /**
   * Keys of keyed locks the function takes in its own task, directly or through callees, where the
   * key is a template in its parameters (`accountKey($0)`); by `keyedTemplateKey`.
   */
  readonly keyed: ReadonlyMap<string, KeyedTemplate>;
}

/** One key of a keyed lock a function takes, as a template in its parameters. */
export interface KeyedTemplate extends LockAcquisition {
  readonly key: KeyTemplate;
}

/** Longer keys are dropped: a recursion that wraps its key (`f(wrap(id))`) would otherwise grow it forever. */
const MAX_KEY_TEMPLATE_TEXT = 200;

function keyedTemplateKey(keyed: KeyedTemplate): string {
  return `${keyed.lock.key}\u0000${keyed.mode}\u0000${keyed.key.file ?? ""}\u0000${JSON.stringify(keyed.key.parts)}`;
}

export interface ParametricNesting {
  readonly held: LockAcquisition;
  readonly acquired: LockAcquisition;
}

/** A call effect that remembers which functions it stands for (to follow chains down to the acquisition). */
export interface UnitCallEffect<U = unknown> extends CallEffect {
  readonly targets: readonly U[];
  /** The locks the call passes for the targets' lock parameters. */
  readonly lockArguments?: ReadonlyMap<number, LockRef>;
  /** The targets' keys (`keyed`) as templates in the caller's parameters. */
  readonly keyTemplates?: readonly KeyedTemplate[];
}

/** How a function first comes to take a lock: at `node`, directly, or by calling `via`. */
export interface AcquisitionWitness<N = Positioned, U = unknown> {
  readonly node: N;
  readonly via?: UnitCallEffect<U>;
}

/** `acquired` taken while `held` was held, at `node` (directly or through `via`). */
export interface Nesting<N = Positioned, U = unknown> {
  readonly held: HeldLock<N>;
  readonly acquired: LockAcquisition;
  readonly node: N;
  readonly via?: UnitCallEffect<U>;
}

/** What the final run over a function found, with final callee summaries. */
export interface UnitOutcome<N = Positioned, U = unknown> {
  readonly findings: readonly FlowFinding<N>[];
  readonly witnesses: ReadonlyMap<string, AcquisitionWitness<N, U>>;
  readonly nestings: readonly Nesting<N, U>[];
}

export interface SummaryResult<U = unknown, N = Positioned> {
  readonly summaries: ReadonlyMap<U, FunctionSummary>;
  readonly outcomes: ReadonlyMap<U, UnitOutcome<N, U>>;
}

/** The previous result, for an update: components none of whose inputs changed keep theirs. */
export interface SummaryReuse<U, N> {
  readonly previous: SummaryResult<U, N>;
  /** Units whose facts changed (or that are new) since `previous`. */
  readonly changed: ReadonlySet<U>;
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
  if (a.parametricNestings.length !== b.parametricNestings.length || !sameAcquisitions(a.handedOver, b.handedOver)) return false;
  if (a.keyed.size !== b.keyed.size || [...b.keyed.keys()].some((key) => !a.keyed.has(key))) return false;
  const nestings = new Set(a.parametricNestings.map(nestingKey));
  if (b.parametricNestings.some((nesting) => !nestings.has(nestingKey(nesting)))) return false;
  for (const [index, held] of b.heldDuringParameter) if (!sameAcquisitions(a.heldDuringParameter.get(index), held)) return false;
  return true;
}

function isEmpty(summary: FunctionSummary | undefined): boolean {
  return summary === undefined || (summary.acquired.size === 0 && summary.heldDuringParameter.size === 0 && summary.parametricNestings.length === 0 && summary.handedOver.size === 0 && summary.keyed.size === 0);
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

/** A callee's key at a call site, as a template in the caller's parameters (undefined: not expressible there). */
function substitutedKey(keyed: KeyedTemplate, lockArguments: ReadonlyMap<number, LockRef> | undefined, keyArguments: KeyArguments | undefined): KeyedTemplate | undefined {
  const acquisition = substituted(keyed, lockArguments);
  const key = acquisition && substituteKeyTemplate(keyed.key, keyArguments);
  return key && keyTemplateText(key).length <= MAX_KEY_TEMPLATE_TEXT ? { lock: acquisition.lock, mode: acquisition.mode, key } : undefined;
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

// ---- flags the caller decides (`{ skipLock: true }`) ----

/** A flag argument as the callee sees it: literals and objects of them; anything else is not decided. */
type FlagFact =
  | { readonly kind: "literal"; readonly value: boolean }
  | { readonly kind: "object"; readonly fields: ReadonlyMap<string, FlagFact | undefined>; readonly closed: boolean };

/** Parameter index → what the caller passed for it, where the syntax decides it. */
type FlagBinding = ReadonlyMap<number, FlagFact>;

/** The value at a flag path (`options.skipLock`); a field missing from a closed object literal is `undefined`, so false. */
function flagAt(flags: FlagBinding | undefined, path: FlagPath): FlagFact | undefined {
  let value = flags?.get(path.parameter);
  for (const name of path.path) {
    if (value?.kind !== "object") return undefined;
    const field = value.fields.get(name);
    if (field === undefined && !value.fields.has(name)) return value.closed ? { kind: "literal", value: false } : undefined;
    value = field;
  }
  return value;
}

function flagTruth(flags: FlagBinding, test: FlagTest): boolean | undefined {
  const value = flagAt(flags, test);
  return value === undefined ? undefined : value.kind === "object" ? true : value.value;
}

function flagFact(value: FlagValue, flags: FlagBinding | undefined): FlagFact | undefined {
  switch (value.kind) {
    case "literal":
      return value;
    case "unknown":
      return undefined;
    case "forward":
      return flagAt(flags, value.from);
    case "object": {
      // `{ ...options, extra: 1 }`: the caller's own flags, then the fields written here.
      const base = value.spread ? flagAt(flags, value.spread) : undefined;
      const fields = new Map<string, FlagFact | undefined>(base?.kind === "object" ? base.fields : []);
      for (const [name, field] of value.fields) fields.set(name, flagFact(field, flags));
      const closed = value.closed && (value.spread === undefined || (base?.kind === "object" && base.closed));
      return { kind: "object", fields, closed };
    }
  }
}

/** The flags a call passes, resolved against the calling function's own flags; undefined when none is decided. */
function bindingOf(flagArguments: ReadonlyMap<number, FlagValue>, flags: FlagBinding | undefined): FlagBinding | undefined {
  let binding: Map<number, FlagFact> | undefined;
  for (const [index, value] of flagArguments) {
    const fact = flagFact(value, flags);
    if (fact) (binding ??= new Map()).set(index, fact);
  }
  return binding;
}

function bindingKey(flags: FlagBinding): string {
  const text = (fact: FlagFact | undefined): string =>
    fact === undefined ? "?" : fact.kind === "literal" ? String(fact.value) : `{${[...fact.fields].map(([name, field]) => `${name}:${text(field)}`).sort().join(",")}${fact.closed ? "" : ",…"}}`;
  return [...flags].sort(([a], [b]) => a - b).map(([index, fact]) => `${index}=${text(fact)}`).join(";");
}

export function calleeLabel(targets: readonly { readonly label: string }[]): string {
  if (targets.length === 1) return targets[0].label;
  return `${targets[0].label} (or ${targets.length - 1} other implementation${targets.length > 2 ? "s" : ""})`;
}

/**
 * What a call holds around its callback arguments, from the targets' summaries at the call. Built
 * outside `computeSummaries` so that the effects kept in outcomes hold these summaries only, not
 * the whole run that made them (an engine keeps outcomes across many updates).
 */
function heldDuringCallbackOf(
  held: readonly ReadonlyMap<number, ReadonlyMap<string, LockAcquisition>>[],
  lockArguments: ReadonlyMap<number, LockRef> | undefined,
): (argIndex: number) => readonly LockAcquisition[] | undefined {
  return (argIndex) => {
    const locks = new Map<string, LockAcquisition>();
    for (const byParameter of held) for (const acquisition of byParameter.get(argIndex)?.values() ?? []) addSubstituted(locks, acquisition, lockArguments);
    return locks.size > 0 ? [...locks.values()] : undefined;
  };
}

/**
 * Summaries and outcomes of every unit. With `reuse`, a component keeps its previous summaries and
 * outcomes when none of its members changed and no callee it calls was recomputed with a different
 * result; the rest is computed as from scratch, so the result equals a cold run's.
 */
export function computeSummaries<U extends SummaryUnit<N, U>, N extends Positioned = Positioned>(
  units: readonly U[],
  onProgress?: (done: number, total: number) => void,
  reuse?: SummaryReuse<U, N>,
): SummaryResult<U, N> & { readonly recomputed: ReadonlySet<U> } {
  type Callee = CalleeOf<U>;
  type FunctionUnit = U;
  const summaries = new Map<FunctionUnit, FunctionSummary>();
  const outcomes = new Map<FunctionUnit, UnitOutcome<N, U>>();
  /** Units run in this call (not reused). */
  const recomputed = new Set<FunctionUnit>();
  const analyzable = units.filter((unit) => unit.facts !== undefined);

  /**
   * Summaries specialized on the flags a call passes (`{ skipLock: true }`), per function and binding.
   * They rest on the current summaries, so they are dropped whenever one of those changes.
   */
  let specialized = new Map<FunctionUnit, Map<string, FunctionSummary>>();
  const specializing = new Set<string>();

  /** The summary of `target` as a call with these flags sees it. */
  const summaryAt = (target: FunctionUnit, flags: FlagBinding | undefined): FunctionSummary | undefined => {
    const general = summaries.get(target);
    if (!flags || !target.facts?.flagSensitive || !general) return general;
    const key = bindingKey(flags);
    let byBinding = specialized.get(target);
    const known = byBinding?.get(key);
    if (known) return known;
    const running = `${target.id}\u0000${key}`;
    if (specializing.has(running)) return general; // recursion under the same flags: the general summary bounds it
    specializing.add(running);
    try {
      const summary = interpret(target, flags).summary;
      if (!byBinding) specialized.set(target, (byBinding = new Map()));
      byBinding.set(key, summary);
      return summary;
    } finally {
      specializing.delete(running);
    }
  };

  const effectOf = (callee: Callee, flagArguments?: ReadonlyMap<number, FlagValue>, flags?: FlagBinding, keyArguments?: KeyArguments): UnitCallEffect<U> | undefined => {
    if (callee.kind !== "functions") return undefined;
    const acquires = new Map<string, LockAcquisition>();
    const keyed = new Map<string, KeyedTemplate>();
    const handsOver = new Map<string, LockAcquisition>();
    const held: ReadonlyMap<number, ReadonlyMap<string, LockAcquisition>>[] = [];
    let wraps = false;
    const passed = flagArguments ? bindingOf(flagArguments, flags) : undefined;
    for (const target of callee.targets) {
      const summary = summaryAt(target, passed);
      if (!summary) continue;
      for (const acquisition of summary.acquired.values()) addSubstituted(acquires, acquisition, callee.lockArguments);
      for (const acquisition of summary.handedOver.values()) addSubstituted(handsOver, acquisition, callee.lockArguments);
      for (const template of summary.keyed.values()) {
        const at = substitutedKey(template, callee.lockArguments, keyArguments);
        if (at) keyed.set(keyedTemplateKey(at), at);
      }
      if (summary.heldDuringParameter.size > 0) {
        wraps = true;
        held.push(summary.heldDuringParameter);
      }
    }
    if (acquires.size === 0 && !wraps) return undefined;
    const targets = callee.targets;
    return {
      label: calleeLabel(targets),
      acquires: [...acquires.values()],
      targets,
      ...(callee.lockArguments ? { lockArguments: callee.lockArguments } : {}),
      ...(handsOver.size > 0 ? { handsOver: [...handsOver.values()] } : {}),
      ...(keyed.size > 0 ? { keyTemplates: [...keyed.values()], keyed: [...keyed.values()].map((at) => ({ lock: at.lock, mode: at.mode, keyText: keyTemplateText(at.key) })) } : {}),
      heldDuringCallback: heldDuringCallbackOf(held, callee.lockArguments),
    };
  };

  /** Runs the held-set interpreter over one function with the current callee summaries (and, specialized, the caller's flags). */
  const interpret = (unit: FunctionUnit, flags: FlagBinding | undefined): { summary: FunctionSummary; outcome: UnitOutcome<N, U> } => {
    const facts = unit.facts!;
    const witnesses = new Map<string, AcquisitionWitness<N, U>>();
    const nestings: Nesting<N, U>[] = [];
    const nestingKeys = new Set<string>();
    const addNesting = (nesting: Nesting<N, U>): void => {
      const node = nesting.node;
      const key = `${nesting.held.lock.key}\u0000${nesting.acquired.lock.key}\u0000${node.pos}:${node.end}`;
      if (nestingKeys.has(key)) return;
      nestingKeys.add(key);
      nestings.push(nesting);
    };
    const heldDuringParameter = new Map<number, Map<string, LockAcquisition>>();
    const keyed = new Map<string, KeyedTemplate>();
    const addKeyed = (template: KeyedTemplate): void => {
      if (keyTemplateText(template.key).length <= MAX_KEY_TEMPLATE_TEXT) keyed.set(keyedTemplateKey(template), template);
    };
    /** Order findings of nestings that a callee makes of the locks this function passes it. */
    const passedFindings: FlowFinding<N>[] = [];
    const result = analyzeFlow<N, Callee>(facts.steps, {
      resolveCall: (step: CallStep<N, Callee>) => {
        const effect = effectOf(step.callee, step.flagArguments, flags, step.keyArguments);
        if (effect?.keyTemplates && !facts.spawnNodes.has(step.node)) for (const template of effect.keyTemplates) addKeyed(template);
        return effect;
      },
      ...(flags ? { flag: (test: FlagTest) => flagTruth(flags, test) } : {}),
      onAcquire: (acquired, held, node, via, keyTemplate) => {
        const effect = via as UnitCallEffect<U> | undefined;
        if (keyTemplate && !acquired.lock.parameter && !facts.spawnNodes.has(node)) addKeyed({ ...acquired, key: keyTemplate });
        if (!facts.spawnNodes.has(node) && !witnesses.has(acquired.lock.key)) witnesses.set(acquired.lock.key, { node, ...(effect ? { via: effect } : {}) });
        for (const lock of held) addNesting({ held: lock, acquired, node, ...(effect ? { via: effect } : {}) });
      },
      onCall: (step, held) => {
        const callee = step.callee;
        if (callee.kind === "functions" && callee.lockArguments) {
          // The callee nests the locks this call passes: the nesting happens here, with this call's locks.
          const passed = step.flagArguments ? bindingOf(step.flagArguments, flags) : undefined;
          let effect: UnitCallEffect<U> | undefined | null = null; // the call's effect, once a nesting needs it
          for (const target of callee.targets) {
            for (const nesting of summaryAt(target, passed)?.parametricNestings ?? []) {
              const outer = substituted(nesting.held, callee.lockArguments);
              const inner = substituted(nesting.acquired, callee.lockArguments);
              if (!outer || !inner || outer.lock.key === inner.lock.key) continue;
              if (effect === null) effect = effectOf(callee, step.flagArguments, flags, step.keyArguments);
              const heldLock: HeldLock<N> = { lock: outer.lock, mode: outer.mode, site: step.node, form: "callback", owned: false, inCallee: true };
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
    const parametricNestings = nestings
      .filter((nesting) => nesting.held.lock.parameter || nesting.acquired.lock.parameter)
      .map((nesting): ParametricNesting => ({ held: { lock: nesting.held.lock, mode: nesting.held.mode }, acquired: nesting.acquired }));
    return {
      summary: { acquired: result.acquired, heldDuringParameter, parametricNestings, handedOver: result.handedOver ?? new Map(), keyed },
      outcome: { findings: passedFindings.length > 0 ? [...result.findings, ...passedFindings] : result.findings, witnesses, nestings },
    };
  };

  /** The general run over one function, kept as its summary and outcome; true when its summary changed. */
  const run = (unit: FunctionUnit, inCycle: boolean): boolean => {
    const facts = unit.facts!;
    const mayMatter = facts.acquires || facts.invokesParameter || [...facts.callees].some((callee) => !isEmpty(summaries.get(callee)));
    if (!mayMatter) return false; // takes no lock and calls nothing that does: empty summary, nothing to report
    const { summary, outcome } = interpret(unit, undefined);
    outcomes.set(unit, outcome);
    const changed = !sameSummary(summaries.get(unit), summary);
    summaries.set(unit, summary);
    // Components run callees first: only inside a recursive one can a specialized summary rest on a summary that changes.
    if (changed && inCycle && specialized.size > 0) specialized = new Map();
    return changed && !isEmpty(summary);
  };

  // Callees that could not be analyzed have no facts: they take no lock as far as we know.
  const analyzedCallees = (unit: FunctionUnit): FunctionUnit[] => [...unit.facts!.callees].filter((callee) => callee.facts !== undefined);
  let components: FunctionUnit[][];
  let done = 0;
  if (reuse) {
    // Everything starts as it was; only changed units and their callers, transitively, can differ.
    const live = new Set(analyzable);
    for (const [unit, summary] of reuse.previous.summaries) if (live.has(unit)) summaries.set(unit, summary);
    for (const [unit, outcome] of reuse.previous.outcomes) if (live.has(unit)) outcomes.set(unit, outcome);
    const callersOf = new Map<FunctionUnit, FunctionUnit[]>();
    for (const unit of analyzable) {
      for (const callee of unit.facts!.callees) {
        const list = callersOf.get(callee);
        if (list) list.push(unit);
        else callersOf.set(callee, [unit]);
      }
    }
    const reach = new Set<FunctionUnit>(reuse.changed);
    const queue = [...reuse.changed];
    for (let i = 0; i < queue.length; i += 1) {
      for (const caller of callersOf.get(queue[i]) ?? []) {
        if (reach.has(caller)) continue;
        reach.add(caller);
        queue.push(caller);
      }
    }
    // A component of the whole graph that holds a reached unit holds only reached units (its callers).
    components = stronglyConnectedComponents(
      analyzable.filter((unit) => reach.has(unit)),
      (unit) => analyzedCallees(unit).filter((callee) => reach.has(callee)),
    );
    done = analyzable.length - components.reduce((sum, component) => sum + component.length, 0);
  } else {
    components = stronglyConnectedComponents(analyzable, analyzedCallees);
  }
  /** Units whose facts or results differ from the previous run's: their callers run again. */
  const affected = new Set<FunctionUnit>(reuse?.changed ?? []);
  const reusable = (component: readonly FunctionUnit[]): boolean =>
    component.every((unit) => !affected.has(unit) && [...unit.facts!.callees].every((callee) => !affected.has(callee)));
  for (const component of components) {
    const first = component[0];
    if (reuse && reusable(component)) {
      done += component.length;
      onProgress?.(done, analyzable.length);
      continue;
    }
    for (const unit of component) {
      recomputed.add(unit);
      summaries.delete(unit);
      outcomes.delete(unit);
    }
    if (component.length === 1 && !first.facts!.callees.has(first)) {
      run(first, false);
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
        if (!run(unit, true)) continue;
        for (const caller of callers.get(unit) ?? []) {
          if (queued.has(caller)) continue;
          queued.add(caller);
          queue.push(caller);
        }
      }
    }
    if (reuse) {
      for (const unit of component) {
        // A flag-sensitive unit's specialized summaries may differ even where its general one does not.
        const previous = reuse.previous.summaries.get(unit);
        const now = summaries.get(unit);
        const same = isEmpty(previous) ? isEmpty(now) : now !== undefined && sameSummary(previous, now);
        if (!same || unit.facts!.flagSensitive) affected.add(unit);
      }
    }
    done += component.length;
    onProgress?.(done, analyzable.length);
  }
  return { summaries, outcomes, recomputed };
}
