import { describe, expect, test } from "vitest";
import { defineLockOrder, type CheckMode } from "../../runtime/index.js";
import { deferred, flushMicrotasks, HABITAT_ORDER } from "./helpers.js";

const WAITERS = 10_000;

describe.each<CheckMode>(["off", "throw"])("stress (checks: %s)", (checks) => {
  test(`${WAITERS.toLocaleString("en-US")} waiters on one mutex all get through, in order, one at a time`, async () => {
    const mutex = defineLockOrder(HABITAT_ORDER, { checks }).mutex("sm");
    const served: number[] = [];
    let inside = 0;
    let overlaps = 0;
    const section = async (i: number) => {
      served.push(i);
      if (++inside > 1) overlaps++;
      await null; // hold the mutex across an await, so everyone else really queues
      inside--;
    };
    // Half use the callback form, half take a guard first thing: both must queue the same way.
    const all = Array.from({ length: WAITERS }, (_, i) =>
      i % 2 === 0
        ? mutex.runExclusive(() => section(i))
        : (async () => {
            using _guard = await mutex.acquire();
            await section(i);
          })(),
    );
    expect(mutex.waiting).toBe(WAITERS - 1);
    await Promise.all(all);
    expect(served).toEqual(Array.from({ length: WAITERS }, (_, i) => i));
    expect(overlaps).toBe(0);
    expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
  });

  test(`${WAITERS.toLocaleString("en-US")} waiters, every third aborted while queued, leave the queue consistent`, async () => {
    const mutex = defineLockOrder(HABITAT_ORDER, { checks }).mutex("sm");
    const controllers = Array.from({ length: WAITERS }, () => new AbortController());
    const served: number[] = [];
    const gate = deferred();
    const holder = mutex.runExclusive(() => gate.promise);
    const all = controllers.map((controller, i) =>
      mutex.runExclusive(() => void served.push(i), { signal: controller.signal }).then(
        () => "served",
        () => "aborted",
      ),
    );
    await flushMicrotasks();
    expect(mutex.waiting).toBe(WAITERS);
    for (let i = 1; i < WAITERS; i += 3) controllers[i].abort();
    expect(mutex.waiting).toBe(WAITERS - Math.ceil((WAITERS - 1) / 3));
    gate.resolve();
    await holder;
    const outcomes = await Promise.all(all);
    const expected = Array.from({ length: WAITERS }, (_, i) => (i % 3 === 1 ? "aborted" : "served"));
    expect(outcomes).toEqual(expected);
    expect(served).toEqual(expected.flatMap((outcome, i) => (outcome === "served" ? [i] : [])));
    expect([mutex.locked, mutex.waiting]).toEqual([false, 0]);
  });

  test(`${WAITERS.toLocaleString("en-US")} mixed readers and writers on one rwlock all get through`, async () => {
    const lock = defineLockOrder(HABITAT_ORDER, { checks }).rwlock("rs");
    let readers = 0;
    let writers = 0;
    let broken = 0;
    const all = Array.from({ length: WAITERS }, (_, i) => {
      const write = i % 7 === 0;
      const body = async () => {
        if (write) writers++;
        else readers++;
        if (writers > 1 || (writers === 1 && readers > 0)) broken++;
        await null;
        if (write) writers--;
        else readers--;
      };
      return write ? lock.runWrite(body) : lock.runRead(body);
    });
    await Promise.all(all);
    expect(broken).toBe(0);
    expect([lock.readers, lock.writing, lock.waiting]).toEqual([0, false, 0]);
  });
});
