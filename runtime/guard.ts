/**
 * `LockGuard`: the proof of one granted acquisition, and the only way to release it.
 * Works with `using` (`[Symbol.dispose]`) and with an explicit `release()` in `finally`.
 */
import { LockReleaseError, type LockMode } from "./errors.js";
import type { HeldEntry } from "./task-context.js";

/** Internal method by which a guard hands its grant back to the lock (a symbol so it is not public API). */
export const releaseGrant: unique symbol = Symbol("lock-discipline.releaseGrant");

export interface GrantOwner {
  readonly id: string;
  [releaseGrant](mode: LockMode, entry: HeldEntry | undefined): void;
}

/** Marks a released guard (in place of its entry) so a guard needs no separate flag. */
const RELEASED: unique symbol = Symbol("released");

/**
 * `Promise.resolve(new LockGuard(lock, mode, entry))`, written so that V8's optimizing compiler can
 * fulfil the promise directly. Resolving a promise with an object looks its `then` up (the spec's
 * thenable check), and a builtin does that lookup as a generic property search on every acquisition.
 * TurboFan skips it when it can prove the object has no `then`: it must know the object's map for
 * certain, and that map and its prototypes must have no `then`. A guard just built by its constructor
 * does not give it that proof (measured: the lookup stays; apparently the compiler only infers the
 * class's initial map, before the fields were added), so the guard's field is read back once: the read's
 * map check is the proof. In a `perf` profile
 * of an uncontended acquire/release loop (checks off) the generic lookup was 12–16% of the time, and it is
 * gone with this; bench/runtime.js went from 0.68x await-lock to parity. Hence also no `then` on
 * LockGuard.prototype, not even `then: undefined`, which the compiler counts as "has a then" (where the
 * compiler cannot help, the generic lookup now walks on to Object.prototype: a waiter's guard, checked
 * locks, unoptimized code). Defined in the class's static block for access to `#lock`.
 */
export let resolvedGuard: (lock: GrantOwner, mode: LockMode, entry: HeldEntry | undefined) => Promise<LockGuard>;

export class LockGuard implements Disposable {
  // Three fields only: a guard is allocated on every acquisition, and its size shows in the fast path.
  readonly #lock: GrantOwner;
  readonly #mode: LockMode;
  #entry: HeldEntry | undefined | typeof RELEASED;

  /** Created by the locks only; a guard constructed elsewhere would release a lock it never held. */
  constructor(lock: GrantOwner, mode: LockMode, entry: HeldEntry | undefined) {
    this.#lock = lock;
    this.#mode = mode;
    this.#entry = entry;
  }

  /** The id of the lock this guard holds. */
  get id(): string {
    return this.#lock.id;
  }

  get mode(): LockMode {
    return this.#mode;
  }

  get released(): boolean {
    return this.#entry === RELEASED;
  }

  /** Releases the lock. Releasing a guard twice throws `LockReleaseError` (it would free someone else's grant). */
  release(): void {
    const entry = this.#entry;
    if (entry === RELEASED) {
      throw new LockReleaseError(
        this.#lock.id,
        this.#mode,
        `lock "${this.#lock.id}" (${this.#mode}) released twice: this guard was already released`,
      );
    }
    this.#entry = RELEASED;
    this.#lock[releaseGrant](this.#mode, entry);
  }

  /**
   * Releases the lock unless `release()` already did. Idempotent like other dispose methods, so an
   * early `g.release()` inside a `using` scope is allowed and the scope end does nothing more.
   */
  [Symbol.dispose](): void {
    if (this.#entry !== RELEASED) this.release();
  }

  static {
    resolvedGuard = (lock, mode, entry) => {
      const guard = new LockGuard(lock, mode, entry);
      // Never true: the read is what matters (see resolvedGuard).
      if (guard.#lock !== lock) throw new TypeError("unreachable");
      return Promise.resolve(guard);
    };
  }
}

