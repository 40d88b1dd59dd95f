import { afterEach, describe, expect, test, vi } from "vitest";
import {
  defineLockOrder,
  LockOrderError,
  RecursiveLockError,
  type LockViolation,
} from "../../runtime/index.js";
import { flushMicrotasks, fromAnotherTask, HABITAT_ORDER, outcome } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const result = await outcome(promise);
  if (result.ok) throw new Error("expected the acquisition to be refused");
  return result.error;
}

describe("order checks (checks: throw)", () => {
  test("acquiring a lock declared before a held one rejects with LockOrderError naming both", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    const ms = locks.rwlock("ms");
    using _member = await sm.acquire();
    const error = await rejection(ms.read());
    expect(error).toBeInstanceOf(LockOrderError);
    expect(error).toMatchObject({ held: ["sm"], acquiring: "ms", conflicting: ["sm"] });
    expect((error as Error).message).toBe(
      'lock order violation: acquiring "ms" while holding "sm": "sm" is declared after "ms" in the lock order given to ' +
        'defineLockOrder, so "ms" must be taken first. "sm" was taken at an unrecorded place (set captureStacks: true to record acquisition stacks)',
    );
    expect(locks.held()).toEqual(["sm"]);
    expect([ms.readers, ms.writing, ms.waiting]).toEqual([0, false, 0]);
  });

  test("the check happens before waiting: a busy lock does not delay the error", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    const ms = locks.rwlock("ms");
    const otherWriter = await fromAnotherTask(() => ms.write());
    await sm.runExclusive(async () => {
      const error = await rejection(ms.read({ timeout: 60_000 }));
      expect(error).toBeInstanceOf(LockOrderError);
      expect(ms.waiting).toBe(0);
    });
    otherWriter.release();
  });

  test("locks taken in declared order pass, and held() lists them in acquisition order", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, rs, ml] = [locks.rwlock("ms"), locks.rwlock("rs"), locks.rwlock("ml")];
    const [sm, rh] = [locks.mutex("sm"), locks.mutex("rh")];
    await ms.runRead(async () => {
      using _rs = await rs.write();
      await ml.runRead(async () => {
        using _sm = await sm.acquire();
        expect(locks.held()).toEqual(["ms", "rs", "ml", "sm"]);
        await rh.runExclusive(() => expect(locks.held()).toEqual(["ms", "rs", "ml", "sm", "rh"]));
      });
      expect(locks.held()).toEqual(["ms", "rs"]);
    });
    expect(locks.held()).toEqual([]);
  });

  test("every held lock declared after the acquired one is named", async () => {
    const locks = defineLockOrder(HABITAT_ORDER, { captureStacks: true });
    const [rs, ml, gs, sm] = [locks.rwlock("rs"), locks.rwlock("ml"), locks.rwlock("gs"), locks.mutex("sm")];
    using _rs = await rs.read();
    using _gs = await gs.read();
    using _sm = await sm.acquire();
    const error = (await rejection(ml.write())) as LockOrderError;
    expect([error.held, error.acquiring, error.conflicting]).toEqual([["rs", "gs", "sm"], "ml", ["gs", "sm"]]);
    expect(error.message).toMatch(/^lock order violation: acquiring "ml" while holding "gs", "sm": "gs", "sm" are declared after "ml"/);
    expect(error.message).toMatch(/"gs" was taken at .*checks\.test\.ts:\d+:\d+.*; "sm" was taken at .*checks\.test\.ts:\d+:\d+/);
  });

  test("the callback forms are checked too, and the refused callback never runs", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, sbl] = [locks.rwlock("ms"), locks.mutex("sbl")];
    let ran = false;
    const error = await rejection(sbl.runExclusive(() => ms.runWrite(() => (ran = true))));
    expect(error).toMatchObject({ name: "LockOrderError", held: ["sbl"], acquiring: "ms" });
    expect(ran).toBe(false);
  });

  test("a second lock of the same id is refused: locks sharing an id have no order among themselves", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const mine = locks.rwlock("ml");
    const theirs = locks.rwlock("ml");
    const error = await rejection(mine.runRead(() => theirs.read()));
    expect(error).toBeInstanceOf(LockOrderError);
    expect(error).toMatchObject({ held: ["ml"], acquiring: "ml", conflicting: ["ml"] });
    expect((error as Error).message).toContain('this task already holds another "ml" lock; locks sharing an id have no order among themselves');
  });

  test("tryAcquire may go out of order (it cannot deadlock) but the lock then counts as held", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [ms, rs, sm] = [locks.rwlock("ms"), locks.rwlock("rs"), locks.mutex("sm")];
    await sm.runExclusive(async () => {
      const back = ms.tryWrite();
      expect(back).toBeDefined();
      expect(locks.held()).toEqual(["sm", "ms"]);
      await expect(rs.read()).rejects.toMatchObject({ name: "LockOrderError", conflicting: ["sm"] });
      back!.release();
    });
  });

  test("locks of another lock order do not count", async () => {
    const first = defineLockOrder(HABITAT_ORDER);
    const second = defineLockOrder(HABITAT_ORDER);
    await first.mutex("rh").runExclusive(async () => {
      await second.rwlock("ms").runRead(() => {
        expect(first.held()).toEqual(["rh"]);
        expect(second.held()).toEqual(["ms"]);
      });
    });
  });

  test("after releasing out of order the held set is still right", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [rs, gs, sm] = [locks.rwlock("rs"), locks.rwlock("gs"), locks.mutex("sm")];
    const outer = await rs.write();
    const inner = await gs.read();
    outer.release();
    expect(locks.held()).toEqual(["gs"]);
    await expect(rs.read()).rejects.toBeInstanceOf(LockOrderError); // gs is still held
    using _sm = await sm.acquire();
    expect(locks.held()).toEqual(["gs", "sm"]);
    inner.release();
    expect(locks.held()).toEqual(["sm"]);
  });
});

describe("recursion checks (checks: throw)", () => {
  test("re-acquiring a held mutex rejects with RecursiveLockError instead of waiting forever", async () => {
    const locks = defineLockOrder(HABITAT_ORDER, { captureStacks: true });
    const sm = locks.mutex("sm");
    await sm.runExclusive(async () => {
      const error = await rejection(sm.acquire());
      expect(error).toBeInstanceOf(RecursiveLockError);
      expect(error).toMatchObject({ lock: "sm", heldMode: "exclusive", mode: "exclusive", held: ["sm"] });
      expect((error as Error).message).toMatch(
        /^recursive acquisition of lock "sm": this task already holds it \(exclusive\) and asks again \(exclusive\); the lock is not reentrant, so this would wait forever for itself\. "sm" was taken at .*checks\.test\.ts:\d+/,
      );
      expect(sm.waiting).toBe(0);
    });
  });

  test.each([
    ["read", "read", "a second read waits forever as soon as a writer queues between the two"],
    ["read", "write", "the lock is not reentrant"],
    ["write", "read", "the lock is not reentrant"],
    ["write", "write", "the lock is not reentrant"],
  ] as const)("rwlock: %s then %s is recursive", async (first, second, explanation) => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const rs = locks.rwlock("rs");
    using _held = await (first === "read" ? rs.read() : rs.write());
    const error = await rejection(second === "read" ? rs.read() : rs.write());
    expect(error).toMatchObject({ name: "RecursiveLockError", lock: "rs", heldMode: first, mode: second });
    expect((error as Error).message).toContain(explanation);
  });

  test("recursion is reported before an order violation it may also be", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const [rs, sm] = [locks.rwlock("rs"), locks.mutex("sm")];
    await rs.runRead(() => sm.runExclusive(async () => {
      await expect(rs.read()).rejects.toBeInstanceOf(RecursiveLockError);
    }));
  });

  test("tryAcquire of a lock the task holds throws synchronously", async () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    const sm = locks.mutex("sm");
    await sm.runExclusive(() => {
      expect(() => sm.tryAcquire()).toThrow(RecursiveLockError);
    });
    const rs = locks.rwlock("rs");
    await rs.runRead(() => {
      expect(() => rs.tryRead()).toThrow(RecursiveLockError);
    });
  });
});

describe("warn mode", () => {
  test("calls onViolation with the error and proceeds", async () => {
    const violations: LockViolation[] = [];
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "warn", onViolation: (v) => violations.push(v) });
    const [ms, sm] = [locks.rwlock("ms"), locks.mutex("sm")];
    await sm.runExclusive(async () => {
      using _ms = await ms.read();
      expect(locks.held()).toEqual(["sm", "ms"]);
    });
    expect(violations).toHaveLength(1);
    expect(violations[0]).toBeInstanceOf(LockOrderError);
    expect(violations[0]).toMatchObject({ held: ["sm"], acquiring: "ms" });
  });

  test("a recursive try is reported and then behaves like a plain try", async () => {
    const violations: LockViolation[] = [];
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "warn", onViolation: (v) => violations.push(v) });
    const sm = locks.mutex("sm");
    await sm.runExclusive(() => {
      expect(sm.tryAcquire()).toBeUndefined();
    });
    expect(violations.map((v) => v.name)).toEqual(["RecursiveLockError"]);
  });

  test("by default warns on the console once per site", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "warn" });
    const [ms, sm] = [locks.rwlock("ms"), locks.mutex("sm")];
    const violateHere = () => sm.runExclusive(async () => (await ms.read()).release());
    const violateThere = () => sm.runExclusive(async () => (await ms.write()).release());
    for (let i = 0; i < 3; i++) await violateHere();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/^lock-discipline: lock order violation: acquiring "ms" while holding "sm"/);
    await violateThere();
    expect(warn).toHaveBeenCalledTimes(2);
  });
});

describe("off mode", () => {
  test("tracks nothing: violations pass unnoticed and held() is empty", async () => {
    const warn = vi.spyOn(console, "warn");
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "off", onViolation: () => expect.fail("off never reports") });
    const [ms, sm] = [locks.rwlock("ms"), locks.mutex("sm")];
    await sm.runExclusive(async () => {
      using _ms = await ms.write();
      expect(locks.held()).toEqual([]);
    });
    expect(warn).not.toHaveBeenCalled();
  });

  test("a recursive acquisition is not caught: it waits (here until its timeout)", async () => {
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "off" });
    const sm = locks.mutex("sm");
    await sm.runExclusive(async () => {
      const waiting = outcome(sm.acquire({ timeout: 5 }));
      await flushMicrotasks();
      expect(sm.waiting).toBe(1);
      expect((await waiting).ok).toBe(false);
    });
  });
});
