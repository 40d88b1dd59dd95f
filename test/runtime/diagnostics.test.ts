import { afterEach, describe, expect, test, vi } from "vitest";
import { defineLockOrder, PossibleDeadlockError, type LockViolation } from "../../runtime/index.js";
import { deferred, flushMicrotasks, fromAnotherTask, HABITAT_ORDER, sleep } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Holds `run`'s lock in a section of its own until the returned function is called. */
async function holdInSection(run: (section: () => Promise<void>) => Promise<unknown>): Promise<() => Promise<unknown>> {
  const entered = deferred();
  const gate = deferred();
  const finished = run(async () => {
    entered.resolve();
    await gate.promise;
  });
  await entered.promise;
  return () => {
    gate.resolve();
    return finished;
  };
}

describe("locks.snapshot()", () => {
  test("is empty while nothing is held", () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    locks.mutex("sm");
    expect(locks.snapshot()).toEqual({ checks: "throw", locks: [] });
  });

  test("answers who holds a lock and who waits for it, with stacks when captured", async () => {
    const locks = defineLockOrder(HABITAT_ORDER, { captureStacks: true });
    const [ms, sm] = [locks.rwlock("ms"), locks.mutex("sm")];
    const release = await holdInSection((section) => sm.runExclusive(section));
    const firstWaiter = fromAnotherTask(() => ms.runRead(() => sm.runExclusive(() => "first")));
    const secondWaiter = fromAnotherTask(() => sm.acquire());
    await flushMicrotasks();

    const snapshot = locks.snapshot();
    expect(snapshot.checks).toBe("throw");
    expect(snapshot.locks.map((l) => [l.id, l.kind, l.rank, l.instance])).toEqual([
      ["ms", "rwlock", 0, 1],
      ["sm", "mutex", 5, 1],
    ]);
    const [msView, smView] = snapshot.locks;
    expect(msView.holders).toMatchObject([{ mode: "read", taskHolds: ["ms"] }]);
    expect(smView.holders).toHaveLength(1);
    const holder = smView.holders[0];
    expect(holder).toMatchObject({ mode: "exclusive", taskHolds: ["sm"] });
    expect(holder.task).toEqual(expect.any(Number));
    expect(holder.forMs).toBeGreaterThanOrEqual(0);
    expect(holder.stack).toMatch(/diagnostics\.test\.ts:\d+:\d+/);
    expect(smView.waiters.map((w) => [w.mode, w.taskHolds])).toEqual([
      ["exclusive", ["ms"]],
      ["exclusive", []],
    ]);
    // Every critical section is a task of its own (the nested one shows its parent's lock in taskHolds).
    const tasks = [holder.task, msView.holders[0].task, smView.waiters[0].task, smView.waiters[1].task];
    expect(new Set(tasks).size).toBe(4);

    await release();
    expect(await firstWaiter).toBe("first");
    (await secondWaiter).release();
    expect(locks.snapshot().locks).toEqual([]);
  });

  test("an uncontended holder's time is recorded only when deadlockTimeout or captureStacks asks for durations; a waiter's always", async () => {
    for (const [options, stamped] of [[{}, false], [{ deadlockTimeout: 60_000 }, true], [{ captureStacks: true }, true]] as const) {
      const locks = defineLockOrder(HABITAT_ORDER, options);
      const sm = locks.mutex("sm");
      const held = await fromAnotherTask(() => sm.acquire());
      const waiting = fromAnotherTask(() => sm.acquire());
      await flushMicrotasks();
      const [view] = locks.snapshot().locks;
      expect("forMs" in view.holders[0]).toBe(stamped);
      expect(view.waiters[0].forMs).toBeGreaterThanOrEqual(0);
      held.release();
      (await waiting).release();
    }
  });

  test("lists every reader of an rwlock and tells instances of one id apart", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [first, second] = [locks.rwlock("ml"), locks.rwlock("ml")];
    const readers = await Promise.all([fromAnotherTask(() => second.read()), fromAnotherTask(() => second.read())]);
    const writer = await fromAnotherTask(() => first.write());
    const views = locks.snapshot().locks;
    expect(views.map((v) => [v.id, v.instance, v.holders.map((h) => h.mode)])).toEqual([
      ["ml", 1, ["write"]],
      ["ml", 2, ["read", "read"]],
    ]);
    expect(views[1].holders[0].stack).toBeUndefined(); // captureStacks is off
    for (const guard of [...readers, writer]) guard.release();
  });

  test("with checks off it still shows holders' and waiters' modes, nothing about tasks", async () => {
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "off" });
    const sm = locks.mutex("sm");
    const holder = await sm.acquire();
    const waiter = sm.acquire();
    await flushMicrotasks();
    expect(locks.snapshot()).toEqual({
      checks: "off",
      locks: [{ id: "sm", kind: "mutex", rank: 5, instance: 1, holders: [{ mode: "exclusive" }], waiters: [{ mode: "exclusive" }] }],
    });
    holder.release();
    (await waiter).release();
  });
});

describe("deadlockTimeout", () => {
  test("reports a waiter that waits too long, with the holders' stacks, and the waiter keeps waiting", async () => {
    const reports: LockViolation[] = [];
    const locks = defineLockOrder(HABITAT_ORDER, { deadlockTimeout: 20, captureStacks: true, onViolation: (v) => reports.push(v) });
    const [rs, sm] = [locks.rwlock("rs"), locks.mutex("sm")];
    const release = await holdInSection((section) => sm.runExclusive(section));
    const waiter = fromAnotherTask(() => rs.runRead(() => sm.runExclusive(() => "served at last")));
    await sleep(60);
    expect(reports).toHaveLength(1); // once per waiter, not once per period
    const report = reports[0] as PossibleDeadlockError;
    expect(report).toBeInstanceOf(PossibleDeadlockError);
    expect(report).toMatchObject({ lock: "sm", instance: 1, waiter: { mode: "exclusive", taskHolds: ["rs"] } });
    expect(report.waitedMs).toBeGreaterThanOrEqual(19);
    expect(report.holders).toHaveLength(1);
    expect(report.holders[0]).toMatchObject({ mode: "exclusive", taskHolds: ["sm"] });
    expect(report.message).toMatch(
      /^lock "sm" #1: task #\d+ \(exclusive; holds "rs"\) has waited \d+ ms \(deadlockTimeout 20 ms\), asked at:\n\s+at .*diagnostics\.test\.ts/,
    );
    expect(report.message).toMatch(/\n  held by task #\d+ \(exclusive; holds "sm"\) for \d+ ms, acquired at:\n\s+at .*diagnostics\.test\.ts/);
    await release();
    expect(await waiter).toBe("served at last");
  });

  test("without onViolation the report goes to console.warn", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const locks = defineLockOrder(HABITAT_ORDER, { deadlockTimeout: 5 });
    const sm = locks.mutex("sm");
    const release = await holdInSection((section) => sm.runExclusive(section));
    const waiter = fromAnotherTask(() => sm.runExclusive(() => undefined));
    await sleep(30);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(
      /^lock-discipline: lock "sm" #1: task #\d+ \(exclusive; holds nothing\) has waited \d+ ms \(deadlockTimeout 5 ms\)\n  held by task #\d+ \(exclusive; holds "sm"\) for \d+ ms\n  \(set captureStacks: true to see where each acquisition was made\)$/,
    );
    await release();
    await waiter;
  });

  test("a waiter served in time reports nothing, and one that gave up reports nothing later", async () => {
    const reports: LockViolation[] = [];
    // A wide margin: the served waiter waits ~5 ms, far below 200 ms even on a loaded machine.
    const locks = defineLockOrder(HABITAT_ORDER, { deadlockTimeout: 200, onViolation: (v) => reports.push(v) });
    const sm = locks.mutex("sm");
    const release = await holdInSection((section) => sm.runExclusive(section));
    const served = fromAnotherTask(() => sm.runExclusive(() => "ok"));
    const controller = new AbortController();
    const abandoned = fromAnotherTask(() => sm.acquire({ signal: controller.signal })).catch(() => "aborted");
    await sleep(5);
    controller.abort();
    await release();
    expect(await served).toBe("ok");
    expect(await abandoned).toBe("aborted");
    await sleep(250);
    expect(reports).toEqual([]);
  });

  test("is ignored with checks off", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "off", deadlockTimeout: 1 });
    const sm = locks.mutex("sm");
    const holder = await sm.acquire();
    const waiter = sm.acquire();
    await sleep(20);
    holder.release();
    (await waiter).release();
    expect(warn).not.toHaveBeenCalled();
  });
});
