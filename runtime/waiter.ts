/**
 * A waiting acquisition: its place in the queue, how its promise settles, and the timers and abort
 * listener that may take it out of the queue early. Everything it registers is removed when it is
 * granted or cancelled, whichever comes first, so nothing outlives the wait.
 */
import { LockAbortError, LockTimeoutError, type LockMode } from "./errors.js";
import type { LockGuard } from "./guard.js";
import type { HeldEntry } from "./task-context.js";
import type { QueueLinks } from "./waiter-queue.js";

/** What a waiter needs from the lock it waits for. */
export interface WaiterOwner {
  readonly id: string;
  cancelWaiter(waiter: Waiter, reason: unknown): void;
  reportSlowWaiter(waiter: Waiter): void;
}

type Timer = ReturnType<typeof setTimeout>;

export class Waiter implements QueueLinks<Waiter> {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  queued = false;
  resolve: (guard: LockGuard | undefined) => void = ignore;
  reject: (reason: unknown) => void = ignore;
  timeoutTimer: Timer | undefined = undefined;
  reportTimer: Timer | undefined = undefined;
  signal: AbortSignal | undefined = undefined;

  constructor(
    readonly owner: WaiterOwner,
    readonly mode: LockMode,
    /** The task's entry (checks on) or undefined. */
    readonly entry: HeldEntry | undefined,
    /** Guard forms resolve with a LockGuard; callback forms with undefined (they release internally). */
    readonly wantsGuard: boolean,
  ) {}

  /** Starts the optional timers and abort listener. */
  arm(timeout: number | undefined, signal: AbortSignal | undefined, reportAfter: number | undefined): void {
    if (timeout !== undefined) this.timeoutTimer = setTimeout(expire, timeout, this, timeout);
    if (signal !== undefined) {
      this.signal = signal;
      // The waiter itself is the listener (handleEvent), so no closure is allocated per wait.
      signal.addEventListener("abort", this);
    }
    if (reportAfter !== undefined) {
      const timer = setTimeout(reportSlow, reportAfter, this);
      // A diagnostic must not keep the process alive on its own.
      timer.unref?.();
      this.reportTimer = timer;
    }
  }

  /** Removes the timers and listener; called exactly once, when the waiter leaves the queue. */
  disarm(): void {
    if (this.timeoutTimer !== undefined) clearTimeout(this.timeoutTimer);
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    if (this.signal !== undefined) this.signal.removeEventListener("abort", this);
    this.timeoutTimer = undefined;
    this.reportTimer = undefined;
    this.signal = undefined;
  }

  /** The abort listener: leave the queue, rejecting with a LockAbortError whose cause is the signal's reason. */
  handleEvent(): void {
    const signal = this.signal;
    if (signal !== undefined) this.owner.cancelWaiter(this, new LockAbortError(this.owner.id, this.mode, false, signal.reason));
  }
}

function ignore(): void {}

function expire(waiter: Waiter, timeout: number): void {
  waiter.timeoutTimer = undefined;
  waiter.owner.cancelWaiter(waiter, new LockTimeoutError(waiter.owner.id, waiter.mode, timeout));
}

function reportSlow(waiter: Waiter): void {
  waiter.reportTimer = undefined;
  waiter.owner.reportSlowWaiter(waiter);
}
