/**
 * `OrderedMutex`: a FIFO mutex that knows its place in the declared lock order.
 *
 * Release hands the lock straight to the oldest waiter (it never becomes free in between), so a task
 * that releases and immediately asks again queues behind everyone already waiting: first come, first served.
 */
import type { LockMode } from "./errors.js";
import { resolvedGuard, releaseGrant, type LockGuard } from "./guard.js";
import type { HeldEntry } from "./task-context.js";
import { OrderedLock, type AcquireOptions } from "./ordered-lock.js";

export class OrderedMutex extends OrderedLock {
  readonly kind = "mutex" as const;
  #locked = false;

  /** Whether some task holds the mutex now. */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * Waits for the mutex and resolves to a guard: `using g = await m.acquire()`. With checks on, an
   * order or recursion violation rejects before waiting.
   */
  acquire(options?: AcquireOptions): Promise<LockGuard> {
    // The unchecked, uncontended case inline: it is what production code does most.
    if (this.checker === undefined && options === undefined && !this.#locked) {
      this.#locked = true;
      return resolvedGuard(this, "exclusive", undefined);
    }
    return this.acquireGuard("exclusive", options);
  }

  /** Runs `fn` holding the mutex, as a task of its own, and releases however it ends. Resolves to `fn`'s value. */
  runExclusive<T>(fn: () => T, options?: AcquireOptions): Promise<Awaited<T>> {
    return this.runCallback("exclusive", fn, options);
  }

  /** The mutex now, or undefined when it is held or has waiters; never waits. */
  tryAcquire(): LockGuard | undefined {
    return this.tryGuard("exclusive");
  }

  override [releaseGrant](mode: LockMode, entry: HeldEntry | undefined): void {
    if (entry === undefined && this.queue.head === undefined) this.#locked = false;
    else this.releaseAndDispatch(mode, entry);
  }

  protected canTake(): boolean {
    return !this.#locked;
  }

  protected take(): void {
    this.#locked = true;
  }

  protected untake(): void {
    this.#locked = false;
  }

  protected dispatch(): void {
    const head = this.queue.head;
    if (head !== undefined && !this.#locked) this.grantWaiter(head);
  }

  protected isBusy(): boolean {
    return this.#locked;
  }

  protected holderModes(): LockMode[] {
    return this.#locked ? ["exclusive"] : [];
  }
}
