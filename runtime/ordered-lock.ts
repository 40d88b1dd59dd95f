/**
 * What `OrderedMutex` and `OrderedRwLock` share: the acquisition flows (guard, callback, try), the
 * checks that run before waiting, handing the lock to waiters, cancelling them, and diagnostics.
 * A subclass only says when a mode can be taken and whom to grant after a change (`dispatch`).
 *
 * Every flow starts with `if (checker === undefined)`: with `checks: "off"` a lock is a plain FIFO
 * lock that never touches task tracking.
 */
import type { OrderChecker } from "./checker.js";
import { LockAbortError, LockTimeoutError, type LockMode, type TaskView } from "./errors.js";
import { LockGuard, releaseGrant, resolvedGuard, type GrantOwner } from "./guard.js";
import { HELD, carryOnNextPromise, finishEntry, type ChainLink, type HeldEntry } from "./task-context.js";
import { Waiter, type WaiterOwner } from "./waiter.js";
import { WaiterQueue } from "./waiter-queue.js";

export interface AcquireOptions {
  /**
   * Milliseconds to wait before rejecting with `LockTimeoutError`. `0` fails at once when the lock is
   * busy; undefined or `Infinity` waits without limit (so do values above 2^31-1, setTimeout's maximum).
   */
  readonly timeout?: number;
  /** Aborting it removes the waiter and rejects with `signal.reason`; an aborted signal rejects at once. */
  readonly signal?: AbortSignal;
}

/** One busy lock in `locks.snapshot()`. */
export interface LockView {
  readonly id: string;
  readonly kind: "mutex" | "rwlock";
  readonly rank: number;
  /** Which lock of that id (1 for the first one created): locks of one id are separate objects. */
  readonly instance: number;
  readonly holders: readonly TaskView[];
  /** In queue order: the first is served next. */
  readonly waiters: readonly TaskView[];
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

interface WaitLimits {
  timeout: number | undefined;
  signal: AbortSignal | undefined;
}

const NO_LIMITS: WaitLimits = Object.freeze({ timeout: undefined, signal: undefined });

function readOptions(options: AcquireOptions | undefined, id: string): WaitLimits {
  if (options === undefined) return NO_LIMITS;
  if (typeof options !== "object" || options === null) throw new TypeError(`lock "${id}": options must be an object`);
  const { timeout, signal } = options;
  if (timeout !== undefined && (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0)) {
    throw new TypeError(`lock "${id}": timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
  }
  if (signal !== undefined && (typeof signal !== "object" || signal === null || typeof signal.addEventListener !== "function")) {
    throw new TypeError(`lock "${id}": signal must be an AbortSignal`);
  }
  return { timeout: timeout === undefined || timeout > MAX_TIMER_MS ? undefined : timeout, signal };
}

export abstract class OrderedLock implements GrantOwner, WaiterOwner {
  abstract readonly kind: "mutex" | "rwlock";
  /** Waiting acquisitions, oldest first. */
  protected readonly queue = new WaiterQueue<Waiter>();
  /**
   * Entries of the current holders; filled only with checks on (they are what snapshots show). An
   * array with swap-remove (each entry knows its index): a Set costs hashing on every acquisition.
   */
  protected readonly holders: HeldEntry[] = [];

  constructor(
    readonly id: string,
    /** Position in the declared order. */
    readonly rank: number,
    /** Which lock of this id (1 for the first one created). */
    readonly instance: number,
    /** Undefined with `checks: "off"`. */
    protected readonly checker: OrderChecker | undefined,
  ) {}

  /** Number of acquisitions waiting. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Whether `mode` can be granted now without overtaking a waiter. */
  protected abstract canTake(mode: LockMode): boolean;
  protected abstract take(mode: LockMode): void;
  protected abstract untake(mode: LockMode): void;
  /** Grants the waiters at the head of the queue that the lock's state now allows. */
  protected abstract dispatch(): void;

  /** The guard forms: `acquire`, `read`, `write`. */
  protected acquireGuard(mode: LockMode, options: AcquireOptions | undefined): Promise<LockGuard> {
    const checker = this.checker;
    if (checker === undefined) {
      if (options === undefined && this.canTake(mode)) {
        this.take(mode);
        return resolvedGuard(this, mode, undefined);
      }
      return this.#obtainUnchecked(mode, options, true) as Promise<LockGuard>;
    }
    let limits: WaitLimits;
    try {
      limits = readOptions(options, this.id);
    } catch (error) {
      return Promise.reject(error);
    }
    const chain = checker.chain();
    const refusal = checker.refuse(this, mode, chain, false);
    if (refusal !== undefined) return Promise.reject(refusal);
    if (limits.signal?.aborted) return Promise.reject(new LockAbortError(this.id, mode, true, limits.signal.reason));
    const entry = checker.entry(this, mode, chain, false);
    const schedulePoint = checker.schedulePoint;
    if (schedulePoint === undefined) return this.#grantOrWait(mode, limits, entry, true, true, chain) as Promise<LockGuard>;
    // The promise returned to the caller must be the one that carries the entry (its awaiter is the holder).
    carryOnNextPromise(entry, chain);
    return new Promise<LockGuard>((resolve, reject) => {
      schedulePoint(this, mode, entry.task)
        .then(() => this.#waitAfterSchedulePoint(mode, limits, entry, true))
        .then(resolve as (guard: LockGuard | undefined) => void, reject);
    });
  }

  /** After the exploration scheduler let an acquisition go on (testing entry): abort check, then grant or queue. */
  #waitAfterSchedulePoint(mode: LockMode, limits: WaitLimits, entry: HeldEntry, wantsGuard: boolean): Promise<LockGuard | undefined> {
    if (limits.signal?.aborted) {
      finishEntry(entry);
      return Promise.reject(new LockAbortError(this.id, mode, true, limits.signal.reason));
    }
    return this.#grantOrWait(mode, limits, entry, wantsGuard, false, undefined);
  }

  /**
   * The callback forms: `runExclusive`, `runRead`, `runWrite`. The callback is a task of its own.
   * Not an async function: an uncontended call runs `fn` at once and creates only the promise it returns.
   */
  protected runCallback<T>(mode: LockMode, fn: () => T, options: AcquireOptions | undefined): Promise<Awaited<T>> {
    if (typeof fn !== "function") return Promise.reject(new TypeError(`lock "${this.id}": the callback must be a function`));
    const checker = this.checker;
    if (checker === undefined) {
      if (options === undefined && this.canTake(mode)) {
        this.take(mode);
        return this.#runHeld(mode, undefined, undefined, fn);
      }
      return this.#obtainUnchecked(mode, options, false).then(() => this.#runHeld(mode, undefined, undefined, fn));
    }
    let limits: WaitLimits;
    try {
      limits = readOptions(options, this.id);
    } catch (error) {
      return Promise.reject(error);
    }
    const chain = checker.chain();
    const refusal = checker.refuse(this, mode, chain, false);
    if (refusal !== undefined) return Promise.reject(refusal);
    if (limits.signal?.aborted) return Promise.reject(new LockAbortError(this.id, mode, true, limits.signal.reason));
    const entry = checker.entry(this, mode, chain, true);
    if (limits.signal === undefined && limits.timeout === undefined && checker.schedulePoint === undefined && this.canTake(mode)) {
      this.#grant(mode, entry);
      return this.#runHeld(mode, entry, chain, fn);
    }
    const run = () => this.#runHeld(mode, entry, chain, fn);
    const schedulePoint = checker.schedulePoint;
    if (schedulePoint !== undefined) {
      return schedulePoint(this, mode, entry.task)
        .then(() => this.#waitAfterSchedulePoint(mode, limits, entry, false))
        .then(run);
    }
    return this.#grantOrWait(mode, limits, entry, false, false, undefined).then(run);
  }

  /**
   * Runs `fn` while holding the grant (with checks: as a new task whose chain is `chain` plus `entry`),
   * and releases it however `fn` ends; a plain value is released before returning.
   */
  #runHeld<T>(mode: LockMode, entry: HeldEntry | undefined, chain: ChainLink | undefined, fn: () => T): Promise<Awaited<T>> {
    let result: T;
    try {
      result = entry === undefined ? fn() : this.checker!.runTask(entry, chain, fn);
    } catch (error) {
      this[releaseGrant](mode, entry);
      return Promise.reject(error);
    }
    if (!isThenable(result)) {
      this[releaseGrant](mode, entry);
      return Promise.resolve(result as Awaited<T>);
    }
    return Promise.resolve(result).then(
      (value) => {
        this[releaseGrant](mode, entry);
        return value as Awaited<T>;
      },
      (error: unknown) => {
        this[releaseGrant](mode, entry);
        throw error;
      },
    );
  }

  /** The try forms: grant now or return undefined; never waits. */
  protected tryGuard(mode: LockMode): LockGuard | undefined {
    const checker = this.checker;
    if (checker === undefined) {
      if (!this.canTake(mode)) return undefined;
      this.take(mode);
      return new LockGuard(this, mode, undefined);
    }
    const chain = checker.chain();
    const refusal = checker.refuse(this, mode, chain, true);
    if (refusal !== undefined) throw refusal;
    if (!this.canTake(mode)) return undefined;
    const entry = checker.entry(this, mode, chain, false);
    this.#grant(mode, entry);
    checker.holdHere(entry, chain);
    return new LockGuard(this, mode, entry);
  }

  /** The unchecked slow path: options were given, or the lock is busy. */
  #obtainUnchecked(mode: LockMode, options: AcquireOptions | undefined, wantsGuard: boolean): Promise<LockGuard | undefined> {
    let limits: WaitLimits;
    try {
      limits = readOptions(options, this.id);
    } catch (error) {
      return Promise.reject(error);
    }
    if (limits.signal?.aborted) return Promise.reject(new LockAbortError(this.id, mode, true, limits.signal.reason));
    return this.#grantOrWait(mode, limits, undefined, wantsGuard, false, undefined);
  }

  /**
   * Grants now or queues. With `carry` (a checked guard form), the promise it returns carries `chain`
   * plus `entry`: whoever awaits it holds the lock.
   */
  #grantOrWait(
    mode: LockMode,
    limits: WaitLimits,
    entry: HeldEntry | undefined,
    wantsGuard: boolean,
    carry: boolean,
    chain: ChainLink | undefined,
  ): Promise<LockGuard | undefined> {
    if (this.canTake(mode)) {
      this.#grant(mode, entry);
      const guard = wantsGuard ? new LockGuard(this, mode, entry) : undefined;
      if (carry) carryOnNextPromise(entry!, chain);
      return Promise.resolve(guard);
    }
    if (limits.timeout === 0) {
      if (entry !== undefined) finishEntry(entry);
      return Promise.reject(new LockTimeoutError(this.id, mode, 0));
    }
    if (entry !== undefined) entry.since = Date.now();
    const waiter = new Waiter(this, mode, entry, wantsGuard);
    if (carry) carryOnNextPromise(entry!, chain);
    const promise = new Promise<LockGuard | undefined>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.queue.push(waiter);
    waiter.arm(limits.timeout, limits.signal, entry === undefined ? undefined : this.checker?.deadlockTimeout);
    return promise;
  }

  #grant(mode: LockMode, entry: HeldEntry | undefined): void {
    this.take(mode);
    if (entry !== undefined) {
      entry.state = HELD;
      entry.holderIndex = this.holders.length;
      this.holders.push(entry);
    }
  }

  #forgetHolder(entry: HeldEntry): void {
    const last = this.holders.pop()!;
    if (last !== entry) {
      this.holders[entry.holderIndex] = last;
      last.holderIndex = entry.holderIndex;
    }
    entry.holderIndex = -1;
  }

  /** Hands the lock to a queued waiter: it resumes in its own async context (its promise settles, nothing runs here). */
  protected grantWaiter(waiter: Waiter): void {
    this.queue.remove(waiter);
    waiter.disarm();
    const entry = waiter.entry;
    this.#grant(waiter.mode, entry);
    if (entry !== undefined) entry.since = Date.now();
    waiter.resolve(waiter.wantsGuard ? new LockGuard(this, waiter.mode, entry) : undefined);
  }

  /** Takes a waiter out of the queue (timeout or abort) and rejects it; no-op if it already left. */
  cancelWaiter(waiter: Waiter, reason: unknown): void {
    if (!this.queue.remove(waiter)) return;
    waiter.disarm();
    if (waiter.entry !== undefined) finishEntry(waiter.entry);
    waiter.reject(reason);
    // A cancelled writer may have been what kept the readers behind it waiting.
    this.dispatch();
  }

  [releaseGrant](mode: LockMode, entry: HeldEntry | undefined): void {
    this.releaseAndDispatch(mode, entry);
  }

  /** Gives the grant back and serves the waiters it unblocks. A named method: `super[symbol]()` is a slow keyed super call in V8. */
  protected releaseAndDispatch(mode: LockMode, entry: HeldEntry | undefined): void {
    if (entry !== undefined) {
      finishEntry(entry);
      this.#forgetHolder(entry);
    }
    this.untake(mode);
    this.dispatch();
  }

  reportSlowWaiter(waiter: Waiter): void {
    const checker = this.checker;
    const entry = waiter.entry;
    if (checker === undefined || entry === undefined || !waiter.queued) return;
    const now = Date.now();
    const holders = this.#holdersByAge().map((holder) => checker.view(holder, now));
    checker.reportSlowWait(this, checker.view(entry, now), holders, Math.round(now - entry.since));
  }

  /** The lock's holders and waiters, or undefined when it is idle. */
  view(now: number): LockView | undefined {
    if (this.queue.size === 0 && !this.isBusy()) return undefined;
    const checker = this.checker;
    const holders: TaskView[] =
      checker === undefined ? this.holderModes().map((mode) => ({ mode })) : this.#holdersByAge().map((e) => checker.view(e, now));
    const waiters: TaskView[] = [];
    for (const waiter of this.queue) {
      waiters.push(checker === undefined || waiter.entry === undefined ? { mode: waiter.mode } : checker.view(waiter.entry, now));
    }
    return { id: this.id, kind: this.kind, rank: this.rank, instance: this.instance, holders, waiters };
  }

  /** Holders, longest-held first (swap-remove does not keep the order). */
  #holdersByAge(): HeldEntry[] {
    return [...this.holders].sort((a, b) => a.since - b.since);
  }

  protected abstract isBusy(): boolean;
  /** Modes of the current holders, for snapshots without checks. */
  protected abstract holderModes(): LockMode[];
}
