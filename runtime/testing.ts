/**
 * `lock-discipline/testing`: explores the interleavings of a user's own async scenario with the checked
 * locks under fast-check's scheduler, and reports the shortest schedule that ends in a deadlock (every
 * task waiting, nothing left to run), a lock order or recursion violation, or a failed task.
 *
 * fast-check is an optional peer dependency, imported here only: the package root never loads it.
 *
 * How: the scenario gets a `LockOrder` whose every waiting acquisition (guard and callback forms) stops at
 * a scheduling point after its checks, and tasks that start at scheduling points too; fast-check's
 * scheduler decides which stopped task goes on next, and shrinks a failing order to a small one. Checks
 * run in "warn" mode, so a violation is recorded and the acquisition goes on to show what it leads to.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fc, { type Scheduler } from "fast-check";
import type { SchedulePoint } from "./checker.js";
import { defineLockOrder, schedulePointOption, type LockOrder } from "./define.js";
import { LockOrderError, PossibleDeadlockError, RecursiveLockError, type LockMode, type LockViolation } from "./errors.js";

export interface ScenarioContext<O> {
  /** The checked locks of the order, with scheduling points: build the scenario's objects from it. */
  readonly locks: LockOrder<O>;
  /** Starts `fn` as a task named `name`; when each task starts is up to the scheduler. */
  task(name: string, fn: () => unknown): void;
  /** A scheduling point inside a task (where it would do I/O, for instance): others may run first. */
  step(label?: string): Promise<void>;
}

export interface ExploreOptions {
  /** How many schedules to try before shrinking (fast-check's `numRuns`). Default 100. */
  readonly numRuns?: number;
  /** fast-check's seed, to replay a run. Default: random. */
  readonly seed?: number;
  /** `"fail"` (default): a lock order or recursion violation fails the schedule. `"ignore"`: only deadlocks and failed tasks do. */
  readonly violations?: "fail" | "ignore";
}

/** One task of the scenario at the end of the failing schedule. */
export interface TaskReport {
  readonly name: string;
  readonly state: "done" | "failed" | "waiting";
  /** Ids of the locks it holds, in declared order. */
  readonly holds: readonly string[];
  /** The lock it is queued for, as `"id" (mode)`, when it waits for one. */
  readonly waitingFor?: string;
  readonly error?: unknown;
}

export interface ScheduleFailure {
  readonly kind: "deadlock" | "violation" | "error";
  /** The steps of the shortest failing schedule found, in the order they ran (`"t1: acquire "a""`). */
  readonly schedule: readonly string[];
  readonly tasks: readonly TaskReport[];
  /** The first violation, for `kind: "violation"`. */
  readonly violation?: LockOrderError | RecursiveLockError;
  /** The task's error, for `kind: "error"`. */
  readonly error?: unknown;
  /** The fast-check seed of the exploration (pass it as `seed` to replay). */
  readonly seed: number;
  /** One line: what happened, each task's locks and wait, and the schedule. */
  readonly message: string;
}

/** Thrown by `assertSchedules`; `failure` has the details. */
export class ScheduleFailureError extends Error {
  override name = "ScheduleFailureError";
  constructor(readonly failure: ScheduleFailure) {
    super(failure.message);
  }
}

type Scenario<O> = (context: ScenarioContext<O>) => void | Promise<void>;

interface TaskRecord {
  readonly name: string;
  state: "running" | "done" | "failed";
  error?: unknown;
}

const verbs: Record<LockMode, string> = { exclusive: "acquire", read: "read", write: "write" };

/**
 * Runs `scenario` under many schedules and returns the shortest failing one found, or undefined when
 * every schedule passed. `order` is the lock order (as for `defineLockOrder`).
 */
export async function exploreSchedules<const O>(
  order: O,
  scenario: Scenario<O>,
  options: ExploreOptions = {},
): Promise<ScheduleFailure | undefined> {
  const { numRuns = 100, seed, violations = "fail" } = options;
  if (!Number.isInteger(numRuns) || numRuns < 1) throw new TypeError("exploreSchedules: numRuns must be a positive integer");
  if (violations !== "fail" && violations !== "ignore") throw new TypeError('exploreSchedules: violations must be "fail" or "ignore"');
  if (typeof scenario !== "function") throw new TypeError("exploreSchedules: the scenario must be a function");
  defineLockOrder(order, { checks: "off" }); // an invalid order throws LockOrderConfigError here, once
  let shortest: Omit<ScheduleFailure, "seed" | "message"> | undefined;
  const details = await fc.check(
    fc.asyncProperty(fc.scheduler(), async (scheduler) => {
      const failure = await runOnce(scheduler, order, scenario, violations === "fail");
      if (failure !== undefined && (shortest === undefined || failure.schedule.length <= shortest.schedule.length)) shortest = failure;
      return failure === undefined;
    }),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
  if (!details.failed || shortest === undefined) {
    if (details.errorInstance !== undefined && details.errorInstance !== null) throw details.errorInstance;
    return undefined;
  }
  return { ...shortest, seed: details.seed, message: describe(shortest, details.seed) };
}

/** Like `exploreSchedules`, but throws `ScheduleFailureError` when a schedule fails. */
export async function assertSchedules<const O>(order: O, scenario: Scenario<O>, options?: ExploreOptions): Promise<void> {
  const failure = await exploreSchedules(order, scenario, options);
  if (failure !== undefined) throw new ScheduleFailureError(failure);
}

async function runOnce<O>(
  scheduler: Scheduler,
  order: O,
  scenario: Scenario<O>,
  violationsFail: boolean,
): Promise<Omit<ScheduleFailure, "seed" | "message"> | undefined> {
  const currentTask = new AsyncLocalStorage<string>();
  /** Runtime task numbers (one per section) -> the scenario task they belong to. */
  const taskNames = new Map<number, string>();
  const seenViolations: (LockOrderError | RecursiveLockError)[] = [];
  const schedulePoint: SchedulePoint = (lock, mode, task) => {
    const name = currentTask.getStore() ?? `task #${task}`;
    taskNames.set(task, name);
    return scheduler.schedule(Promise.resolve(), `${name}: ${verbs[mode]} "${lock.id}"`);
  };
  const locks = defineLockOrder(order, {
    checks: "warn",
    onViolation: (violation: LockViolation) => {
      if (!(violation instanceof PossibleDeadlockError)) seenViolations.push(violation);
    },
    [schedulePointOption]: schedulePoint,
  } as Parameters<typeof defineLockOrder>[1]);
  const records: TaskRecord[] = [];
  const task = (name: string, fn: () => unknown) => {
    if (typeof name !== "string" || typeof fn !== "function") throw new TypeError("task(name, fn): name must be a string and fn a function");
    const record: TaskRecord = { name, state: "running" };
    records.push(record);
    void scheduler
      .schedule(Promise.resolve(), `${name}: start`)
      .then(() => currentTask.run(name, fn))
      .then(
        () => (record.state = "done"),
        (error: unknown) => {
          record.state = "failed";
          record.error = error;
        },
      );
  };
  const step = (label = "step") => scheduler.schedule(Promise.resolve(), `${currentTask.getStore() ?? "scenario"}: ${label}`);
  try {
    await scenario({ locks, task, step });
  } catch (error) {
    records.push({ name: "scenario", state: "failed", error });
  }
  await settle(scheduler);

  const failed = records.find((record) => record.state === "failed");
  const stuck = records.some((record) => record.state === "running");
  const firstViolation = violationsFail ? seenViolations[0] : undefined;
  if (firstViolation === undefined && failed === undefined && !stuck) return undefined;
  const kind = firstViolation !== undefined ? "violation" : stuck ? "deadlock" : "error";
  const schedule = scheduler
    .report()
    .filter((item) => item.status !== "pending")
    .map((item) => item.label);
  return {
    kind,
    schedule,
    tasks: taskReports(records, locks, taskNames),
    ...(firstViolation === undefined ? {} : { violation: firstViolation }),
    ...(kind === "error" ? { error: failed!.error } : {}),
  };
}

/** Lets the scheduler run everything it can, including work started by macrotasks (real timers). */
async function settle(scheduler: Scheduler): Promise<void> {
  for (let idleRounds = 0; idleRounds < 3; ) {
    if (scheduler.count() > 0) {
      await scheduler.waitIdle();
      idleRounds = 0;
    } else {
      await new Promise<void>((resolve) => setImmediate(resolve));
      idleRounds++;
    }
  }
}

function taskReports<O>(records: readonly TaskRecord[], locks: LockOrder<O>, taskNames: ReadonlyMap<number, string>): TaskReport[] {
  const holds = new Map<string, string[]>();
  const waits = new Map<string, string>();
  for (const view of locks.snapshot().locks) {
    for (const holder of view.holders) {
      const name = taskNames.get(holder.task ?? -1);
      if (name !== undefined && !holds.get(name)?.includes(view.id)) holds.set(name, [...(holds.get(name) ?? []), view.id]);
    }
    for (const waiter of view.waiters) {
      const name = taskNames.get(waiter.task ?? -1);
      if (name !== undefined) waits.set(name, `"${view.id}" (${waiter.mode})`);
    }
  }
  return records.map((record) => ({
    name: record.name,
    state: record.state === "running" ? "waiting" : record.state,
    holds: holds.get(record.name) ?? [],
    ...(waits.has(record.name) ? { waitingFor: waits.get(record.name) } : {}),
    ...(record.state === "failed" ? { error: record.error } : {}),
  }));
}

function describe(failure: Omit<ScheduleFailure, "seed" | "message">, seed: number): string {
  const what =
    failure.kind === "deadlock"
      ? "deadlock: every task is waiting"
      : failure.kind === "violation"
        ? `violation: ${failure.violation!.message}`
        : `a task failed: ${failure.error instanceof Error ? `${failure.error.name}: ${failure.error.message}` : String(failure.error)}`;
  const tasks = failure.tasks
    .map((task) => {
      const holds = task.holds.length === 0 ? "holds nothing" : `holds ${task.holds.map((id) => `"${id}"`).join(", ")}`;
      const state = task.state === "waiting" ? (task.waitingFor ? `waits for ${task.waitingFor}` : "waits (not for a lock)") : task.state;
      return `${task.name} ${holds}, ${state}`;
    })
    .join("; ");
  return `${what} (seed ${seed}). Tasks: ${tasks}. Shortest schedule found (${failure.schedule.length} steps): ${failure.schedule.join(" → ")}`;
}
