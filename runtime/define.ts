/**
 * `defineLockOrder`: builds checked locks from a lock order (the content of lock-order.json).
 * Validation is `buildPolicy`'s (core/policy.ts), so the runtime accepts exactly what the linter and
 * the analyzer accept.
 */
import { buildPolicy, type Policy } from "../core/policy.js";
import { OrderChecker, type SchedulePoint, type ViolationHandler } from "./checker.js";
import { LockDisciplineError } from "./errors.js";
import { OrderedMutex } from "./mutex.js";
import type { LockView, OrderedLock } from "./ordered-lock.js";
import { OrderedRwLock } from "./rwlock.js";
import { taskTrackingAvailable } from "./task-context.js";

export type CheckMode = "throw" | "warn" | "off";

export interface LockOrderOptions {
  /**
   * `"throw"` (default): an order or recursion violation rejects the acquisition before it waits.
   * `"warn"`: report it through `onViolation` and proceed. `"off"`: plain fast locks, nothing tracked.
   */
  readonly checks?: CheckMode;
  /** Receives violations in "warn" mode, and `deadlockTimeout` reports in any checked mode. Default: console.warn (once per site for violations). */
  readonly onViolation?: ViolationHandler;
  /** Record where each lock was acquired, for error messages and snapshots. Costs a few microseconds per acquisition. */
  readonly captureStacks?: boolean;
  /** Milliseconds after which a waiter reports the lock's holders (checked modes only). Off by default. */
  readonly deadlockTimeout?: number;
}

/** What `locks.snapshot()` returns: every lock of the order that is held or waited for. */
export interface LockSnapshot {
  /** The effective checks mode; with "off" holders and waiters show only their modes. */
  readonly checks: CheckMode;
  readonly locks: readonly LockView[];
}

/**
 * The shape of lock-order.json with readonly arrays, for `const order = { … } as const satisfies
 * LockOrderDefinition`: the literal ids and kinds then type `mutex(id)` and `rwlock(id)`.
 */
export interface LockOrderDefinition {
  readonly $schema?: string;
  readonly methods?: { readonly [method: string]: readonly string[] };
  readonly locks: readonly {
    readonly id: string;
    readonly target: string;
    readonly kind: "mutex" | "rwlock" | "keyed";
    readonly description?: string;
    readonly methods?: { readonly [method: string]: readonly string[] };
    /** A keyed lock's constant keys in nesting order (checked by the static analysis, not at run time). */
    readonly keys?: readonly string[];
  }[];
}

type DeclaredLockOf<O> = O extends { readonly locks: readonly (infer L)[] } ? L : never;
type IdsOfKind<L, K extends string> = L extends { readonly id: infer I extends string; readonly kind: infer LK }
  ? string extends LK
    ? I
    : LK extends K
      ? I
      : never
  : never;
/** True when the order's ids are literal types (inline `as const`, a `const` type parameter, or a generated `lock-order.d.json.ts`). */
type HasLiteralIds<O> = [DeclaredLockOf<O>] extends [never]
  ? false
  : DeclaredLockOf<O> extends { readonly id: infer I }
    ? string extends I
      ? false
      : true
    : false;

/** The ids `mutex(id)` accepts: the declared mutex ids when they are known at compile time, else any string. */
export type MutexId<O> = HasLiteralIds<O> extends true ? IdsOfKind<DeclaredLockOf<O>, "mutex"> : string;
/** The ids `rwlock(id)` accepts: the declared rwlock ids when they are known at compile time, else any string. */
export type RwLockId<O> = HasLiteralIds<O> extends true ? IdsOfKind<DeclaredLockOf<O>, "rwlock"> : string;

const SOURCE_LABEL = "the lock order given to defineLockOrder";

/** The option key under which the testing entry passes its `SchedulePoint` (not public API). */
export const schedulePointOption: unique symbol = Symbol("lock-discipline.schedulePoint");

/** `O` is the type of the order it was defined from: it decides which ids `mutex` and `rwlock` accept. */
export class LockOrder<O = unknown> {
  /** The effective mode: "off" when requested, or when AsyncLocalStorage is missing. */
  readonly checks: CheckMode;
  readonly policy: Policy;
  readonly #checker: OrderChecker | undefined;
  /** Every lock created from this order, weakly: locks live as long as the objects that own them. */
  #created: WeakRef<OrderedLock>[] = [];
  #pruneAt = 1024;
  readonly #instancesById = new Map<string, number>();

  constructor(order: O, options: LockOrderOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("defineLockOrder: options must be an object");
    const { checks = "throw", onViolation, captureStacks = false, deadlockTimeout } = options;
    if (checks !== "throw" && checks !== "warn" && checks !== "off") {
      throw new TypeError(`defineLockOrder: checks must be "throw", "warn" or "off", got ${JSON.stringify(checks)}`);
    }
    if (onViolation !== undefined && typeof onViolation !== "function") throw new TypeError("defineLockOrder: onViolation must be a function");
    if (typeof captureStacks !== "boolean") throw new TypeError("defineLockOrder: captureStacks must be a boolean");
    if (deadlockTimeout !== undefined && !(typeof deadlockTimeout === "number" && deadlockTimeout > 0 && deadlockTimeout < 2 ** 31)) {
      throw new TypeError("defineLockOrder: deadlockTimeout must be a number of milliseconds > 0");
    }
    this.policy = buildPolicy(order, SOURCE_LABEL);
    this.checks = checks !== "off" && !taskTrackingAvailable() ? "off" : checks;
    const schedulePoint = (options as { [schedulePointOption]?: SchedulePoint })[schedulePointOption];
    this.#checker =
      this.checks === "off"
        ? undefined
        : new OrderChecker(this.checks, captureStacks, deadlockTimeout, onViolation, SOURCE_LABEL, schedulePoint);
  }

  /** A new mutex for the declared `mutex` lock `id`; call once per lock object (e.g. in its owner's constructor). */
  mutex(id: MutexId<O>): OrderedMutex {
    const rank = this.#rankOf(id, "mutex");
    return this.#remember(new OrderedMutex(id, rank, this.#nextInstance(id), this.#checker));
  }

  /** A new read-write lock for the declared `rwlock` lock `id`. */
  rwlock(id: RwLockId<O>): OrderedRwLock {
    const rank = this.#rankOf(id, "rwlock");
    return this.#remember(new OrderedRwLock(id, rank, this.#nextInstance(id), this.#checker));
  }

  /** Ids of this order's locks held by the current task, in the order it took them. Always empty with checks off. */
  held(): string[] {
    const checker = this.#checker;
    return checker === undefined ? [] : checker.heldIds(checker.chain());
  }

  /** Who holds and who waits for each busy lock of this order, with acquisition stacks when captured. */
  snapshot(): LockSnapshot {
    const now = Date.now();
    const locks: LockView[] = [];
    for (const ref of this.#created) {
      const view = ref.deref()?.view(now);
      if (view !== undefined) locks.push(view);
    }
    locks.sort((a, b) => a.rank - b.rank || a.instance - b.instance);
    return { checks: this.checks, locks };
  }

  #rankOf(id: string, kind: "mutex" | "rwlock"): number {
    const declared = this.policy.byId.get(id);
    if (declared === undefined) {
      const known = this.policy.locks.map((lock) => lock.id).join(", ");
      throw new LockDisciplineError(`unknown lock id "${id}": ${SOURCE_LABEL} declares ${known || "no locks"}`);
    }
    if (declared.kind === "keyed") {
      throw new LockDisciplineError(
        `lock "${id}" is declared "keyed": keyed locks (acquire(key) on a lock manager) are checked by the linter and ` +
          `the analyzer only; the runtime provides mutex and rwlock locks`,
      );
    }
    if (declared.kind !== kind) {
      throw new LockDisciplineError(`lock "${id}" is declared as a ${declared.kind}; use locks.${declared.kind}("${id}")`);
    }
    return declared.rank;
  }

  #nextInstance(id: string): number {
    const instance = (this.#instancesById.get(id) ?? 0) + 1;
    this.#instancesById.set(id, instance);
    return instance;
  }

  #remember<L extends OrderedLock>(lock: L): L {
    this.#created.push(new WeakRef(lock));
    if (this.#created.length >= this.#pruneAt) {
      this.#created = this.#created.filter((ref) => ref.deref() !== undefined);
      this.#pruneAt = Math.max(1024, this.#created.length * 2);
    }
    return lock;
  }
}

/**
 * Builds the checked locks of a lock order (the parsed lock-order.json). Throws `LockOrderConfigError`
 * when the order is invalid, `TypeError` for bad options. When the order's ids are literal types (an
 * inline object, `as const`, or a JSON import typed by a generated `lock-order.d.json.ts`), `mutex(id)`
 * and `rwlock(id)` accept only the ids declared with that kind.
 */
export function defineLockOrder<const O>(order: O, options?: LockOrderOptions): LockOrder<O> {
  return new LockOrder(order, options);
}
