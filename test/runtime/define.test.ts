import { describe, expect, test } from "vitest";
import {
  defineLockOrder,
  LockDisciplineError,
  LockGuard,
  LockOrderConfigError,
  LockOrderError,
  LockReleaseError,
  LockTimeoutError,
  OrderedMutex,
  OrderedRwLock,
  PossibleDeadlockError,
  RecursiveLockError,
} from "../../runtime/index.js";
import { HABITAT_ORDER, ORDER_WITH_KEYED } from "./helpers.js";

describe("defineLockOrder", () => {
  test("builds locks of the declared kinds with their declared ranks", () => {
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "throw" });
    const member = locks.mutex("sm");
    const list = locks.rwlock("rs");
    expect(member).toBeInstanceOf(OrderedMutex);
    expect(list).toBeInstanceOf(OrderedRwLock);
    expect([member.id, member.kind, member.rank, member.instance]).toEqual(["sm", "mutex", 5, 1]);
    expect([list.id, list.kind, list.rank, list.instance]).toEqual(["rs", "rwlock", 1, 1]);
    expect(locks.checks).toBe("throw");
  });

  test("checks default to throw", () => {
    expect(defineLockOrder(HABITAT_ORDER).checks).toBe("throw");
  });

  test("each call makes a separate lock object of that id, numbered by instance", async () => {
    const locks = defineLockOrder(HABITAT_ORDER, { checks: "off" });
    const first = locks.rwlock("ml");
    const second = locks.rwlock("ml");
    expect(first).not.toBe(second);
    expect([first.instance, second.instance]).toEqual([1, 2]);
    const guard = await first.write();
    expect(second.tryWrite()).toBeInstanceOf(LockGuard); // independent locks
    guard.release();
  });

  test("an unknown id throws at once, naming the declared ids", () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    expect(() => locks.mutex("nope")).toThrow(LockDisciplineError);
    expect(() => locks.mutex("nope")).toThrow('unknown lock id "nope": the lock order given to defineLockOrder declares ms, rs, iml, ml, gs, sm, sbl, rh');
  });

  test("the wrong kind throws at once and says which factory to use", () => {
    const locks = defineLockOrder(HABITAT_ORDER);
    expect(() => locks.mutex("rs")).toThrow('lock "rs" is declared as a rwlock; use locks.rwlock("rs")');
    expect(() => locks.rwlock("sm")).toThrow('lock "sm" is declared as a mutex; use locks.mutex("sm")');
  });

  test("a keyed id has no runtime lock and says so", () => {
    const locks = defineLockOrder(ORDER_WITH_KEYED);
    expect(() => locks.mutex("wf")).toThrow(/lock "wf" is declared "keyed": keyed locks .* are checked by the linter and the analyzer only/);
    expect(() => locks.rwlock("wf")).toThrow(LockDisciplineError);
    expect(locks.mutex("a").id).toBe("a");
  });

  test("an invalid order throws core's LockOrderConfigError with the JSON path", () => {
    const bad = { locks: [{ id: "sm", target: "Server.member", kind: "mutex" }, { id: "sm", target: "Other.member", kind: "mutex" }] };
    expect(() => defineLockOrder(bad)).toThrow(LockOrderConfigError);
    expect(() => defineLockOrder(bad)).toThrow(/locks\[1\]\.id: duplicate id "sm"/);
    expect(() => defineLockOrder({ locks: [{ id: "x", target: "X.y", kind: "semaphore" }] })).toThrow(/locks\[0\]\.kind/);
    expect(() => defineLockOrder(null)).toThrow(LockOrderConfigError);
  });

  test("bad options are TypeErrors", () => {
    expect(() => defineLockOrder(HABITAT_ORDER, { checks: "loud" as never })).toThrow(TypeError);
    expect(() => defineLockOrder(HABITAT_ORDER, { onViolation: 3 as never })).toThrow(TypeError);
    expect(() => defineLockOrder(HABITAT_ORDER, { captureStacks: "yes" as never })).toThrow(TypeError);
    expect(() => defineLockOrder(HABITAT_ORDER, { deadlockTimeout: 0 })).toThrow(TypeError);
    expect(() => defineLockOrder(HABITAT_ORDER, { deadlockTimeout: Number.NaN })).toThrow(TypeError);
  });

  test("the error classes form one hierarchy", () => {
    for (const ErrorClass of [LockOrderError, RecursiveLockError, LockTimeoutError, LockReleaseError, PossibleDeadlockError]) {
      expect(ErrorClass.prototype).toBeInstanceOf(LockDisciplineError);
      expect(ErrorClass.prototype).toBeInstanceOf(Error);
    }
    expect(new LockTimeoutError("sm", "exclusive", 10).name).toBe("LockTimeoutError");
  });

  test("held() is empty outside any lock", () => {
    expect(defineLockOrder(HABITAT_ORDER).held()).toEqual([]);
  });
});
