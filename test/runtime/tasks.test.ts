// What a "task" is: which code sees which held locks (docs/runtime.md, "Tasks").
import { describe, expect, test } from "vitest";
import { defineLockOrder, LockOrderError, RecursiveLockError } from "../../runtime/index.js";
import { deferred, flushMicrotasks, fromAnotherTask, HABITAT_ORDER, outcome, sleep } from "./helpers.js";

describe("tasks", () => {
  test("two runExclusive calls started side by side from the same caller are separate tasks", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, rs, sm] = [locks.rwlock("ms"), locks.rwlock("rs"), locks.mutex("sm")];
    const bothInside = deferred();
    let entered = 0;
    const meet = async () => {
      if (++entered === 2) bothInside.resolve();
      await bothInside.promise; // both sections are held at once from here on
    };
    const [inMs, inSm] = await Promise.all([
      ms.runWrite(async () => {
        await meet();
        // sm is held right now, but by the other task: rs (declared before sm) is fine here.
        await rs.runRead(() => undefined);
        return locks.held();
      }),
      sm.runExclusive(async () => {
        await meet();
        const refused = await outcome(rs.read());
        return [locks.held(), !refused.ok && refused.error instanceof LockOrderError ? "LockOrderError" : "acquired"];
      }),
    ]);
    expect(inMs).toEqual(["ms"]);
    expect(inSm).toEqual([["sm"], "LockOrderError"]);
  });

  test("the caller of runExclusive does not hold the lock, even while the section runs", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    const gate = deferred();
    const section = sm.runExclusive(() => gate.promise);
    await flushMicrotasks();
    expect(sm.locked).toBe(true);
    expect(locks.held()).toEqual([]);
    gate.resolve();
    await section;
  });

  test("work awaited inside a critical section inherits its locks, including tasks it starts side by side", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, gs, sm, rh] = [locks.rwlock("ms"), locks.rwlock("gs"), locks.mutex("sm"), locks.mutex("rh")];
    async function helper() {
      await sleep(1);
      return { held: locks.held(), earlier: (await outcome(ms.read())).ok };
    }
    await gs.runRead(async () => {
      expect(await helper()).toEqual({ held: ["gs"], earlier: false });
      const inner = await Promise.all([
        sm.runExclusive(async () => {
          await sleep(1);
          return locks.held();
        }),
        rh.runExclusive(() => locks.held()),
      ]);
      expect(inner).toEqual([
        ["gs", "sm"],
        ["gs", "rh"],
      ]);
    });
  });

  test("async functions that take a guard first thing, run side by side, do not see each other's locks", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    const seen: string[][] = [];
    async function worker() {
      for (let round = 0; round < 3; round++) {
        using _member = await sm.acquire();
        seen.push(locks.held());
        await sleep(1);
      }
    }
    await Promise.all([worker(), worker(), worker()]);
    expect(seen).toEqual(Array.from({ length: 9 }, () => ["sm"]));
    expect(locks.held()).toEqual([]);
  });

  test("a guard is held by the rest of the function that awaited it", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [rs, sm] = [locks.rwlock("rs"), locks.mutex("sm")];
    async function update() {
      using _rs = await rs.write();
      await sleep(1);
      expect(locks.held()).toEqual(["rs"]);
      using _sm = await sm.acquire();
      await sleep(1);
      return locks.held();
    }
    expect(await update()).toEqual(["rs", "sm"]);
    expect(locks.held()).toEqual([]); // released by the using scopes before update() returned
  });

  test("a waiter handed the lock resumes in its own context, not the releaser's", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, rs, sm] = [locks.rwlock("ms"), locks.rwlock("rs"), locks.mutex("sm")];
    const releaserInside = deferred();
    const releaseNow = deferred();
    // The releaser holds ms and then sm; the waiter holds rs and waits for sm.
    const releaser = ms.runRead(() =>
      sm.runExclusive(async () => {
        releaserInside.resolve();
        await releaseNow.promise;
      }),
    );
    await releaserInside.promise;
    const waiter = rs.runRead(async () => {
      const guardForm = await (async () => {
        using _sm = await sm.acquire();
        return locks.held();
      })();
      const callbackForm = await sm.runExclusive(() => locks.held());
      return { guardForm, callbackForm };
    });
    await flushMicrotasks();
    expect(sm.waiting).toBe(1);
    releaseNow.resolve();
    expect(await waiter).toEqual({ guardForm: ["rs", "sm"], callbackForm: ["rs", "sm"] });
    await releaser;
  });

  test("a setTimeout callback scheduled in a critical section sees its locks while they are held, and nothing after", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    const whileHeld = deferred<{ held: string[]; retake: string }>();
    const afterRelease = deferred<{ held: string[]; retake: string }>();
    const probe = async () => {
      const retake = await outcome(sm.acquire({ timeout: 100 }));
      if (retake.ok) retake.value.release();
      return { held: locks.held(), retake: retake.ok ? "acquired" : (retake.error as Error).name };
    };
    await sm.runExclusive(async () => {
      setTimeout(() => void probe().then(whileHeld.resolve), 1);
      setTimeout(() => void probe().then(afterRelease.resolve), 30);
      await sleep(10);
    });
    // While the section ran, the timer counted as part of its task: retaking sm is a recursion.
    expect(await whileHeld.promise).toEqual({ held: ["sm"], retake: "RecursiveLockError" });
    // Once the section released sm, the inherited entry is stale and ignored.
    expect(await afterRelease.promise).toEqual({ held: [], retake: "acquired" });
  });

  test("known limitation: a sibling that awaits before it locks inherits a guard its caller's other callee took first thing", async () => {
    // docs/runtime.md explains why: a callee cannot change its caller's context, so a guard taken
    // before the first await lands in the caller's context, which later siblings inherit.
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    const firstHolds = deferred();
    const release = deferred();
    async function locksFirst() {
      using _sm = await sm.acquire();
      firstHolds.resolve();
      await release.promise;
    }
    async function awaitsFirst() {
      await firstHolds.promise;
      return outcome(sm.acquire());
    }
    const [, late] = await Promise.all([locksFirst(), awaitsFirst().finally(() => release.resolve())]);
    expect(late.ok).toBe(false);
    expect((late as { error: unknown }).error).toBeInstanceOf(RecursiveLockError);
    // The remedy: the callback form gives the first callee a task of its own.
    const again = deferred();
    const done = deferred();
    const [, fine] = await Promise.all([
      sm.runExclusive(async () => {
        again.resolve();
        await done.promise;
      }),
      (async () => {
        await again.promise;
        const waiting = sm.acquire();
        done.resolve();
        (await waiting).release();
        return "acquired";
      })(),
    ]);
    expect(fine).toBe("acquired");
  });

  test("a guard taken in another task and released there never shows up here", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, sm] = [locks.rwlock("ms"), locks.mutex("sm")];
    const theirs = await fromAnotherTask(() => sm.acquire());
    expect(locks.held()).toEqual([]);
    using _ms = await ms.read(); // sm is held, but not by this task: no order violation
    theirs.release();
    await expect(sm.runExclusive(() => locks.held())).resolves.toEqual(["ms", "sm"]);
    await expect(ms.write()).rejects.toBeInstanceOf(RecursiveLockError);
  });
});
