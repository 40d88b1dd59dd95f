/**
 * Errors of the checked runtime locks. Every error the runtime creates is a `LockDisciplineError`,
 * so callers can tell lock problems from their own failures with one `instanceof`.
 */

/** The mode an acquisition asks for: a mutex is always `exclusive`; an rwlock is `read` or `write`. */
export type LockMode = "exclusive" | "read" | "write";

/** Base class of every error thrown or reported by the runtime locks. */
export class LockDisciplineError extends Error {
  override name = "LockDisciplineError";
}

/**
 * Acquiring a lock declared before one this task holds (or a second lock of an id this task already
 * holds through another instance). Raised before waiting, so the would-be deadlock never happens.
 */
export class LockOrderError extends LockDisciplineError {
  override name = "LockOrderError";
  constructor(
    /** Every lock id this task holds (same lock order), in the order the task took them. */
    readonly held: string[],
    /** The id being acquired. */
    readonly acquiring: string,
    /** The held ids that the declared order puts at or after `acquiring` (the ones that make this a violation). */
    readonly conflicting: string[],
    message: string,
  ) {
    super(message);
  }
}

/** Re-acquiring a lock this task already holds, in any mode: the locks are not reentrant, so it would wait forever. */
export class RecursiveLockError extends LockDisciplineError {
  override name = "RecursiveLockError";
  constructor(
    /** The id of the lock acquired twice. */
    readonly lock: string,
    /** The mode the task holds it in. */
    readonly heldMode: LockMode,
    /** The mode the task asked for again. */
    readonly mode: LockMode,
    /** Every lock id this task holds, in the order the task took them. */
    readonly held: string[],
    message: string,
  ) {
    super(message);
  }
}

/** The lock was not granted within the `timeout` given to the acquisition; the waiter has left the queue. */
export class LockTimeoutError extends LockDisciplineError {
  override name = "LockTimeoutError";
  constructor(
    readonly lock: string,
    readonly mode: LockMode,
    /** The timeout in milliseconds that elapsed. */
    readonly timeout: number,
  ) {
    super(`timed out after ${timeout} ms waiting for lock "${lock}" (${mode})`);
  }
}

/**
 * The `signal` given to an acquisition was aborted, before or while it waited; the waiter has left the
 * queue. `cause` is the signal's reason (`signal.reason`), unchanged.
 */
export class LockAbortError extends LockDisciplineError {
  override name = "LockAbortError";
  constructor(
    readonly lock: string,
    readonly mode: LockMode,
    /** True when the signal was already aborted at the call, so the acquisition never waited. */
    readonly beforeWaiting: boolean,
    reason: unknown,
  ) {
    super(
      `${beforeWaiting ? "signal already aborted when asking for" : "aborted while waiting for"} lock "${lock}" (${mode}): ${describeReason(reason)}`,
      { cause: reason },
    );
  }
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  if (typeof reason === "object" && reason !== null && typeof (reason as { message?: unknown }).message === "string") {
    return String((reason as { message: string }).message);
  }
  return String(reason);
}

/** Releasing a guard twice, or a guard that does not hold its lock. */
export class LockReleaseError extends LockDisciplineError {
  override name = "LockReleaseError";
  constructor(
    readonly lock: string,
    readonly mode: LockMode,
    message: string,
  ) {
    super(message);
  }
}

/** One task that holds or waits for a lock, as shown in snapshots and wait reports. */
export interface TaskView {
  /** The mode held or asked for. */
  readonly mode: LockMode;
  /** The task's number (each critical section is a task; see docs/runtime.md). Undefined with `checks: "off"`. */
  readonly task?: number;
  /** Every lock id that task holds, in the order it took them. Undefined with `checks: "off"`. */
  readonly taskHolds?: readonly string[];
  /** Milliseconds since the lock was granted (holders) or since the wait began (waiters). */
  readonly forMs?: number;
  /** Where the acquisition was made (only with `captureStacks: true`). */
  readonly stack?: string;
}

/**
 * Reported (never thrown) when a waiter has waited longer than `deadlockTimeout`: names the lock, the
 * waiter and every holder with its acquisition stack, so a hang explains itself. The waiter keeps waiting.
 */
export class PossibleDeadlockError extends LockDisciplineError {
  override name = "PossibleDeadlockError";
  constructor(
    readonly lock: string,
    /** Which instance of that id (1 for the first lock created with it). */
    readonly instance: number,
    readonly waitedMs: number,
    readonly waiter: TaskView,
    readonly holders: readonly TaskView[],
    message: string,
  ) {
    super(message);
  }
}

/** What `onViolation` receives. */
export type LockViolation = LockOrderError | RecursiveLockError | PossibleDeadlockError;
