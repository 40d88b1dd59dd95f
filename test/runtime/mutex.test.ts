import { getEventListeners } from "node:events";
import { afterEach, describe, expect, test, vi } from "vitest";
import { defineLockOrder, LockAbortError, LockGuard, LockReleaseError, LockTimeoutError, type CheckMode } from "../../runtime/index.js";
import { deferred, flushMicrotasks, fromAnotherTask, HABITAT_ORDER, outcome, sleep } from "./helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

// The lock mechanics must be identical with and without checks: every test runs in both modes.
describe.each<CheckMode>(["off", "throw"])("OrderedMutex (checks: %s)", (checks) => {
  const newMutex = () => defineLockOrder(HABITAT_ORDER, { checks }).mutex("sm");

  test("acquire resolves to a guard; release frees the mutex", async () => {
    const mutex = newMutex();
    const guard = await mutex.acquire();
    expect(guard).toBeInstanceOf(LockGuard);
    expect([guard.id, guard.mode, guard.released, mutex.locked]).toEqual(["sm", "exclusive", false, true]);
    guard.release();
    expect([guard.released, mutex.locked]).toEqual([true, false]);
  });

  test("waiters are served first come, first served", async () => {
    const mutex = newMutex();
    const first = await fromAnotherTask(() => mutex.acquire());
    const served: number[] = [];
    const waiters = [0, 1, 2, 3, 4].map(async (i) => {
      const guard = await mutex.acquire();
      served.push(i);
      await sleep(1);
      guard.release();
    });
    await flushMicrotasks();
    expect(mutex.waiting).toBe(5);
    first.release();
    await Promise.all(waiters);
    expect(served).toEqual([0, 1, 2, 3, 4]);
    expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
  });

  test("release hands the mutex to the oldest waiter: nobody can barge in between", async () => {
    const mutex = newMutex();
    const first = await fromAnotherTask(() => mutex.acquire());
    const next = mutex.acquire();
    await flushMicrotasks();
    first.release();
    expect(mutex.locked).toBe(true); // already the waiter's
    expect(fromAnotherTask(() => mutex.tryAcquire())).toBeUndefined();
    (await next).release();
    expect(mutex.locked).toBe(false);
  });

  test("runExclusive gives mutual exclusion across awaits and resolves to the callback's value", async () => {
    const mutex = newMutex();
    let inside = 0;
    let maxInside = 0;
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        mutex.runExclusive(async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(1);
          inside--;
          return n * 10;
        }),
      ),
    );
    expect(results).toEqual([10, 20, 30, 40]);
    expect(maxInside).toBe(1);
    expect(await mutex.runExclusive(() => "sync value")).toBe("sync value");
  });

  test("runExclusive releases when the callback throws or rejects", async () => {
    const mutex = newMutex();
    await expect(
      mutex.runExclusive(() => {
        throw new Error("sync boom");
      }),
    ).rejects.toThrow("sync boom");
    expect(mutex.locked).toBe(false);
    await expect(mutex.runExclusive(async () => Promise.reject(new Error("async boom")))).rejects.toThrow("async boom");
    expect(mutex.locked).toBe(false);
    await expect(mutex.runExclusive(42 as never)).rejects.toThrow(TypeError);
    expect(mutex.locked).toBe(false);
  });

  test("tryAcquire takes a free mutex and never waits for a busy one", async () => {
    const mutex = newMutex();
    const guard = mutex.tryAcquire();
    expect(guard).toBeInstanceOf(LockGuard);
    expect(fromAnotherTask(() => mutex.tryAcquire())).toBeUndefined();
    expect(mutex.waiting).toBe(0);
    guard!.release();
    expect(mutex.tryAcquire()?.release()).toBeUndefined();
    expect(mutex.locked).toBe(false);
  });

  test("using releases at the end of the scope, also when the scope throws", async () => {
    const mutex = newMutex();
    {
      using guard = await mutex.acquire();
      expect(guard.released).toBe(false);
      expect(mutex.locked).toBe(true);
    }
    expect(mutex.locked).toBe(false);
    const failing = async () => {
      using _guard = await mutex.acquire();
      throw new Error("inside");
    };
    await expect(failing()).rejects.toThrow("inside");
    expect(mutex.locked).toBe(false);
  });

  test("releasing twice throws LockReleaseError and does not free another holder's grant", async () => {
    const mutex = newMutex();
    const stale = await mutex.acquire();
    stale.release();
    const current = await mutex.acquire();
    let error: unknown;
    try {
      stale.release();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LockReleaseError);
    expect(error).toMatchObject({ lock: "sm", mode: "exclusive", message: 'lock "sm" (exclusive) released twice: this guard was already released' });
    expect(mutex.locked).toBe(true);
    current.release();
  });

  test("every acquisition resolves to a guard of its own, also once the fast path is optimized; a stale one never frees the next", async () => {
    // Enough rounds for V8 to optimize acquire and the guard's creation (the uncontended path is tuned
    // for TurboFan, see resolvedGuard in runtime/guard.ts): identity must hold in optimized code too.
    const mutex = newMutex();
    const rwlock = defineLockOrder(HABITAT_ORDER, { checks }).rwlock("rs");
    let previous = await mutex.acquire();
    previous.release();
    let previousWrite = await rwlock.write();
    previousWrite.release();
    for (let i = 0; i < 20_000; i++) {
      const write = await rwlock.write(); // "rs" is declared before "sm"
      const guard = await mutex.acquire();
      expect(guard !== previous && write !== previousWrite && guard.released === false && write.released === false).toBe(true);
      if (i % 1000 === 0) {
        expect(() => previous.release()).toThrow(LockReleaseError);
        expect(() => previousWrite.release()).toThrow(LockReleaseError);
        previous[Symbol.dispose]();
        expect([mutex.locked, rwlock.writing]).toEqual([true, true]);
      }
      guard.release();
      write.release();
      previous = guard;
      previousWrite = write;
    }
    expect([mutex.locked, rwlock.writing]).toEqual([false, false]);
  });

  test("a guard is not a thenable: awaiting it, or resolving a promise with it, gives the guard itself", async () => {
    const mutex = newMutex();
    const guard = await mutex.acquire();
    expect("then" in guard).toBe(false);
    expect(await Promise.resolve(guard)).toBe(guard);
    guard.release();
  });

  test("dispose after an explicit release is a no-op", async () => {
    const mutex = newMutex();
    {
      using guard = await mutex.acquire();
      guard.release(); // early release inside the scope
      expect(mutex.locked).toBe(false);
      const other = mutex.tryAcquire()!; // someone else takes it before the scope ends
      expect(mutex.locked).toBe(true);
      guard[Symbol.dispose]();
      expect(mutex.locked).toBe(true); // the scope end must not free `other`
      other.release();
    }
    expect(mutex.locked).toBe(false);
  });

  test("a timeout rejects with LockTimeoutError and takes the waiter out of the queue", async () => {
    const mutex = newMutex();
    const holder = await fromAnotherTask(() => mutex.acquire());
    const timedOut = outcome(mutex.acquire({ timeout: 5 }));
    const patient = mutex.acquire();
    await flushMicrotasks();
    expect(mutex.waiting).toBe(2);
    const result = await timedOut;
    expect(result.ok).toBe(false);
    const error = (result as { error: LockTimeoutError }).error;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect([error.lock, error.mode, error.timeout, error.message]).toEqual([
      "sm",
      "exclusive",
      5,
      'timed out after 5 ms waiting for lock "sm" (exclusive)',
    ]);
    expect(mutex.waiting).toBe(1);
    holder.release();
    (await patient).release();
    expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
  });

  test("timeout 0 fails at once when busy and acquires when free", async () => {
    const mutex = newMutex();
    const guard = await mutex.acquire({ timeout: 0 });
    await expect(fromAnotherTask(() => mutex.acquire({ timeout: 0 }))).rejects.toBeInstanceOf(LockTimeoutError);
    expect(mutex.waiting).toBe(0);
    guard.release();
  });

  test("a granted waiter leaves no timer behind; an unlimited wait starts none", async () => {
    vi.useFakeTimers();
    const mutex = newMutex();
    const holder = await fromAnotherTask(() => mutex.acquire());
    const limited = mutex.acquire({ timeout: 1000 });
    const huge = mutex.acquire({ timeout: 2 ** 40 }); // beyond setTimeout's range: waits without limit
    await flushMicrotasks();
    expect(vi.getTimerCount()).toBe(1);
    holder.release();
    (await limited).release();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2 ** 31);
    (await huge).release();
    expect(mutex.locked).toBe(false);
  });

  test("abort rejects with a LockAbortError naming the lock, caused by the signal's reason; removes the waiter and its listener", async () => {
    const mutex = newMutex();
    const holder = await fromAnotherTask(() => mutex.acquire());
    const controller = new AbortController();
    const aborted = outcome(mutex.acquire({ signal: controller.signal }));
    const next = mutex.acquire();
    await flushMicrotasks();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    const reason = new Error("caller gave up");
    controller.abort(reason);
    const { error } = (await aborted) as { error: LockAbortError };
    expect(error).toBeInstanceOf(LockAbortError);
    expect(error).toMatchObject({ lock: "sm", mode: "exclusive", beforeWaiting: false, cause: reason });
    expect(error.message).toBe('aborted while waiting for lock "sm" (exclusive): Error: caller gave up');
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(mutex.waiting).toBe(1);
    holder.release();
    (await next).release();
    expect(mutex.locked).toBe(false);
  });

  test("a granted waiter removes its abort listener; aborting later changes nothing", async () => {
    const mutex = newMutex();
    const holder = await fromAnotherTask(() => mutex.acquire());
    const controller = new AbortController();
    const pending = mutex.acquire({ signal: controller.signal, timeout: 10_000 });
    await flushMicrotasks();
    holder.release();
    const guard = await pending;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
    expect(guard.released).toBe(false);
    expect(mutex.locked).toBe(true);
    guard.release();
  });

  test("an already aborted signal rejects at once, even when the mutex is free", async () => {
    const mutex = newMutex();
    const signal = AbortSignal.abort(new Error("too late"));
    const message = 'signal already aborted when asking for lock "sm" (exclusive): Error: too late';
    await expect(mutex.acquire({ signal })).rejects.toThrow(message);
    await expect(mutex.runExclusive(() => 1, { signal })).rejects.toThrow(message);
    await expect(mutex.acquire({ signal })).rejects.toMatchObject({ cause: signal.reason, beforeWaiting: true });
    expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
  });

  test("runExclusive honours timeout and signal too", async () => {
    const mutex = newMutex();
    const holder = await fromAnotherTask(() => mutex.acquire());
    let ran = false;
    await expect(mutex.runExclusive(() => (ran = true), { timeout: 2 })).rejects.toBeInstanceOf(LockTimeoutError);
    const controller = new AbortController();
    const aborted = outcome(mutex.runExclusive(() => (ran = true), { signal: controller.signal }));
    await flushMicrotasks();
    controller.abort();
    expect((await aborted).ok).toBe(false);
    expect(ran).toBe(false);
    expect(mutex.waiting).toBe(0);
    holder.release();
    expect(await mutex.runExclusive(() => "after", { timeout: 50 })).toBe("after");
  });

  test("invalid options reject with TypeError and leave the mutex alone", async () => {
    const mutex = newMutex();
    for (const options of [{ timeout: -1 }, { timeout: Number.NaN }, { timeout: "5" }, { signal: {} }, 7]) {
      await expect(mutex.acquire(options as never)).rejects.toThrow(TypeError);
    }
    expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
  });

  test("a waiter resolves in a later microtask than the release (release never runs the waiter's code)", async () => {
    const mutex = newMutex();
    const holder = await fromAnotherTask(() => mutex.acquire());
    const order: string[] = [];
    const gate = deferred();
    const waiter = (async () => {
      const guard = await mutex.acquire();
      order.push("waiter resumed");
      guard.release();
      gate.resolve();
    })();
    await flushMicrotasks();
    holder.release();
    order.push("release returned");
    await gate.promise;
    await waiter;
    expect(order).toEqual(["release returned", "waiter resumed"]);
  });
});
