/**
 * The order and recursion checks of one lock order, and how violations are reported.
 *
 * A checker exists only when checks are "throw" or "warn"; with "off" the locks hold `undefined`
 * instead and never call into this file nor into task-context.ts.
 */
import {
  LockOrderError,
  PossibleDeadlockError,
  RecursiveLockError,
  type LockDisciplineError,
  type LockMode,
  type LockViolation,
  type TaskView,
} from "./errors.js";
import { callerFrame, callerFrames } from "./stack-sites.js";
import { HELD, PENDING, currentChain, holdInCurrentContext, runInChain, type ChainLink, type HeldEntry } from "./task-context.js";

/** What the checker needs to know about a lock instance. */
export interface CheckedLock {
  readonly id: string;
  readonly rank: number;
  readonly instance: number;
}

export type ViolationHandler = (violation: LockViolation) => void;

/**
 * Called by every checked, waiting acquisition (guard and callback forms) after its checks and before
 * it is granted or queued; the acquisition goes on when the promise resolves. Only the testing entry
 * sets one, to let fast-check's scheduler choose the order in which acquisitions proceed.
 */
export type SchedulePoint = (lock: CheckedLock, mode: LockMode, task: number) => Promise<unknown>;

let lastTaskNumber = 0;

/**
 * `since` of an entry not stamped yet. A fraction on purpose: V8 then stores the field as a double from
 * the first entry on, as it must once a waiter's `Date.now()` (too large for a small integer) lands
 * there. With -1 the first stamp changed the field's representation, which deprecates the entries'
 * shape; entries made before and after then had different shapes, and every store to them in the lock
 * code took V8's slow path: measured, uncontended checked acquisitions ran 2-4x slower in a process
 * that had run contended ones after uncontended ones than in one that had started contended.
 */
const UNSTAMPED = -0.5;

/** A fresh task number (process-wide, so numbers in reports never collide across lock orders). */
function newTaskNumber(): number {
  return ++lastTaskNumber;
}

export class OrderChecker {
  /** Whether every acquisition records when it was asked for (waiters always record when they queue). */
  readonly stampGrants: boolean;
  /** Default "warn" reporting: one console.warn per site, so a hot loop does not flood the log. */
  readonly #warnedSites = new Set<string>();

  constructor(
    readonly mode: "throw" | "warn",
    readonly captureStacks: boolean,
    readonly deadlockTimeout: number | undefined,
    readonly onViolation: ViolationHandler | undefined,
    /** Where the order came from, for messages. */
    readonly source: string,
    readonly schedulePoint: SchedulePoint | undefined = undefined,
  ) {
    this.stampGrants = captureStacks || deadlockTimeout !== undefined;
  }

  chain(): ChainLink | undefined {
    return currentChain();
  }

  /**
   * Checks `lock` against what the task holds. Returns the error to reject with ("throw" mode), or
   * undefined to proceed: no violation, or one already reported ("warn" mode).
   * `tryOnly` skips the order check: a try never waits, so taking a lock out of order with it cannot
   * deadlock (it is the usual way to back off); recursion is still a bug and is still reported.
   */
  refuse(lock: CheckedLock, mode: LockMode, chain: ChainLink | undefined, tryOnly: boolean): LockDisciplineError | undefined {
    let recursion: HeldEntry | undefined;
    let conflicts: HeldEntry[] | undefined;
    for (let link = chain; link !== undefined; link = link.parent) {
      const entry = link.entry;
      if (entry.state !== HELD || entry.order !== this) continue;
      if (entry.lock === lock) {
        recursion = entry;
        break;
      }
      // `>=`: a second instance of the same id (two MemberList objects' `ml`) has no order with the first.
      if (!tryOnly && entry.lock.rank >= lock.rank) (conflicts ??= []).push(entry);
    }
    if (recursion === undefined && conflicts === undefined) return undefined;
    const violation =
      recursion !== undefined ? this.#recursionError(lock, mode, recursion, chain) : this.#orderError(lock, conflicts!, chain);
    if (this.mode === "throw") return violation;
    this.#report(violation);
    return undefined;
  }

  /** A new PENDING entry for an acquisition of `lock` by the task whose chain is `chain`. */
  entry(lock: CheckedLock, mode: LockMode, chain: ChainLink | undefined, newTask: boolean): HeldEntry {
    return {
      lock,
      id: lock.id,
      order: this,
      mode,
      task: newTask || chain === undefined ? newTaskNumber() : chain.entry.task,
      parent: chain,
      state: PENDING,
      // Date.now() costs 100-180 ns on the project's VM, a fifth of a checked acquisition: an uncontended
      // grant is stamped only when something reports durations (deadlockTimeout) or stacks are wanted.
      since: this.stampGrants ? Date.now() : UNSTAMPED,
      holderIndex: -1,
      site: this.captureStacks ? new Error("lock acquisition") : undefined,
    };
  }

  /** Records a synchronous grant (try forms) as held by the code running now. */
  holdHere(entry: HeldEntry, chain: ChainLink | undefined): void {
    holdInCurrentContext(entry, chain);
  }

  runTask<T>(entry: HeldEntry, chain: ChainLink | undefined, fn: () => T): T {
    return runInChain(entry, chain, fn);
  }

  /** Ids of this order's locks held in `chain`, in the order the task took them. */
  heldIds(chain: ChainLink | undefined): string[] {
    const ids: string[] = [];
    for (let link = chain; link !== undefined; link = link.parent) {
      if (link.entry.state === HELD && link.entry.order === this) ids.push(link.entry.id);
    }
    return ids.reverse();
  }

  /** How the task that made `entry` is shown in snapshots and reports (its holds include the entry once granted). */
  view(entry: HeldEntry, now: number): TaskView {
    const holds = this.heldIds(entry.parent);
    if (entry.state === HELD) holds.push(entry.id);
    return {
      mode: entry.mode,
      task: entry.task,
      taskHolds: holds,
      ...(entry.since < 0 ? {} : { forMs: Math.round(now - entry.since) }),
      ...(entry.site === undefined ? {} : { stack: callerFrames(entry.site).join("\n") }),
    };
  }

  /** Reports a waiter that has waited longer than `deadlockTimeout`; always reported, never thrown. */
  reportSlowWait(lock: CheckedLock, waiter: TaskView, holders: readonly TaskView[], waitedMs: number): void {
    const who = (view: TaskView) => `task #${view.task} (${view.mode}; holds ${formatIds(view.taskHolds ?? [])})`;
    const where = (view: TaskView, verb: string) => (view.stack ? `, ${verb} at:\n${indent(view.stack)}` : "");
    const lines = [
      `lock "${lock.id}" #${lock.instance}: ${who(waiter)} has waited ${waitedMs} ms ` +
        `(deadlockTimeout ${this.deadlockTimeout} ms)${where(waiter, "asked")}`,
      ...(holders.length === 0
        ? ["  no holder: the lock is being handed over"]
        : holders.map((holder) => `  held by ${who(holder)} for ${holder.forMs} ms${where(holder, "acquired")}`)),
    ];
    if (!this.captureStacks) lines.push("  (set captureStacks: true to see where each acquisition was made)");
    const report = new PossibleDeadlockError(lock.id, lock.instance, waitedMs, waiter, holders, lines.join("\n"));
    if (this.onViolation !== undefined) this.onViolation(report);
    else console.warn(`lock-discipline: ${report.message}`);
  }

  #report(violation: LockOrderError | RecursiveLockError): void {
    if (this.onViolation !== undefined) {
      this.onViolation(violation);
      return;
    }
    const kind = violation instanceof LockOrderError ? `${violation.conflicting.join(",")}>${violation.acquiring}` : violation.lock;
    const site = `${violation.name}|${kind}|${callerFrame(violation) ?? ""}`;
    if (this.#warnedSites.has(site)) return;
    this.#warnedSites.add(site);
    console.warn(`lock-discipline: ${violation.message}`);
  }

  #where(entry: HeldEntry): string {
    if (entry.site === undefined) return "at an unrecorded place (set captureStacks: true to record acquisition stacks)";
    const frame = callerFrame(entry.site);
    return frame === undefined ? "outside any user frame" : frame;
  }

  #recursionError(lock: CheckedLock, mode: LockMode, held: HeldEntry, chain: ChainLink | undefined): RecursiveLockError {
    const outcome =
      held.mode === "read" && mode === "read"
        ? "a second read waits forever as soon as a writer queues between the two"
        : "the lock is not reentrant, so this would wait forever for itself";
    return new RecursiveLockError(
      lock.id,
      held.mode,
      mode,
      this.heldIds(chain),
      `recursive acquisition of lock "${lock.id}": this task already holds it (${held.mode}) and asks again (${mode}); ` +
        `${outcome}. "${lock.id}" was taken ${this.#where(held)}. If this runs in work the holder started without awaiting it ` +
        `(a promise started with void), that work is a task of its own: start it with runDetached(() => work()) so it waits for the lock`,
    );
  }

  #orderError(lock: CheckedLock, conflicts: HeldEntry[], chain: ChainLink | undefined): LockOrderError {
    // Conflicts were collected innermost first; name them in the order the task took them.
    const ordered = [...conflicts].reverse();
    const sameId = ordered.filter((entry) => entry.id === lock.id);
    const later = ordered.filter((entry) => entry.id !== lock.id);
    const reasons: string[] = [];
    if (later.length > 0) {
      reasons.push(
        `${formatIds(later.map((e) => e.id))} ${later.length === 1 ? "is" : "are"} declared after "${lock.id}" in ${this.source}, ` +
          `so "${lock.id}" must be taken first`,
      );
    }
    if (sameId.length > 0) {
      reasons.push(
        `this task already holds another "${lock.id}" lock; locks sharing an id have no order among themselves, ` +
          `so two tasks taking two of them in opposite orders deadlock`,
      );
    }
    const wheres = ordered.map((entry) => `"${entry.id}" was taken ${this.#where(entry)}`);
    return new LockOrderError(
      this.heldIds(chain),
      lock.id,
      ordered.map((entry) => entry.id),
      `lock order violation: acquiring "${lock.id}" while holding ${formatIds(ordered.map((e) => e.id))}: ` +
        `${reasons.join("; ")}. ${wheres.join("; ")}`,
    );
  }
}

function formatIds(ids: readonly string[]): string {
  return ids.length === 0 ? "nothing" : ids.map((id) => `"${id}"`).join(", ");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}
