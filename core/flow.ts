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
import type { DeclaredLock, LockKind, Mode } from "./policy.js";
import type { KeyArguments, KeyTemplate } from "./key-template.js";
import type { MethodShape } from "./recognition.js";

/** A lock as the front end resolved it: a declared lock, or an undeclared one (lock-audit's cycle check). */
export interface LockRef {
  /** The declared id, `Class.member` for a lock that lock-order.json does not declare, `(parameter 0 mutex)` for a lock parameter. */
  readonly key: string;
  readonly declared?: DeclaredLock;
  /** An undeclared lock of a library the recognition table knows: its kind there (`OrderedRwLock`: `rwlock`). */
  readonly kind?: LockKind;
  /**
   * A lock the function was given (`withLock(mutex: Mutex, cb)`): which lock it is depends on the
   * call, so a summary that mentions it is parametric and each call site substitutes its argument.
   */
  readonly parameter?: LockParameter;
  /**
   * How the lock's methods are called, where the program defines them (a wrapper class whose method
   * runs its callback parameter under a lock of its own: `acquire(key, op, cb)`), by method name;
   * any other method has the recognition table's shape.
   */
  readonly methodShapes?: ReadonlyMap<string, MethodShape>;
  /**
   * A lock looked up in a collection of locks (`this.locks.get(id)`): the lookup key's source text.
   * The collection is one lock class (keyed), the key telling its instances apart; the lock's own
   * methods take no key argument.
   */
  readonly lookupKey?: string;
}

/** A lock's kind: its declaration's, else the recognition table's for an undeclared lock (async-lock's `AsyncLock`: `keyed`). */
export function lockKindOf(lock: LockRef): LockKind | undefined {
  return lock.declared?.kind ?? lock.kind;
}

export interface LockParameter {
  readonly index: number;
  /** The function whose parameter it is (the front end's node). */
  readonly owner: unknown;
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
  /** Keyed locks, lock-audit: the key as a template in the function's parameters, where it is one (`accountKey($0)`). */
  readonly keyTemplate?: KeyTemplate;
  /** The releaser or guard is the function's return value (`return m.acquire()`): the caller holds the lock. */
  readonly returned?: boolean;
  /**
   * `false` for a try-lock (`tryAcquire()`): it never waits, so it cannot deadlock — no order or
   * recursion finding, nothing held around it is reported as nesting — but it is held afterwards.
   */
  readonly waits?: false;
}

export interface ReleaseStep<N> {
  readonly type: "release";
  readonly node: N;
  /** Releases the acquisition bound to this handle (`release()`, `guard.release()`, `guard[Symbol.dispose]()`). */
  readonly handle?: string;
  /** Releases a manual acquisition of this lock (`lock.release()`). */
  readonly lock?: LockRef;
}

/**
 * The argument index of a generator's consumer: a `yield` invokes it (the front end's callee for it),
 * and a caller's `for await (… of gen())` body is the callback given there, so it runs holding what
 * the generator holds at its `yield`s.
 */
export const CONSUMER_ARGUMENT = -2;

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
  /** Arguments that are flags (`{ skipLock: true }`, `true`, the caller's own `options`), by argument index. */
  readonly flagArguments?: ReadonlyMap<number, FlagValue>;
  /** The variable the call's result is bound to (`const release = await this.lock()`): a releaser the callee may hand over. */
  readonly handle?: string;
  /**
   * The call starts a generator bound to `handle` (`const it = this.blocks.getMany()`), driven by
   * hand (`await it.next()`): what the generator holds at its `yield`s (the locks its callee holds
   * while it invokes `CONSUMER_ARGUMENT`) is held from here until the handle is finished
   * (`it.return()`, a release of the handle) — conservatively from the call on, not from the first
   * `next()`, and up to the end of the function when nothing finishes it (not a leak: the
   * generator's `finally` releases it whenever it is finished or collected).
   */
  readonly startsGenerator?: true;
  /** lock-audit: the arguments as key templates in the caller's parameters (`this.debit(id)`), for the callee's keys. */
  readonly keyArguments?: KeyArguments;
}

/**
 * What a call passes for a flag parameter, as far as the syntax shows: a boolean literal, an object
 * literal of flags (`closed` when nothing unknown is spread into it, so a missing field is
 * `undefined`), or the calling function's own parameter (or a path in it), passed on.
 */
export type FlagValue =
  | { readonly kind: "literal"; readonly value: boolean }
  | { readonly kind: "object"; readonly fields: ReadonlyMap<string, FlagValue>; readonly closed: boolean; readonly spread?: FlagPath }
  | { readonly kind: "forward"; readonly from: FlagPath }
  /** A field that is there with a value the syntax does not decide (`{ key: computeKey() }`). */
  | { readonly kind: "unknown" };

/** `options.skipLock` in a function whose parameter 0 is `options`: { parameter: 0, path: ["skipLock"] }. */
export interface FlagPath {
  readonly parameter: number;
  readonly path: readonly string[];
}

/** A two-armed branch on a flag parameter (`if (!options?.skipLock)`, `opts.skipLock ? a : b`). */
export interface FlagTest extends FlagPath {
  /** The arm that runs when the flag is truthy (the other one runs when it is not). */
  readonly armWhenTrue: 0 | 1;
}

export type Step<N, C = unknown> =
  | AcquireStep<N, C>
  | ReleaseStep<N>
  | CallStep<N, C>
  /** if/else, switch, `?:`, `&&`: each arm may run; an `if` without `else` has an empty arm. */
  | { readonly type: "branch"; readonly arms: readonly (readonly Step<N, C>[])[]; readonly flag?: FlagTest }
  | LoopStep<N, C>
  | {
      readonly type: "try";
      readonly block: readonly Step<N, C>[];
      readonly handler?: readonly Step<N, C>[];
      readonly finalizer?: readonly Step<N, C>[];
    }
  /** A block: `using` acquisitions inside it are released when it ends, however it ends. */
  | { readonly type: "scope"; readonly body: readonly Step<N, C>[] }
  | {
      readonly type: "exit";
      readonly kind: "return" | "throw" | "break" | "continue";
      readonly node: N;
      /** `return release`: the releaser or guard bound to this variable goes to the caller. */
      readonly handle?: string;
    }
  /** `await x`: a point where an exception may arrive. */
  | { readonly type: "await"; readonly node: N }
  /** Work that runs as a separate task (setTimeout, event handlers, `void p`): empty held set, not part of the suffix. */
  | { readonly type: "spawn"; readonly node: N; readonly body: readonly Step<N, C>[] };

/** A loop body: runs zero or more times, unless the loop says otherwise. */
export interface LoopStep<N, C = unknown> {
  readonly type: "loop";
  readonly body: readonly Step<N, C>[];
  /** `do … while`: the body runs at least once. */
  readonly atLeastOnce?: boolean;
  /** `while (true)`, `for (;;)`: no condition ends it, so only `break` (or a return or throw) leaves it. */
  readonly endless?: boolean;
}

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
  /** Locks whose releaser or guard the callee returns: a call bound to a handle holds them until it is released. */
  readonly handsOver?: readonly LockAcquisition[];
  /**
   * Keys of keyed locks the callee takes, as this call's arguments make them (`this.debit(id)` takes
   * `accountKey(id)`): compared with the keys held here as keys taken in one function are.
   */
  readonly keyed?: readonly KeyedAcquisition[];
}

/** An acquisition of one key of a keyed lock, the key as the code at hand writes it. */
export interface KeyedAcquisition extends LockAcquisition {
  readonly keyText: string;
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
  /** Held inside the callee at `site`, which was passed it as a lock argument (lock-audit's parametric summaries). */
  readonly inCallee?: boolean;
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
      /**
       * An order finding among the constant keys of one keyed lock (lock-order.json `keys`): the key
       * taken and the held keys of the same lock that its `keys` list after it, as the code writes them.
       */
      readonly keys?: { readonly acquired: string; readonly held: readonly string[] };
    }
  | { readonly kind: "leak"; readonly node: N; readonly lock: LockRef; readonly onlyOnException: boolean }
  | { readonly kind: "double-release" | "unowned-release"; readonly node: N; readonly lock?: LockRef; readonly handle?: string };

export interface FlowOptions<N, C> {
  /** What a call does, or undefined for a call that takes no locks as far as the front end knows. */
  resolveCall(step: CallStep<N, C>): CallEffect | undefined;
  /** Locks held when the body starts (a callback run under a lock). */
  initialHeld?: readonly HeldLock<N>[];
  /** Called at every acquisition, direct or through a callee, with what was held (lock-audit's nesting graph). */
  onAcquire?(acquired: LockAcquisition, held: readonly HeldLock<N>[], node: N, via: CallEffect | undefined, keyTemplate?: KeyTemplate): void;
  /** Called at every call with what was held (lock-audit's wrappers: which locks an invoked parameter runs under). */
  onCall?(step: CallStep<N, C>, held: readonly HeldLock<N>[]): void;
  /**
   * Never take the stateless fast path (bodies that hold nothing of their own): the property test
   * runs both interpretations on random programs and requires the same result.
   */
  readonly generalOnly?: boolean;
  /**
   * The value of a flag the function was called with, when the caller's literal arguments decide it
   * (lock-audit's summaries specialized on `{ skipLock: true }`); undefined runs both arms.
   */
  flag?(test: FlagTest): boolean | undefined;
}

export interface FlowResult<N> {
  /** Locks the function takes in its own task, directly or through callees: lock key → strongest mode. */
  readonly acquired: ReadonlyMap<string, LockAcquisition>;
  /** Locks whose releaser or guard the function returns still held (`return this.#mutex.acquire()`): its caller holds them. */
  readonly handedOver?: ReadonlyMap<string, LockAcquisition>;
  readonly findings: readonly FlowFinding<N>[];
}

interface State<N> {
  readonly held: readonly HeldLock<N>[];
  /** Handles (`h:name`) and manually released locks (`l:key`) released on this path. */
  readonly released: readonly string[];
}

/**
 * The states leaving a statement, by how they leave. Lists handed from one step to the next are never
 * mutated once returned (they may be shared: a call's normal and thrown states are its input list).
 */
interface Outcome<N> {
  readonly normal: readonly State<N>[];
  readonly returned: readonly State<N>[];
  readonly thrown: readonly State<N>[];
  readonly broke: readonly State<N>[];
  readonly continued: readonly State<N>[];
}

/**
 * Where a statement sends the states that leave it abruptly: the enclosing statement list's exit
 * lists, which are de-duplicated by state before anyone reads them. So a state object already in a
 * list is not added again (same object, same state key: de-duplication would drop it anyway).
 */
interface Exits<N> {
  returned: State<N>[];
  thrown: State<N>[];
  broke: State<N>[];
  continued: State<N>[];
}

type ExitCategory = keyof Exits<unknown>;

/** Paths are merged by state; past this many distinct states at one point, the rest are dropped (no blow-up on huge functions). */
const MAX_STATES = 32;

const NO_STATES: State<never>[] = Object.freeze([]) as unknown as State<never>[];
const NO_HELD: readonly HeldLock<never>[] = Object.freeze([]);
const NO_RELEASED: readonly string[] = Object.freeze([]);

/**
 * Adds `states` to one of `exits`' lists, skipping state objects it already holds. The lists start as
 * the shared empty list and are allocated on first use (most statements never leave abruptly).
 */
function addExits<N>(exits: Exits<N>, category: ExitCategory, states: readonly State<N>[]): void {
  if (states.length === 0) return;
  let into = exits[category];
  if (into === NO_STATES) {
    into = [];
    exits[category] = into;
  }
  for (let i = 0; i < states.length; i += 1) {
    const state = states[i];
    if (!into.includes(state)) into.push(state);
  }
}

function holdsScoped<N>(states: readonly State<N>[], scope: number): boolean {
  for (let i = 0; i < states.length; i += 1) {
    const held = states[i].held;
    for (let j = 0; j < held.length; j += 1) if (held[j].scope === scope) return true;
  }
  return false;
}

/** The states with what `using` bound in `scope` released. */
function leaveScope<N>(states: readonly State<N>[], scope: number): readonly State<N>[] {
  if (!holdsScoped(states, scope)) return states;
  return states.map((state) => (state.held.some((h) => h.scope === scope) ? { ...state, held: state.held.filter((h) => h.scope !== scope) } : state));
}

/** The ways out of a statement, as bits (the stateless interpretation). */
const NORMAL = 1;
const RETURNED = 2;
const THROWN = 4;
const BROKE = 8;
const CONTINUED = 16;
const WAYS = 31;

/**
 * Whether a body (callbacks and spawned tasks included) has no manual or guard acquisition and no
 * release: then nothing it does changes the held set, and it runs with the stateless interpretation.
 */
function holdsNothingOwn<N, C>(steps: readonly Step<N, C>[]): boolean {
  for (const step of steps) {
    switch (step.type) {
      case "acquire":
        if (step.form !== "callback" || (step.body && !holdsNothingOwn(step.body))) return false;
        break;
      case "release":
        return false;
      case "call":
        if (step.handle !== undefined) return false; // it may bind a releaser the callee hands over
        for (const callback of step.callbacks) if (!holdsNothingOwn(callback.body)) return false;
        break;
      case "branch":
        for (const arm of step.arms) if (!holdsNothingOwn(arm)) return false;
        break;
      case "try":
        if (!holdsNothingOwn(step.block) || (step.handler && !holdsNothingOwn(step.handler)) || (step.finalizer && !holdsNothingOwn(step.finalizer))) return false;
        break;
      case "loop":
      case "scope":
      case "spawn":
        if (!holdsNothingOwn(step.body)) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

function concatStates<N>(a: readonly State<N>[], b: readonly State<N>[]): readonly State<N>[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...a, ...b];
}

/** Analyzes one function body. Never throws on well-formed steps; it knows nothing about syntax. */
export function analyzeFlow<N, C>(body: readonly Step<N, C>[], options: FlowOptions<N, C>): FlowResult<N> {
  return new FlowInterpreter<N, C>(options).run(body);
}

class FlowInterpreter<N, C> {
  private readonly acquired = new Map<string, LockAcquisition>();
  private readonly handedOver = new Map<string, LockAcquisition>();
  /** Depth of function bodies being run: 1 is the analyzed function itself, deeper ones are its callbacks. */
  private functionDepth = 0;
  private readonly findings: FlowFinding<N>[] = [];
  /** Created on first use, as most functions report nothing and never merge two different states. */
  private reported: Set<string> | undefined;
  private nodeIds: Map<N, number> | undefined;
  /** State keys, computed once per state object (states are never mutated). */
  private stateKeys: Map<State<N>, string> | undefined;
  private nextScope = 0;
  /** Depth of `spawn` nesting: acquisitions inside a spawned task are not this function's. */
  private spawnDepth = 0;

  constructor(private readonly options: FlowOptions<N, C>) {}

  /** The arms of a branch that may run: one, when it tests a flag whose value the caller decided. */
  private armsTaken(step: Extract<Step<N, C>, { type: "branch" }>): readonly (readonly Step<N, C>[])[] {
    if (!step.flag || !this.options.flag || step.arms.length !== 2) return step.arms;
    const value = this.options.flag(step.flag);
    if (value === undefined) return step.arms;
    return [step.arms[value ? step.flag.armWhenTrue : 1 - step.flag.armWhenTrue]];
  }

  run(body: readonly Step<N, C>[]): FlowResult<N> {
    const initialHeld = this.options.initialHeld;
    const initial = initialHeld && initialHeld.length ? initialHeld.map((held) => ({ ...held, owned: false })) : (NO_HELD as readonly HeldLock<N>[]);
    if (!this.options.generalOnly && holdsNothingOwn(body)) this.runStateless(body, initial);
    else this.runFunction(body, initial);
    return { acquired: this.acquired, findings: this.findings, handedOver: this.handedOver };
  }

  // ---- The same interpretation for bodies that never change the held set (see `holdsNothingOwn`) ----
  //
  // Without manual or guard acquisitions and releases, every path through a function body carries the
  // one state it started with: every list of states above holds only that state, so it is known by
  // which ways out are taken (bits) and, where it matters, how many copies of the state a list holds
  // (a statement list runs its first step once per state it is given, and a `finally` block is given
  // the try block's states followed by the handler's). The steps run in exactly the order, and as
  // often, as above; no state can hold an owned lock, so there is no leak to check.

  private runStateless(body: readonly Step<N, C>[], held: readonly HeldLock<N>[]): void {
    this.statelessSteps(body, held, 1);
  }

  /** A statement list run from `copies` copies of the state: the ways out, plus 32 × the copies it ends with normally. */
  private statelessSteps(steps: readonly Step<N, C>[], held: readonly HeldLock<N>[], copies: number): number {
    if (steps.length === 0) return NORMAL | (copies << 5);
    let exits = 0;
    for (const step of steps) {
      const ways = this.statelessStep(step, held, copies);
      exits |= ways & ~NORMAL;
      if (!(ways & NORMAL)) return exits; // every path has left: the rest is unreachable
      copies = 1; // the states going on are de-duplicated after each step
    }
    return exits | NORMAL | (1 << 5);
  }

  private statelessStep(step: Step<N, C>, held: readonly HeldLock<N>[], copies: number): number {
    switch (step.type) {
      case "acquire": {
        const acquisition: LockAcquisition = { lock: step.lock, mode: step.mode };
        this.noteAcquired(acquisition);
        const waitedUnder = step.waits === false ? NO_HELD : held;
        for (let copy = 0; copy < copies; copy += 1) {
          if (waitedUnder.length) this.checkAcquisition(waitedUnder, [acquisition], step.node, undefined, step.keyText);
          this.options.onAcquire?.(acquisition, waitedUnder, step.node, undefined, step.keyTemplate);
        }
        // Only the callback form gets here.
        const body = step.body ?? [];
        for (let copy = 0; copy < copies; copy += 1) {
          const heldInside: HeldLock<N> = { lock: step.lock, mode: step.mode, site: step.node, form: "callback", owned: false, keyText: step.keyText };
          const inherited = held.map((h) => ({ ...h, owned: false }));
          inherited.push(heldInside);
          this.runStateless(body, inherited);
        }
        return NORMAL | THROWN;
      }
      case "call": {
        const effect = this.options.resolveCall(step);
        for (let copy = 0; copy < copies; copy += 1) {
          this.applyCallEffect(step, effect, held);
          for (const callback of step.callbacks) {
            this.runStateless(callback.body, this.heldInCallback(step, effect, callback, held));
          }
        }
        return NORMAL | THROWN;
      }
      case "await":
        return NORMAL | THROWN;
      case "branch": {
        if (step.arms.length === 0) return NORMAL;
        let ways = 0;
        for (const arm of this.armsTaken(step)) ways |= this.statelessSteps(arm, held, copies) & WAYS;
        return ways;
      }
      case "loop": {
        // Two passes, as above: the second runs when the first can come round again.
        const first = this.statelessSteps(step.body, held, copies) & WAYS;
        const second = first & (NORMAL | CONTINUED) ? this.statelessSteps(step.body, held, 1) & WAYS : 0;
        // After the loop: it never ran (not a do-while), its condition ended it after a pass that got
        // round (not an endless loop), or a `break` left it.
        const passes = first | second;
        const goesOn = step.endless ? passes & BROKE : step.atLeastOnce ? passes & (NORMAL | CONTINUED | BROKE) : NORMAL;
        return (goesOn ? NORMAL : 0) | ((first | second) & (RETURNED | THROWN));
      }
      case "try": {
        const block = this.statelessSteps(step.block, held, copies);
        // How many copies of the state leave each way: the finally block runs once per way, from that many.
        let normal = block >> 5;
        let returned = block & RETURNED ? 1 : 0;
        let thrown = block & THROWN ? 1 : 0;
        let broke = block & BROKE ? 1 : 0;
        let continued = block & CONTINUED ? 1 : 0;
        if (step.handler) {
          const handled = thrown ? this.statelessSteps(step.handler, held, thrown) : 0;
          normal += handled >> 5;
          returned += handled & RETURNED ? 1 : 0;
          thrown = handled & THROWN ? 1 : 0;
          broke += handled & BROKE ? 1 : 0;
          continued += handled & CONTINUED ? 1 : 0;
        }
        if (!step.finalizer) {
          return (normal ? NORMAL : 0) | (returned ? RETURNED : 0) | (thrown ? THROWN : 0) | (broke ? BROKE : 0) | (continued ? CONTINUED : 0);
        }
        let ways = 0;
        const leaving: [number, number][] = [
          [NORMAL, normal],
          [RETURNED, returned],
          [THROWN, thrown],
          [BROKE, broke],
          [CONTINUED, continued],
        ];
        for (const [way, count] of leaving) {
          if (count === 0) continue;
          const finalized = this.statelessSteps(step.finalizer, held, count);
          ways |= (finalized & NORMAL ? way : 0) | (finalized & WAYS & ~NORMAL);
        }
        return ways;
      }
      case "scope":
        return this.statelessSteps(step.body, held, copies) & WAYS;
      case "exit":
        return step.kind === "return" ? RETURNED : step.kind === "throw" ? THROWN : step.kind === "break" ? BROKE : CONTINUED;
      case "spawn":
        this.spawnDepth += 1;
        try {
          this.runStateless(step.body, NO_HELD);
        } finally {
          this.spawnDepth -= 1;
        }
        return NORMAL;
      default:
        // A release: never in a body `holdsNothingOwn` accepts.
        throw new Error(`unexpected ${step.type} step in a body that holds nothing of its own`);
    }
  }

  /** A function body (the analyzed function, or a callback inside it): its own release obligations. */
  private runFunction(body: readonly Step<N, C>[], inherited: readonly HeldLock<N>[]): void {
    this.functionDepth += 1;
    let outcome: Outcome<N>;
    try {
      outcome = this.execScope(body, [{ held: inherited, released: NO_RELEASED }]);
    } finally {
      this.functionDepth -= 1;
    }
    this.checkAllLeaks(outcome.normal, false);
    this.checkAllLeaks(outcome.returned, false);
    this.checkAllLeaks(outcome.broke, false);
    this.checkAllLeaks(outcome.continued, false);
    this.checkAllLeaks(outcome.thrown, true);
  }

  private checkAllLeaks(states: readonly State<N>[], onException: boolean): void {
    for (let i = 0; i < states.length; i += 1) {
      const held = states[i].held;
      for (let j = 0; j < held.length; j += 1) {
        const lock = held[j];
        if (!lock.owned) continue;
        this.report({ kind: "leak", node: lock.site, lock: lock.lock, onlyOnException: onException });
      }
    }
  }

  private nodeId(node: N): number {
    const nodeIds = (this.nodeIds ??= new Map());
    let id = nodeIds.get(node);
    if (id === undefined) {
      id = nodeIds.size;
      nodeIds.set(node, id);
    }
    return id;
  }

  private report(finding: FlowFinding<N>): void {
    // One finding per site per kind; a leak on a normal path replaces an exception-only one.
    const kind = finding.kind === "leak" ? "leak" : finding.kind;
    const key = `${kind}:${this.nodeId(finding.node)}`;
    const reported = (this.reported ??= new Set());
    if (reported.has(key)) {
      if (finding.kind === "leak" && !finding.onlyOnException) {
        const index = this.findings.findIndex((f) => f.kind === "leak" && f.node === finding.node && f.onlyOnException);
        if (index >= 0) this.findings[index] = finding;
      }
      return;
    }
    reported.add(key);
    this.findings.push(finding);
  }

  private stateKey(state: State<N>): string {
    const stateKeys = (this.stateKeys ??= new Map());
    let key = stateKeys.get(state);
    if (key === undefined) {
      const held = state.held.map((h) => `${h.lock.key}/${h.mode}/${h.handle ?? ""}/${this.nodeId(h.site)}/${h.owned ? 1 : 0}/${h.scope ?? ""}`);
      key = `${held.join(",")}|${[...state.released].sort().join(",")}`;
      stateKeys.set(state, key);
    }
    return key;
  }

  /** The states with one per state key, first occurrence first, at most MAX_STATES. */
  private dedupe(states: readonly State<N>[]): readonly State<N>[] {
    if (states.length <= 1) return states;
    const first = states[0];
    let allSame = true;
    for (let i = 1; i < states.length; i += 1) {
      if (states[i] !== first) {
        allSame = false;
        break;
      }
    }
    if (allSame) return [first];
    const seen = new Map<string, State<N>>();
    for (const state of states) {
      const key = this.stateKey(state);
      if (!seen.has(key)) seen.set(key, state);
      if (seen.size >= MAX_STATES) break;
    }
    return [...seen.values()];
  }

  private execScope(steps: readonly Step<N, C>[], states: readonly State<N>[]): Outcome<N> {
    const scope = this.nextScope++;
    const outcome = this.execSteps(steps, states, scope);
    // Leaving the scope by any way releases what `using` bound in it.
    if (
      !holdsScoped(outcome.normal, scope) &&
      !holdsScoped(outcome.returned, scope) &&
      !holdsScoped(outcome.thrown, scope) &&
      !holdsScoped(outcome.broke, scope) &&
      !holdsScoped(outcome.continued, scope)
    ) {
      return outcome;
    }
    return {
      normal: leaveScope(outcome.normal, scope),
      returned: leaveScope(outcome.returned, scope),
      thrown: leaveScope(outcome.thrown, scope),
      broke: leaveScope(outcome.broke, scope),
      continued: leaveScope(outcome.continued, scope),
    };
  }

  private execSteps(steps: readonly Step<N, C>[], states: readonly State<N>[], scope: number): Outcome<N> {
    const exits: Exits<N> = { returned: NO_STATES, thrown: NO_STATES, broke: NO_STATES, continued: NO_STATES };
    let current = states;
    // Whether `current` is already de-duplicated (de-duplicating is idempotent).
    let unique = states.length <= 1;
    for (const step of steps) {
      if (current.length === 0) break; // every path has left: the rest is unreachable
      const normal = this.execStep(step, current, scope, exits);
      if (normal !== current || !unique) {
        current = this.dedupe(normal);
        unique = true;
      }
    }
    return {
      normal: current,
      returned: this.dedupe(exits.returned),
      thrown: this.dedupe(exits.thrown),
      broke: this.dedupe(exits.broke),
      continued: this.dedupe(exits.continued),
    };
  }

  /** Runs one step from `states`: adds the states that leave abruptly to `exits`, returns those that go on. */
  private execStep(step: Step<N, C>, states: readonly State<N>[], scope: number, exits: Exits<N>): readonly State<N>[] {
    switch (step.type) {
      case "acquire":
        return this.execAcquire(step, states, scope, exits);
      case "release":
        return states.map((state) => this.execRelease(step, state));
      case "call":
        return this.execCall(step, states, exits);
      case "await":
        addExits(exits, "thrown", states);
        return states;
      case "branch": {
        if (step.arms.length === 0) return this.addOutcome(this.execScope([], states), exits);
        let normal: readonly State<N>[] = NO_STATES;
        for (const arm of this.armsTaken(step)) normal = concatStates(normal, this.addOutcome(this.execScope(arm, states), exits));
        return normal;
      }
      case "loop": {
        // Two passes: the second sees what the first left held (a lock re-taken in a loop before release).
        const first = this.execScope(step.body, states);
        const again = this.dedupe(concatStates(first.normal, first.continued));
        const second = again.length ? this.execScope(step.body, again) : undefined;
        addExits(exits, "returned", first.returned);
        if (second) addExits(exits, "returned", second.returned);
        addExits(exits, "thrown", first.thrown);
        if (second) addExits(exits, "thrown", second.thrown);
        const broke = second ? [...first.broke, ...second.broke] : first.broke;
        // What goes on after the loop: it never ran (unless it runs at least once), or its condition
        // ended it after some pass (unless it has none), or a `break` left it.
        if (step.endless) return broke;
        const ended = second ? [...again, ...second.normal, ...second.continued] : again;
        return step.atLeastOnce ? [...ended, ...broke] : [...states, ...ended, ...broke];
      }
      case "try":
        return this.execTry(step, states, exits);
      case "scope":
        return this.addOutcome(this.execScope(step.body, states), exits);
      case "exit": {
        const category: ExitCategory = step.kind === "return" ? "returned" : step.kind === "throw" ? "thrown" : step.kind === "break" ? "broke" : "continued";
        if (step.handle !== undefined) {
          for (const state of states) for (const held of state.held) if (held.handle === step.handle) this.handOver({ lock: held.lock, mode: held.mode });
        }
        addExits(exits, category, states);
        return NO_STATES;
      }
      case "spawn": {
        this.spawnDepth += 1;
        try {
          this.runFunction(step.body, NO_HELD);
        } finally {
          this.spawnDepth -= 1;
        }
        return states;
      }
    }
  }

  /** Adds an outcome's abrupt exits to `exits`; returns its normal states. */
  private addOutcome(outcome: Outcome<N>, exits: Exits<N>): readonly State<N>[] {
    addExits(exits, "returned", outcome.returned);
    addExits(exits, "thrown", outcome.thrown);
    addExits(exits, "broke", outcome.broke);
    addExits(exits, "continued", outcome.continued);
    return outcome.normal;
  }

  private execTry(step: Extract<Step<N, C>, { type: "try" }>, states: readonly State<N>[], exits: Exits<N>): readonly State<N>[] {
    const block = this.execScope(step.block, states);
    let combined = block;
    if (step.handler) {
      const handled = this.execScope(step.handler, block.thrown);
      combined = {
        normal: concatStates(block.normal, handled.normal),
        returned: concatStates(block.returned, handled.returned),
        thrown: handled.thrown,
        broke: concatStates(block.broke, handled.broke),
        continued: concatStates(block.continued, handled.continued),
      };
    }
    if (!step.finalizer) return this.addOutcome(combined, exits);
    // A finally that completes normally resumes the way the try was leaving; one that exits overrides it.
    let normal: readonly State<N>[] = NO_STATES;
    if (combined.normal.length) normal = this.addOutcome(this.execScope(step.finalizer, combined.normal), exits);
    for (const category of ["returned", "thrown", "broke", "continued"] as const) {
      if (combined[category].length === 0) continue;
      const finalized = this.execScope(step.finalizer, combined[category]);
      // The states resuming this way come first, as the other exits of the same run follow them.
      addExits(exits, category, finalized.normal);
      this.addOutcome(finalized, exits);
    }
    return normal;
  }

  private execAcquire(step: AcquireStep<N, C>, states: readonly State<N>[], scope: number, exits: Exits<N>): readonly State<N>[] {
    const acquisition: LockAcquisition = { lock: step.lock, mode: step.mode };
    this.noteAcquired(acquisition);
    // The acquisition itself may reject (timeout, abort) before anything is held.
    addExits(exits, "thrown", states);
    const onAcquire = this.options.onAcquire;
    for (const state of states) {
      // A try-lock waits under nothing: what is held cannot make it deadlock.
      const waitedUnder = step.waits === false ? (NO_HELD as readonly HeldLock<N>[]) : state.held;
      if (waitedUnder.length) this.checkAcquisition(waitedUnder, [acquisition], step.node, undefined, step.keyText);
      onAcquire?.(acquisition, waitedUnder, step.node, undefined, step.keyTemplate);
    }
    if (step.form === "callback") {
      const body = step.body ?? [];
      for (const state of states) {
        const heldInside: HeldLock<N> = { lock: step.lock, mode: step.mode, site: step.node, form: "callback", owned: false, keyText: step.keyText };
        const inherited = state.held.map((h) => ({ ...h, owned: false }));
        inherited.push(heldInside);
        this.runFunction(body, inherited);
      }
      return states;
    }
    const owned = step.owned !== false;
    if (step.returned) this.handOver(acquisition);
    return states.map((state) => ({
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

  private execCall(step: CallStep<N, C>, states: readonly State<N>[], exits: Exits<N>): readonly State<N>[] {
    addExits(exits, "thrown", states);
    const effect = this.options.resolveCall(step);
    const callbacks = step.callbacks;
    for (const state of states) {
      const held = state.held;
      this.applyCallEffect(step, effect, held);
      for (const callback of callbacks) {
        this.runFunction(callback.body, this.heldInCallback(step, effect, callback, held));
      }
    }
    const handle = step.handle;
    const handed = handle === undefined ? undefined : step.startsGenerator ? effect?.heldDuringCallback?.(CONSUMER_ARGUMENT) : effect?.handsOver;
    if (!handed || handed.length === 0) return states;
    // `const release = await this.lock()`: held from here until `release()`, as a guard of this
    // function; a generator's locks until `it.return()`, as someone else's to release.
    const owned = !step.startsGenerator;
    return states.map((state) => ({
      held: [...state.held, ...handed.map((acquisition): HeldLock<N> => ({ lock: acquisition.lock, mode: acquisition.mode, site: step.node, form: "guard", owned, handle }))],
      released: state.released.filter((r) => r !== `h:${handle}`),
    }));
  }

  /** What a call does with `held` held: the callee's acquisitions are noted, reported to the hooks and checked. */
  private applyCallEffect(step: CallStep<N, C>, effect: CallEffect | undefined, held: readonly HeldLock<N>[]): void {
    const { onCall, onAcquire } = this.options;
    onCall?.(step, held);
    if (!effect) return;
    for (const acquisition of effect.acquires) {
      this.noteAcquired(acquisition);
      onAcquire?.(acquisition, held, step.node, effect);
    }
    if (!held.length) return;
    this.checkAcquisition(held, effect.acquires, step.node, effect, undefined);
    // The keys the callee takes, mapped from this call's arguments: re-taking a held key, or a key
    // its lock's `keys` list before a held one (the lock as a whole was checked just above).
    for (const keyed of effect.keyed ?? []) this.checkKeys(held, keyed, step.node, effect, keyed.keyText);
  }

  /** The locks an inline callback starts with: the caller's (not its to release) plus what the callee holds around it. */
  private heldInCallback(step: CallStep<N, C>, effect: CallEffect | undefined, callback: CallbackArgument<N, C>, held: readonly HeldLock<N>[]): HeldLock<N>[] {
    const inherited: HeldLock<N>[] = held.map((h) => ({ ...h, owned: false }));
    const extra = effect?.heldDuringCallback?.(callback.argIndex);
    if (extra) for (const acquisition of extra) inherited.push({ ...acquisition, site: step.node, form: "callback", owned: false });
    return inherited;
  }

  /** The analyzed function itself (not a callback of it, not spawned work) returns a held lock's releaser. */
  private handOver(acquisition: LockAcquisition): void {
    if (this.functionDepth !== 1 || this.spawnDepth > 0) return;
    const previous = this.handedOver.get(acquisition.lock.key);
    if (!previous || (previous.mode === "r" && acquisition.mode === "w")) this.handedOver.set(acquisition.lock.key, acquisition);
  }

  private noteAcquired(acquisition: LockAcquisition): void {
    if (this.spawnDepth > 0) return;
    const previous = this.acquired.get(acquisition.lock.key);
    if (!previous || (previous.mode === "r" && acquisition.mode === "w")) this.acquired.set(acquisition.lock.key, acquisition);
  }

  /** Reports re-taking a held lock and taking one against the declared order; nothing is held → nothing to report (callers skip it). */
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
      const isKeyed = lockKindOf(acquisition.lock) === "keyed";
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
    // A key of a keyed lock taken while holding a key of it that its `keys` list after it. A callee's
    // keys are checked by `checkKeys` (from the effect's `keyed`), not here.
    if (via !== undefined || keyText === undefined) return;
    for (const acquisition of acquiring) {
      if (recursiveAcquiring.includes(acquisition)) continue;
      this.checkKeyOrder(held, acquisition, node, undefined, keyText);
    }
  }

  /** A callee's key of a keyed lock at the call: the same key held is recursion, else the order among keys. */
  private checkKeys(held: readonly HeldLock<N>[], acquisition: LockAcquisition, node: N, via: CallEffect, keyText: string): void {
    const same = held.filter((h) => h.lock.key === acquisition.lock.key && h.keyText === keyText);
    if (same.length) {
      this.report({ kind: "recursion", node, held: same, acquiring: [acquisition], via });
      return;
    }
    this.checkKeyOrder(held, acquisition, node, via, keyText);
  }

  private checkKeyOrder(held: readonly HeldLock<N>[], acquisition: LockAcquisition, node: N, via: CallEffect | undefined, keyText: string): void {
    const rank = keyRank(acquisition.lock.declared, keyText);
    if (rank === undefined) return;
    const later = held.filter((h) => h.lock.key === acquisition.lock.key && h.keyText !== undefined && (keyRank(acquisition.lock.declared, h.keyText) ?? -1) > rank);
    if (later.length) this.report({ kind: "order", node, held: later, acquiring: [acquisition], ...(via ? { via } : {}), keys: { acquired: keyText, held: later.map((h) => h.keyText!) } });
  }
}

/**
 * The position of a key among a keyed lock's declared `keys`, or undefined for a key not listed (or a
 * lock without `keys`). A key matches an entry when its source text is the entry (`SwapNursery.retryLock`)
 * or it is a string literal of that value (`"retry"`, `'retry'`, a template without substitutions).
 */
export function keyRank(lock: DeclaredLock | undefined, keyText: string): number | undefined {
  const keys = lock?.keys;
  if (!keys) return undefined;
  const asWritten = keys.indexOf(keyText);
  if (asWritten >= 0) return asWritten;
  // A literal without escapes or substitutions: its value is the text between the quotes.
  const literal = /^(["'`])([^"'`\\]*)\1$/.exec(keyText);
  if (!literal || (literal[1] === "`" && literal[2].includes("${"))) return undefined;
  const byValue = keys.indexOf(literal[2]);
  return byValue >= 0 ? byValue : undefined;
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i])) return i;
  return -1;
}
