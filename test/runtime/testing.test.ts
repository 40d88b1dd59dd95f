// lock-discipline/testing: schedule exploration of users' own scenarios under fast-check's scheduler.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { expect, test } from "vitest";
import { LockOrderError, type LockOrder, type OrderedMutex } from "../../runtime/index.js";
import { assertSchedules, exploreSchedules, ScheduleFailureError } from "../../runtime/testing.js";

const ORDER = {
  locks: [
    { id: "a", target: "Accounts.lock", kind: "mutex" },
    { id: "b", target: "Books.lock", kind: "mutex" },
  ],
} as const;

/** Two tasks that take both locks; `reversed` makes the second one take them as b then a. */
function transfers(reversed: boolean) {
  return ({ locks, task }: { locks: LockOrder<typeof ORDER>; task: (name: string, fn: () => unknown) => void }) => {
    const [a, b] = [locks.mutex("a"), locks.mutex("b")];
    const both = async (first: OrderedMutex, second: OrderedMutex) => {
      using _first = await first.acquire();
      await second.runExclusive(() => undefined);
    };
    task("t1", () => both(a, b));
    task("t2", () => (reversed ? both(b, a) : both(a, b)));
  };
}

test("finds the AB/BA deadlock and reports each task's held and awaited lock with the shortest schedule", async () => {
  const failure = await exploreSchedules(ORDER, transfers(true), { violations: "ignore", seed: 42 });
  expect(failure?.kind).toBe("deadlock");
  expect(failure!.tasks).toEqual([
    { name: "t1", state: "waiting", holds: ["a"], waitingFor: '"b" (exclusive)' },
    { name: "t2", state: "waiting", holds: ["b"], waitingFor: '"a" (exclusive)' },
  ]);
  // Both took their first lock before either asked for its second one.
  const steps = failure!.schedule;
  expect(steps).toHaveLength(6);
  const firstSecond = Math.min(steps.indexOf('t1: acquire "b"'), steps.indexOf('t2: acquire "a"'));
  expect(steps.indexOf('t1: acquire "a"')).toBeLessThan(firstSecond);
  expect(steps.indexOf('t2: acquire "b"')).toBeLessThan(firstSecond);
  expect(failure!.message).toMatch(/^deadlock: every task is waiting \(seed 42\)\. Tasks: t1 holds "a", waits for "b" \(exclusive\); t2 holds "b", waits for "a" \(exclusive\)\. Shortest schedule found \(6 steps\): t\d: start → /);
  expect(failure!.message).not.toContain("\n");
});

test("with violations failing (the default) the same scenario reports the LockOrderError of the task that took b before a", async () => {
  const failure = await exploreSchedules(ORDER, transfers(true));
  expect(failure?.kind).toBe("violation");
  expect(failure!.violation).toBeInstanceOf(LockOrderError);
  expect(failure!.violation).toMatchObject({ acquiring: "a", held: ["b"] });
  expect(failure!.schedule).toContain('t2: acquire "b"');
});

test("the correct version, both tasks in declared order, passes every schedule", async () => {
  await expect(exploreSchedules(ORDER, transfers(false), { numRuns: 200 })).resolves.toBeUndefined();
  await expect(assertSchedules(ORDER, transfers(false))).resolves.toBeUndefined();
});

test("assertSchedules throws a ScheduleFailureError carrying the failure", async () => {
  const error = await assertSchedules(ORDER, transfers(true), { violations: "ignore" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScheduleFailureError);
  expect((error as ScheduleFailureError).failure.kind).toBe("deadlock");
});

test("a section that awaits a timer which takes the section's lock is a deadlock: the timer is a task of its own", async () => {
  const failure = await exploreSchedules(ORDER, ({ locks, task }) => {
    const a = locks.mutex("a");
    task("refresher", () =>
      a.runExclusive(
        () => new Promise<void>((resolve) => setTimeout(() => void a.runExclusive(() => undefined).then(resolve), 1)),
      ),
    );
  });
  expect(failure?.kind).toBe("deadlock");
  // Callbacks a task schedules are reported under its name: here it holds a and (in its timer) waits for a.
  expect(failure!.tasks).toEqual([{ name: "refresher", state: "waiting", holds: ["a"], waitingFor: '"a" (exclusive)' }]);
  // Fire and forget instead of awaiting the timer: no deadlock.
  const fine = await exploreSchedules(ORDER, ({ locks, task }) => {
    const a = locks.mutex("a");
    task("refresher", () => a.runExclusive(() => void setTimeout(() => void a.runExclusive(() => undefined), 1)));
  });
  expect(fine).toBeUndefined();
});

test("a task that throws fails the schedule with kind error; step() adds scheduling points", async () => {
  const failure = await exploreSchedules(ORDER, ({ locks, task, step }) => {
    const a = locks.mutex("a");
    let balance = 1;
    const withdraw = async () => {
      // Reads outside the lock, writes inside: a lost update in some schedules.
      const seen = balance;
      await step("read balance");
      await a.runExclusive(() => {
        if (seen !== balance) throw new Error("balance changed under us");
        balance = seen - 1;
      });
    };
    task("w1", withdraw);
    task("w2", withdraw);
  });
  expect(failure?.kind).toBe("error");
  expect((failure!.error as Error).message).toBe("balance changed under us");
  expect(failure!.schedule.some((label) => label.endsWith(": read balance"))).toBe(true);
});

test("the package root never imports fast-check nor the testing entry", () => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const [, specifier] of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
      if (!specifier.startsWith(".")) continue;
      visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
    }
  };
  visit(join(import.meta.dirname, "../../runtime/index.ts"));
  const sources = [...seen].map((file) => readFileSync(file, "utf8"));
  expect([...seen].some((file) => file.endsWith("testing.ts"))).toBe(false);
  expect(sources.some((text) => text.includes('"fast-check"'))).toBe(false);
  expect(seen.size).toBeGreaterThan(5);
});
