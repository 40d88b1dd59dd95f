/**
 * Held-set semantics, shared by the ESLint rules and lock-audit.
 *
 * Each front end turns one function body into plain facts — a small structured program of lock
 * steps (`Step`) — using its own TypeScript AST. This module runs that program over abstract states
 * (which locks are held, which handles were released) and decides: what the function acquires in
 * its own task (for the suffix), which acquisitions break the declared order or re-take a held lock,
 * and which manual acquisitions are not released on some path, exceptions included.
 *
 * `N` is the front end's node type (an ESTree node, a ts-morph node); the core never looks inside it.
 * `C` is the front end's description of a callee; only the front end's `resolveCall` reads it.
 */
import type { DeclaredLock, Mode } from "./policy.js";

/** A lock as the front end resolved it: a declared lock, or an undeclared one (lock-audit's cycle check). */
export interface LockRef {
  /** The declared id, or `Class.member` for a lock that lock-order.json does not declare. */
  readonly key: string;
  readonly declared?: DeclaredLock;
}

export interface AcquireStep<N, C = unknown> {
  readonly type: "acquire";
  readonly node: N;
  readonly lock: LockRef;
  readonly mode: Mode;
  /**
   * - `callback`: `runExclusive(fn)` and friends; held while `body` runs, released when it settles.
   * - `guard`: a releaser function or guard object; held until the handle is released or, with
   *   `scoped`, until the end of the enclosing `scope` step (`using`).
   * - `manual`: `lock.acquire()` with the result unused; held until `lock.release()`.
   */
  readonly form: "callback" | "guard" | "manual";
  /** Callback form: what runs while the lock is held. */
  readonly body?: readonly Step<N, C>[];
  /** Guard form: the variable the releaser or guard is bound to. */
  readonly handle?: string;
  /** Guard form declared with `using`: released at the end of the enclosing scope. */
  readonly scoped?: boolean;
  /**
   * False when the releaser or guard escapes this function (returned, stored in a field, passed on):
   * releasing it is then someone else's job, and the release check does not track it.
   */
  readonly owned?: boolean;
  /** Keyed locks: the key's source text; re-taking a keyed lock counts as recursion only with the same key. */
  readonly keyText?: string;
}

export interface ReleaseStep<N> {
  readonly type: "release";
  readonly node: N;
  /** Releases the acquisition bound to this handle (`release()`, `guard.release()`, `guard[Symbol.dispose]()`). */
  readonly handle?: string;
  /** Releases a manual acquisition of this lock (`lock.release()`). */
  readonly lock?: LockRef;
}

export interface CallbackArgument<N, C = unknown> {
  readonly argIndex: number;
  readonly body: readonly Step<N, C>[];
}

export interface CallStep<N, C> {
  readonly type: "call";
  readonly node: N;
  readonly callee: C;
  /** Function arguments written inline; they run during the call (map, forEach, wrappers). */
  readonly callbacks: readonly CallbackArgument<N, C>[];
}

export type Step<N, C = unknown> =
  | AcquireStep<N, C>
  | ReleaseStep<N>
  | CallStep<N, C>
  /** if/else, switch, `?:`, `&&`: each arm may run; an `if` without `else` has an empty arm. */
  | { readonly type: "branch"; readonly arms: readonly (readonly Step<N, C>[])[] }
  /** A loop body: runs zero or more times. */
  | { readonly type: "loop"; readonly body: readonly Step<N, C>[] }
  | {
      readonly type: "try";
      readonly block: readonly Step<N, C>[];
      readonly handler?: readonly Step<N, C>[];
      readonly finalizer?: readonly Step<N, C>[];
    }
  /** A block: `using` acquisitions inside it are released when it ends, however it ends. */
  | { readonly type: "scope"; readonly body: readonly Step<N, C>[] }
  | { readonly type: "exit"; readonly kind: "return" | "throw" | "break" | "continue"; readonly node: N }
  /** `await x`: a point where an exception may arrive. */
  | { readonly type: "await"; readonly node: N }
  /** Work that runs as a separate task (setTimeout, event handlers, `void p`): empty held set, not part of the suffix. */
  | { readonly type: "spawn"; readonly node: N; readonly body: readonly Step<N, C>[] };

export interface LockAcquisition {
  readonly lock: LockRef;
  readonly mode: Mode;
}

/** What a call does to locks, as the front end knows it (from the callee's suffix, or from a whole-program summary). */
export interface CallEffect {
  /** The callee's name for messages (`insertService_rsw_mlw`). */
  readonly label: string;
  readonly acquires: readonly LockAcquisition[];
  /** Locks the callee holds while it runs its `argIndex` argument (a wrapper around runExclusive). */
  readonly heldDuringCallback?: (argIndex: number) => readonly LockAcquisition[] | undefined;
}

export interface HeldLock<N> {
  readonly lock: LockRef;
  readonly mode: Mode;
  /** Where it was acquired (for an inherited lock: where the enclosing code acquired it). */
  readonly site: N;
  readonly handle?: string;
  readonly form: AcquireStep<N>["form"];
  /** Acquired by the function being analyzed, which must release it. */
  readonly owned: boolean;
  readonly scope?: number;
  readonly keyText?: string;
}

export type FlowFinding<N> =
  | {
      readonly kind: "order" | "recursion";
      /** The acquiring call or the call to a function that acquires. */
      readonly node: N;
      /** The held locks that conflict. */
      readonly held: readonly HeldLock<N>[];
      /** The conflicting acquisitions. */
      readonly acquiring: readonly LockAcquisition[];
      /** Set when the acquisition happens inside a callee. */
      readonly via?: CallEffect;
    }
  | { readonly kind: "leak"; readonly node: N; readonly lock: LockRef; readonly onlyOnException: boolean }
  | { readonly kind: "double-release" | "unowned-release"; readonly node: N; readonly lock?: LockRef; readonly handle?: string };

export interface FlowOptions<N, C> {
  /** What a call does, or undefined for a call that takes no locks as far as the front end knows. */
  resolveCall(step: CallStep<N, C>): CallEffect | undefined;
  /** Locks held when the body starts (a callback run under a lock). */
  initialHeld?: readonly HeldLock<N>[];
  /** Called at every acquisition, direct or through a callee, with what was held (lock-audit's nesting graph). */
  onAcquire?(acquired: LockAcquisition, held: readonly HeldLock<N>[], node: N, via: CallEffect | undefined): void;
  /** Called at every call with what was held (lock-audit's wrappers: which locks an invoked parameter runs under). */
  onCall?(step: CallStep<N, C>, held: readonly HeldLock<N>[]): void;
}

export interface FlowResult<N> {
  /** Locks the function takes in its own task, directly or through callees: lock key → strongest mode. */
  readonly acquired: ReadonlyMap<string, LockAcquisition>;
  readonly findings: readonly FlowFinding<N>[];
}

interface State<N> {
  readonly held: readonly HeldLock<N>[];
  /** Handles (`h:name`) and manually released locks (`l:key`) released on this path. */
  readonly released: readonly string[];
}

interface Outcome<N> {
  normal: State<N>[];
  returned: State<N>[];
  thrown: State<N>[];
  broke: State<N>[];
  continued: State<N>[];
}

const EXIT_CATEGORIES = ["returned", "thrown", "broke", "continued"] as const;
/** Paths are merged by state; past this many distinct states at one point, the rest are dropped (no blow-up on huge functions). */
const MAX_STATES = 32;

/** Analyzes one function body. Never throws on well-formed steps; it knows nothing about syntax. */
export function analyzeFlow<N, C>(body: readonly Step<N, C>[], options: FlowOptions<N, C>): FlowResult<N> {
  return new FlowInterpreter<N, C>(options).run(body);
}

class FlowInterpreter<N, C> {
  private readonly acquired = new Map<string, LockAcquisition>();
  private readonly findings: FlowFinding<N>[] = [];
  private readonly reported = new Set<string>();
  private readonly nodeIds = new Map<N, number>();
  private nextScope = 0;
  /** Depth of `spawn` nesting: acquisitions inside a spawned task are not this function's. */
  private spawnDepth = 0;

  constructor(private readonly options: FlowOptions<N, C>) {}

  run(body: readonly Step<N, C>[]): FlowResult<N> {
    const initial = (this.options.initialHeld ?? []).map((held) => ({ ...held, owned: false }));
    this.runFunction(body, initial);
    return { acquired: this.acquired, findings: this.findings };
  }

  /** A function body (the analyzed function, or a callback inside it): its own release obligations. */
  private runFunction(body: readonly Step<N, C>[], inherited: readonly HeldLock<N>[]): void {
    const outcome = this.execScope(body, [{ held: inherited, released: [] }]);
    for (const state of [...outcome.normal, ...outcome.returned, ...outcome.broke, ...outcome.continued]) this.checkLeaks(state, false);
    for (const state of outcome.thrown) this.checkLeaks(state, true);
  }

  private checkLeaks(state: State<N>, onException: boolean): void {
    for (const held of state.held) {
      if (!held.owned) continue;
      this.report({ kind: "leak", node: held.site, lock: held.lock, onlyOnException: onException });
    }
  }

  private nodeId(node: N): number {
    let id = this.nodeIds.get(node);
    if (id === undefined) {
      id = this.nodeIds.size;
      this.nodeIds.set(node, id);
    }
    return id;
  }

  private report(finding: FlowFinding<N>): void {
    // One finding per site per kind; a leak on a normal path replaces an exception-only one.
    const kind = finding.kind === "leak" ? "leak" : finding.kind;
    const key = `${kind}:${this.nodeId(finding.node)}`;
    if (this.reported.has(key)) {
      if (finding.kind === "leak" && !finding.onlyOnException) {
        const index = this.findings.findIndex((f) => f.kind === "leak" && f.node === finding.node && f.onlyOnException);
        if (index >= 0) this.findings[index] = finding;
      }
      return;
    }
    this.reported.add(key);
    this.findings.push(finding);
  }

  private stateKey(state: State<N>): string {
    const held = state.held.map((h) => `${h.lock.key}/${h.mode}/${h.handle ?? ""}/${this.nodeId(h.site)}/${h.owned ? 1 : 0}/${h.scope ?? ""}`);
    return `${held.join(",")}|${[...state.released].sort().join(",")}`;
  }

  private dedupe(states: State<N>[]): State<N>[] {
    if (states.length <= 1) return states;
    const seen = new Map<string, State<N>>();
    for (const state of states) {
      const key = this.stateKey(state);
      if (!seen.has(key)) seen.set(key, state);
      if (seen.size >= MAX_STATES) break;
    }
    return [...seen.values()];
  }

  private emptyOutcome(): Outcome<N> {
    return { normal: [], returned: [], thrown: [], broke: [], continued: [] };
  }

  private execScope(steps: readonly Step<N, C>[], states: State<N>[]): Outcome<N> {
    const scope = this.nextScope++;
    const outcome = this.execSteps(steps, states, scope);
    // Leaving the scope by any way releases what `using` bound in it.
    const leave = (list: State<N>[]) =>
      list.map((state) => (state.held.some((h) => h.scope === scope) ? { ...state, held: state.held.filter((h) => h.scope !== scope) } : state));
    return {
      normal: leave(outcome.normal),
      returned: leave(outcome.returned),
      thrown: leave(outcome.thrown),
      broke: leave(outcome.broke),
      continued: leave(outcome.continued),
    };
  }

  private execSteps(steps: readonly Step<N, C>[], states: State<N>[], scope: number): Outcome<N> {
    const result = this.emptyOutcome();
    let current = states;
    for (const step of steps) {
      if (current.length === 0) break; // every path has left: the rest is unreachable
      const outcome = this.execStep(step, current, scope);
      for (const category of EXIT_CATEGORIES) result[category].push(...outcome[category]);
      current = this.dedupe(outcome.normal);
    }
    result.normal = current;
    for (const category of EXIT_CATEGORIES) result[category] = this.dedupe(result[category]);
    return result;
  }

  private execStep(step: Step<N, C>, states: State<N>[], scope: number): Outcome<N> {
    const outcome = this.emptyOutcome();
    switch (step.type) {
      case "acquire":
        return this.execAcquire(step, states, scope);
      case "release":
        outcome.normal = states.map((state) => this.execRelease(step, state));
        return outcome;
      case "call":
        return this.execCall(step, states);
      case "await":
        outcome.thrown = states;
        outcome.normal = states;
        return outcome;
      case "branch": {
        const arms = step.arms.length ? step.arms : [[]];
        for (const arm of arms) this.merge(outcome, this.execScope(arm, states));
        return outcome;
      }
      case "loop": {
        // Two passes: the second sees what the first left held (a lock re-taken in a loop before release).
        const first = this.execScope(step.body, states);
        const again = this.dedupe([...first.normal, ...first.continued]);
        const second = again.length ? this.execScope(step.body, again) : this.emptyOutcome();
        outcome.normal = [...states, ...again, ...second.normal, ...second.continued, ...first.broke, ...second.broke];
        for (const category of ["returned", "thrown"] as const) outcome[category] = [...first[category], ...second[category]];
        return outcome;
      }
      case "try":
        return this.execTry(step, states);
      case "scope":
        return this.execScope(step.body, states);
      case "exit": {
        const category = step.kind === "return" ? "returned" : step.kind === "throw" ? "thrown" : step.kind === "break" ? "broke" : "continued";
        outcome[category] = states;
        return outcome;
      }
      case "spawn": {
        this.spawnDepth += 1;
        try {
          this.runFunction(step.body, []);
        } finally {
          this.spawnDepth -= 1;
        }
        outcome.normal = states;
        return outcome;
      }
    }
  }

  private merge(into: Outcome<N>, from: Outcome<N>): void {
    into.normal.push(...from.normal);
    for (const category of EXIT_CATEGORIES) into[category].push(...from[category]);
  }

  private execTry(step: Extract<Step<N, C>, { type: "try" }>, states: State<N>[]): Outcome<N> {
    const block = this.execScope(step.block, states);
    let combined = block;
    if (step.handler) {
      const handled = this.execScope(step.handler, block.thrown);
      combined = { ...block, thrown: [] };
      this.merge(combined, handled);
    }
    if (!step.finalizer) return combined;
    const outcome = this.emptyOutcome();
    for (const category of ["normal", ...EXIT_CATEGORIES] as const) {
      if (combined[category].length === 0) continue;
      const finalized = this.execScope(step.finalizer, combined[category]);
      // A finally that completes normally resumes the way the try was leaving; one that exits overrides it.
      outcome[category].push(...finalized.normal);
      for (const exit of EXIT_CATEGORIES) outcome[exit].push(...finalized[exit]);
    }
    return outcome;
  }

  private execAcquire(step: AcquireStep<N, C>, states: State<N>[], scope: number): Outcome<N> {
    const outcome = this.emptyOutcome();
    const acquisition: LockAcquisition = { lock: step.lock, mode: step.mode };
    this.noteAcquired(acquisition);
    // The acquisition itself may reject (timeout, abort) before anything is held.
    outcome.thrown = states;
    for (const state of states) {
      this.checkAcquisition(state.held, [acquisition], step.node, undefined, step.keyText);
      this.options.onAcquire?.(acquisition, state.held, step.node, undefined);
    }
    if (step.form === "callback") {
      for (const state of states) {
        const heldInside: HeldLock<N> = { lock: step.lock, mode: step.mode, site: step.node, form: "callback", owned: false, keyText: step.keyText };
        this.runFunction(step.body ?? [], [...state.held.map((h) => ({ ...h, owned: false })), heldInside]);
      }
      outcome.normal = states;
      return outcome;
    }
    const owned = step.owned !== false;
    outcome.normal = states.map((state) => ({
      held: [
        ...state.held,
        {
          lock: step.lock,
          mode: step.mode,
          site: step.node,
          form: step.form,
          owned,
          ...(step.handle === undefined ? {} : { handle: step.handle }),
          ...(step.scoped ? { scope } : {}),
          ...(step.keyText === undefined ? {} : { keyText: step.keyText }),
        },
      ],
      // A handle bound anew (the next loop iteration) is no longer "released".
      released: step.handle === undefined ? state.released : state.released.filter((r) => r !== `h:${step.handle}`),
    }));
    return outcome;
  }

  private execRelease(step: ReleaseStep<N>, state: State<N>): State<N> {
    const releasedKey = step.handle !== undefined ? `h:${step.handle}` : step.lock ? `l:${step.lock.key}` : undefined;
    if (releasedKey === undefined) return state;
    const index =
      step.handle !== undefined
        ? findLastIndex(state.held, (h) => h.handle === step.handle)
        : findLastIndex(state.held, (h) => h.lock.key === step.lock!.key && h.form === "manual");
    if (index < 0) {
      if (state.released.includes(releasedKey)) {
        this.report({ kind: "double-release", node: step.node, lock: step.lock, handle: step.handle });
      } else if (step.lock && !state.held.some((h) => h.lock.key === step.lock!.key)) {
        this.report({ kind: "unowned-release", node: step.node, lock: step.lock });
      }
      return state;
    }
    return { held: state.held.filter((_, i) => i !== index), released: [...state.released, releasedKey] };
  }

  private execCall(step: CallStep<N, C>, states: State<N>[]): Outcome<N> {
    const outcome = this.emptyOutcome();
    outcome.thrown = states;
    outcome.normal = states;
    const effect = this.options.resolveCall(step);
    for (const state of states) {
      this.options.onCall?.(step, state.held);
      if (effect) {
        for (const acquisition of effect.acquires) {
          this.noteAcquired(acquisition);
          this.options.onAcquire?.(acquisition, state.held, step.node, effect);
        }
        this.checkAcquisition(state.held, effect.acquires, step.node, effect, undefined);
      }
      for (const callback of step.callbacks) {
        const extra = effect?.heldDuringCallback?.(callback.argIndex) ?? [];
        const inherited = [
          ...state.held.map((h) => ({ ...h, owned: false })),
          ...extra.map((acquisition) => ({ ...acquisition, site: step.node, form: "callback" as const, owned: false })),
        ];
        this.runFunction(callback.body, inherited);
      }
    }
    return outcome;
  }

  private noteAcquired(acquisition: LockAcquisition): void {
    if (this.spawnDepth > 0) return;
    const previous = this.acquired.get(acquisition.lock.key);
    if (!previous || (previous.mode === "r" && acquisition.mode === "w")) this.acquired.set(acquisition.lock.key, acquisition);
  }

  private checkAcquisition(
    held: readonly HeldLock<N>[],
    acquiring: readonly LockAcquisition[],
    node: N,
    via: CallEffect | undefined,
    keyText: string | undefined,
  ): void {
    const recursiveHeld: HeldLock<N>[] = [];
    const recursiveAcquiring: LockAcquisition[] = [];
    const orderHeld: HeldLock<N>[] = [];
    const orderAcquiring: LockAcquisition[] = [];
    for (const acquisition of acquiring) {
      const isKeyed = acquisition.lock.declared?.kind === "keyed";
      const same = held.filter(
        (h) =>
          h.lock.key === acquisition.lock.key &&
          // Keyed locks with different (or unknown) keys are different locks.
          (!isKeyed || (via === undefined && keyText !== undefined && h.keyText === keyText)),
      );
      if (same.length) {
        recursiveHeld.push(...same.filter((h) => !recursiveHeld.includes(h)));
        recursiveAcquiring.push(acquisition);
        continue;
      }
      const rank = acquisition.lock.declared?.rank;
      if (rank === undefined) continue;
      const later = held.filter((h) => h.lock.declared !== undefined && h.lock.declared.rank > rank);
      if (later.length) {
        orderHeld.push(...later.filter((h) => !orderHeld.includes(h)));
        orderAcquiring.push(acquisition);
      }
    }
    if (recursiveAcquiring.length) this.report({ kind: "recursion", node, held: recursiveHeld, acquiring: recursiveAcquiring, via });
    if (orderAcquiring.length) this.report({ kind: "order", node, held: orderHeld, acquiring: orderAcquiring, via });
  }
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i])) return i;
  return -1;
}
