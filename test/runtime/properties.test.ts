// Interleaving properties: fast-check's scheduler decides when each task starts and when every
// yield point inside a critical section resumes, so each run explores a different interleaving
// (and a failure shrinks to a small, replayable schedule).
import { getEventListeners } from "node:events";
import fc from "fast-check";
import { afterEach, describe, expect, test, vi } from "vitest";
import {
  defineLockOrder,
  LockAbortError,
  LockOrderError,
  LockTimeoutError,
  type CheckMode,
  type LockGuard,
  type LockOrder,
} from "../../runtime/index.js";
import { HABITAT_ORDER } from "./helpers.js";

// `timeout` turns a run that hangs (a lost wakeup) into a failure instead of a stuck test.
const PARAMETERS = { numRuns: 300, timeout: 5_000 };
const checksModes = fc.constantFrom<CheckMode>("off", "throw");
const form = fc.constantFrom("guard", "callback");

afterEach(() => {
  vi.useRealTimers();
});

/** `n` scheduler-controlled yield points. */
async function yieldTimes(s: fc.Scheduler, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await s.schedule(Promise.resolve(), "yield");
}

/**
 * First come, first served, as far as it is observable: of two requests where either is a writer (or
 * both are mutex requests), the earlier is served first. Two readers may start their sections in
 * either order, since they hold the lock together (a callback starts at once, a guard one hop later).
 */
function expectServedInArrivalOrder(requested: readonly string[], served: readonly string[], isRead: (label: string) => boolean): void {
  expect([...served].sort()).toEqual([...requested].sort());
  const position = new Map(served.map((label, index) => [label, index]));
  for (let i = 0; i < requested.length; i++) {
    for (let j = i + 1; j < requested.length; j++) {
      const [earlier, later] = [requested[i], requested[j]];
      if (isRead(earlier) && isRead(later)) continue;
      if (position.get(earlier)! > position.get(later)!) {
        expect.fail(`${later} was served before ${earlier}, which asked first (served: ${served.join(" ")})`);
      }
    }
  }
}

/**
 * The queue is consistent when nobody waits who could be served right now: a mutex with waiters is
 * held; an rwlock with waiters is held, and if only readers hold it the first waiter is a writer.
 * Read from `snapshot()`, so it holds with and without checks.
 */
function expectNoServableWaiter(locks: LockOrder): void {
  for (const view of locks.snapshot().locks) {
    if (view.waiters.length === 0) continue;
    const where = `${view.id}: holders [${view.holders.map((h) => h.mode)}], waiters [${view.waiters.map((w) => w.mode)}]`;
    if (view.holders.length === 0) expect.fail(`waiters behind a free lock (${where})`);
    if (view.holders.every((h) => h.mode === "read") && view.waiters[0].mode === "read") {
      expect.fail(`a reader waits although only readers hold the lock (${where})`);
    }
  }
}

/** Starts `body` when the scheduler says so; each start runs in its own async context. */
function startLater<T>(s: fc.Scheduler, label: string, body: () => Promise<T>): Promise<T> {
  return s.schedule(Promise.resolve(), label).then(body);
}

describe("interleaving properties", () => {
  test("mutex: mutual exclusion, no lost wakeups, first come first served", async () => {
    const task = fc.record({ sections: fc.integer({ min: 1, max: 3 }), yields: fc.integer({ min: 0, max: 2 }), form });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), checksModes, fc.array(task, { minLength: 2, maxLength: 6 }), async (s, checks, tasks) => {
        const mutex = defineLockOrder(HABITAT_ORDER, { checks }).mutex("sm");
        const requested: string[] = [];
        const served: string[] = [];
        let inside = 0;
        let overlaps = 0;
        let finished = 0;
        const section = async (label: string, yields: number) => {
          served.push(label);
          if (++inside > 1) overlaps++;
          await yieldTimes(s, yields);
          inside--;
        };
        tasks.forEach((t, i) =>
          void startLater(s, `start ${i}`, async () => {
            for (let k = 0; k < t.sections; k++) {
              const label = `${i}.${k}`;
              requested.push(label);
              if (t.form === "callback") await mutex.runExclusive(() => section(label, t.yields));
              else {
                using _guard = await mutex.acquire();
                await section(label, t.yields);
              }
            }
            finished++;
          }),
        );
        await s.waitIdle();
        expect(finished).toBe(tasks.length); // nobody was left waiting
        expect(overlaps).toBe(0);
        expect(served).toEqual(requested);
        expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
      }),
      PARAMETERS,
    );
  });

  test("rwlock: readers share, writers exclude, grants follow arrival order, no lost wakeups", async () => {
    const task = fc.record({ mode: fc.constantFrom("read", "write"), yields: fc.integer({ min: 0, max: 2 }), form, repeat: fc.integer({ min: 1, max: 2 }) });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), checksModes, fc.array(task, { minLength: 2, maxLength: 7 }), async (s, checks, tasks) => {
        const lock = defineLockOrder(HABITAT_ORDER, { checks }).rwlock("rs");
        const requested: string[] = [];
        const served: string[] = [];
        let readers = 0;
        let writers = 0;
        let broken = 0;
        let finished = 0;
        const section = async (label: string, mode: string, yields: number) => {
          served.push(label);
          if (mode === "read") readers++;
          else writers++;
          if (writers > 1 || (writers === 1 && readers > 0)) broken++;
          await yieldTimes(s, yields);
          if (mode === "read") readers--;
          else writers--;
        };
        tasks.forEach((t, i) =>
          void startLater(s, `start ${i} (${t.mode})`, async () => {
            for (let k = 0; k < t.repeat; k++) {
              const label = `${i}.${k}`;
              requested.push(label);
              const body = () => section(label, t.mode, t.yields);
              if (t.form === "callback") await (t.mode === "read" ? lock.runRead(body) : lock.runWrite(body));
              else {
                using _guard = await (t.mode === "read" ? lock.read() : lock.write());
                await body();
              }
            }
            finished++;
          }),
        );
        await s.waitIdle();
        expect(finished).toBe(tasks.length);
        expect(broken).toBe(0);
        // Nothing overtakes in the queue, and a reader joins current readers only when nobody waits:
        // so no reader passes a waiting writer and no writer passes anyone.
        expectServedInArrivalOrder(requested, served, (label) => tasks[Number(label.split(".")[0])].mode === "read");
        expect([lock.readers, lock.writing, lock.waiting]).toEqual([0, false, 0]);
      }),
      PARAMETERS,
    );
  });

  test("timeouts and aborts remove their waiters and leave a consistent queue, timers and listeners", async () => {
    const task = fc.record({
      mode: fc.constantFrom("read", "write"),
      yields: fc.integer({ min: 0, max: 2 }),
      timeout: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      abort: fc.boolean(),
      form,
    });
    const program = fc.record({
      kind: fc.constantFrom("mutex", "rwlock"),
      checks: checksModes,
      tasks: fc.array(task, { minLength: 2, maxLength: 7 }),
      ticks: fc.integer({ min: 0, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), program, async (s, { kind, checks, tasks, ticks }) => {
        vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
        try {
          const locks = defineLockOrder(HABITAT_ORDER, { checks });
          const mutex = kind === "mutex" ? locks.mutex("sm") : undefined;
          const rwlock = kind === "rwlock" ? locks.rwlock("rs") : undefined;
          const signals: AbortSignal[] = [];
          /** The abort and tick steps; awaited so a failed check inside one fails the run. */
          const steps: Promise<void>[] = [];
          const outcomes: string[] = [];
          const requested: string[] = [];
          const served: string[] = [];
          let readers = 0;
          let writers = 0;
          let broken = 0;
          const section = async (label: string, mode: string, yields: number) => {
            served.push(label);
            if (mode === "read") readers++;
            else writers++;
            if (writers > 1 || (writers === 1 && readers > 0)) broken++;
            await yieldTimes(s, yields);
            if (mode === "read") readers--;
            else writers--;
          };
          const runs = tasks.map((t, i) => {
            const controller = new AbortController();
            signals.push(controller.signal);
            const reason = new Error(`abort ${i}`);
            if (t.abort) {
              steps.push(startLater(s, `abort ${i}`, async () => {
                controller.abort(reason); // cancels synchronously, so the queue must be right at once
                expectNoServableWaiter(locks);
              }));
            }
            const mode = kind === "mutex" ? "exclusive" : t.mode;
            const options = { timeout: t.timeout, signal: controller.signal };
            return startLater(s, `start ${i}`, async () => {
              const label = String(i);
              requested.push(label);
              try {
                const body = () => section(label, mode, t.yields);
                if (t.form === "callback") {
                  if (mutex) await mutex.runExclusive(body, options);
                  else await (t.mode === "read" ? rwlock!.runRead(body, options) : rwlock!.runWrite(body, options));
                } else {
                  const guard: LockGuard = await (mutex ? mutex.acquire(options) : t.mode === "read" ? rwlock!.read(options) : rwlock!.write(options));
                  try {
                    await body();
                  } finally {
                    guard.release();
                  }
                }
                outcomes[i] = "served";
              } catch (error) {
                if (error instanceof LockAbortError && error.cause === reason) outcomes[i] = "aborted";
                else if (error instanceof LockTimeoutError && t.timeout !== undefined) outcomes[i] = "timed out";
                else throw error;
              }
            });
          });
          for (let i = 0; i < ticks; i++) {
            steps.push(startLater(s, "tick", async () => {
              vi.advanceTimersByTime(4); // fires due timeouts synchronously
              expectNoServableWaiter(locks);
            }));
          }
          await s.waitIdle();
          // Every holder's section has finished, so every waiter has been served or has left:
          // checked before awaiting, so a lost wakeup fails instead of hanging.
          expect(outcomes.filter(Boolean)).toHaveLength(tasks.length);
          await Promise.all([...steps, ...runs]);
          // Nobody waits any more, so any timer still pending was leaked by a served or cancelled waiter.
          expect(vi.getTimerCount()).toBe(0);
          tasks.forEach((t, i) => {
            if (outcomes[i] === "aborted") expect(t.abort).toBe(true);
            if (outcomes[i] === "timed out") expect(t.timeout).not.toBe(undefined);
          });
          expect(broken).toBe(0);
          // Those served were served in arrival order (the others simply left the line).
          const servedRequests = requested.filter((label) => outcomes[Number(label)] === "served");
          expectServedInArrivalOrder(servedRequests, served, (label) => kind === "rwlock" && tasks[Number(label)].mode === "read");
          const lock = mutex ?? rwlock!;
          expect(lock.waiting).toBe(0);
          expect(mutex ? mutex.locked : rwlock!.readers > 0 || rwlock!.writing).toBe(false);
          for (const signal of signals) expect(getEventListeners(signal, "abort")).toHaveLength(0);
        } finally {
          vi.useRealTimers();
        }
      }),
      { ...PARAMETERS, numRuns: 1000 },
    );
  });

  test("AB/BA is always refused before it can deadlock, whatever the interleaving", async () => {
    const ids = HABITAT_ORDER.locks.map((lock) => lock.id);
    const pair = fc
      .uniqueArray(fc.integer({ min: 0, max: ids.length - 1 }), { minLength: 2, maxLength: 2 })
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    const side = fc.record({ form, write: fc.boolean(), yields: fc.integer({ min: 0, max: 2 }) });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), pair, side, side, async (s, [low, high], forward, backward) => {
        const locks = defineLockOrder(HABITAT_ORDER);
        const lockOf = (index: number) => {
          const declared = HABITAT_ORDER.locks[index];
          return declared.kind === "mutex" ? locks.mutex(declared.id) : locks.rwlock(declared.id);
        };
        const [a, b] = [lockOf(low), lockOf(high)];
        // Takes `first` then `second`, in the form and mode `how` says, yielding in between.
        const take = (first: typeof a, second: typeof a, how: typeof forward) => {
          const run = <T>(lock: typeof a, fn: () => Promise<T>): Promise<T> => {
            if (how.form === "callback") {
              return lock.kind === "mutex" ? lock.runExclusive(fn) : how.write ? lock.runWrite(fn) : lock.runRead(fn);
            }
            return (async () => {
              using _guard = await (lock.kind === "mutex" ? lock.acquire() : how.write ? lock.write() : lock.read());
              return await fn(); // awaited inside the scope, so the guard outlives fn
            })();
          };
          return run(first, async () => {
            await yieldTimes(s, how.yields);
            return run(second, async () => {
              await yieldTimes(s, how.yields);
              return locks.held();
            });
          });
        };
        let settled = 0;
        const inOrder = startLater(s, "A then B", () => take(a, b, forward)).finally(() => settled++);
        const reversed = startLater(s, "B then A", () => take(b, a, backward)).then(
          () => "acquired",
          (error: unknown) => error,
        ).finally(() => settled++);
        await s.waitIdle();
        expect(settled).toBe(2); // nobody is stuck: no deadlock
        expect(await inOrder).toEqual([ids[low], ids[high]]);
        const refusal = await reversed;
        expect(refusal).toBeInstanceOf(LockOrderError);
        expect(refusal).toMatchObject({ held: [ids[high]], acquiring: ids[low], conflicting: [ids[high]] });
        expect(a.waiting + b.waiting).toBe(0);
      }),
      PARAMETERS,
    );
  });

  test("concurrent tasks never see each other's locks: each sees exactly its own nesting", async () => {
    const ids = HABITAT_ORDER.locks.map((lock) => lock.id);
    const plan = fc.record({
      // Increasing indexes = a legal nesting in declared order.
      path: fc.uniqueArray(fc.integer({ min: 0, max: ids.length - 1 }), { minLength: 1, maxLength: 4 }).map((xs) => [...xs].sort((x, y) => x - y)),
      forms: fc.array(form, { minLength: 4, maxLength: 4 }),
      write: fc.boolean(),
      yields: fc.integer({ min: 0, max: 2 }),
    });
    // "scheduled": each task starts in a scheduler callback (its own context), any form at any depth.
    // "same caller": all tasks start side by side from the property body and take their outermost
    // lock with the callback form, which makes a task of its own.
    // "same caller, guard first": side by side again, the outermost lock a guard taken first thing
    // (before any await). Both are the supported ways to start tasks side by side (docs/runtime.md).
    const start = fc.constantFrom("scheduled", "same caller", "same caller, guard first");
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), start, fc.array(plan, { minLength: 2, maxLength: 5 }), async (s, startMode, plans) => {
        const locks = defineLockOrder(HABITAT_ORDER);
        const instances = new Map(
          HABITAT_ORDER.locks.map((declared) => [declared.id, declared.kind === "mutex" ? locks.mutex(declared.id) : locks.rwlock(declared.id)]),
        );
        const seen: string[][][] = plans.map(() => []);
        const nest = async (planIndex: number, depth: number): Promise<void> => {
          const { path, forms, write, yields } = plans[planIndex];
          seen[planIndex].push(locks.held());
          if (depth === path.length) return;
          // No await at all when yields is 0: the acquisition then happens in the caller's synchronous
          // stretch, the case where side-by-side tasks share one async resource.
          const guardFirst = depth === 0 && startMode === "same caller, guard first";
          if (yields > 0 && !guardFirst) await yieldTimes(s, yields);
          const lock = instances.get(ids[path[depth]])!;
          const inner = () => nest(planIndex, depth + 1);
          const callbackForm = depth === 0 && startMode !== "scheduled" ? !guardFirst : forms[depth] === "callback";
          if (callbackForm) {
            await (lock.kind === "mutex" ? lock.runExclusive(inner) : write ? lock.runWrite(inner) : lock.runRead(inner));
          } else {
            using _guard = await (lock.kind === "mutex" ? lock.acquire() : write ? lock.write() : lock.read());
            await inner();
          }
        };
        let settled = 0;
        const runs = plans.map((_, i) =>
          (startMode === "scheduled" ? startLater(s, `task ${i}`, () => nest(i, 0)) : nest(i, 0)).finally(() => settled++),
        );
        await s.waitIdle();
        expect(settled).toBe(plans.length);
        await Promise.all(runs); // a false order or recursion error rejects here
        plans.forEach((p, i) => {
          const names = p.path.map((x) => ids[x]);
          expect(seen[i]).toEqual(names.map((_, depth) => names.slice(0, depth)).concat([names]));
        });
      }),
      PARAMETERS,
    );
  });
});
