/**
 * `OrderedRwLock`: readers share, a writer is exclusive, and the queue is FIFO across both.
 *
 * A reader may join the current readers only while nobody waits; once a writer queues, later readers
 * queue behind it, so a steady stream of readers cannot starve a writer. When a writer leaves (or a
 * queued writer gives up), every reader at the head of the queue is let in together.
 */
import type { LockMode } from "./errors.js";
import type { LockGuard } from "./guard.js";
import { OrderedLock, type AcquireOptions } from "./ordered-lock.js";
import type { Waiter } from "./waiter.js";

export class OrderedRwLock extends OrderedLock {
  readonly kind = "rwlock" as const;
  #readers = 0;
  #writing = false;

  /** Number of tasks reading now. */
  get readers(): number {
    return this.#readers;
  }

  /** Whether a task holds the lock for writing now. */
  get writing(): boolean {
    return this.#writing;
  }

  /** Waits for shared access and resolves to a guard. */
  read(options?: AcquireOptions): Promise<LockGuard> {
    return this.acquireGuard("read", options);
  }

  /** Waits for exclusive access and resolves to a guard. */
  write(options?: AcquireOptions): Promise<LockGuard> {
    return this.acquireGuard("write", options);
  }

  /** Runs `fn` with shared access, as a task of its own; resolves to its value. */
  runRead<T>(fn: () => T, options?: AcquireOptions): Promise<Awaited<T>> {
    return this.runCallback("read", fn, options);
  }

  /** Runs `fn` with exclusive access, as a task of its own; resolves to its value. */
  runWrite<T>(fn: () => T, options?: AcquireOptions): Promise<Awaited<T>> {
    return this.runCallback("write", fn, options);
  }

  /** Shared access now, or undefined; never waits (and never overtakes a queued writer). */
  tryRead(): LockGuard | undefined {
    return this.tryGuard("read");
  }

  /** Exclusive access now, or undefined; never waits. */
  tryWrite(): LockGuard | undefined {
    return this.tryGuard("write");
  }

  protected canTake(mode: LockMode): boolean {
    if (this.#writing || this.queue.size !== 0) return false;
    return mode === "read" || this.#readers === 0;
  }

  protected take(mode: LockMode): void {
    if (mode === "read") this.#readers++;
    else this.#writing = true;
  }

  protected untake(mode: LockMode): void {
    if (mode === "read") this.#readers--;
    else this.#writing = false;
  }

  protected dispatch(): void {
    if (this.#writing) return;
    let head = this.queue.head;
    if (head === undefined) return;
    if (head.mode !== "read") {
      if (this.#readers === 0) this.grantWaiter(head);
      return;
    }
    while (head !== undefined && head.mode === "read") {
      const next: Waiter | undefined = head.next;
      this.grantWaiter(head);
      head = next;
    }
  }

  protected isBusy(): boolean {
    return this.#writing || this.#readers > 0;
  }

  protected holderModes(): LockMode[] {
    return this.#writing ? ["write"] : Array.from({ length: this.#readers }, () => "read" as const);
  }
}
