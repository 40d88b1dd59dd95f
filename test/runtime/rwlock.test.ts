import { describe, expect, test } from "vitest";
import { defineLockOrder, LockGuard, LockTimeoutError, type CheckMode } from "../../runtime/index.js";
import { flushMicrotasks, fromAnotherTask, HABITAT_ORDER, outcome, sleep } from "./helpers.js";

describe.each<CheckMode>(["off", "throw"])("OrderedRwLock (checks: %s)", (checks) => {
  const newRwLock = () => defineLockOrder(HABITAT_ORDER, { checks }).rwlock("rs");
  const readIn = (lock: ReturnType<typeof newRwLock>) => fromAnotherTask(() => lock.read());
  const writeIn = (lock: ReturnType<typeof newRwLock>) => fromAnotherTask(() => lock.write());

  test("readers share the lock", async () => {
    const lock = newRwLock();
    const guards = await Promise.all([readIn(lock), readIn(lock), readIn(lock)]);
    expect(guards.map((g) => g.mode)).toEqual(["read", "read", "read"]);
    expect([lock.readers, lock.writing]).toEqual([3, false]);
    for (const g of guards) g.release();
    expect(lock.readers).toBe(0);
  });

  test("a writer excludes readers and other writers", async () => {
    const lock = newRwLock();
    const writer = await writeIn(lock);
    expect([lock.writing, lock.readers]).toEqual([true, 0]);
    const reader = readIn(lock);
    const otherWriter = writeIn(lock);
    await flushMicrotasks();
    expect(lock.waiting).toBe(2);
    writer.release();
    const readGuard = await reader; // first in line
    expect([lock.readers, lock.writing, lock.waiting]).toEqual([1, false, 1]);
    readGuard.release();
    const writeGuard = await otherWriter;
    expect([lock.readers, lock.writing, lock.waiting]).toEqual([0, true, 0]);
    writeGuard.release();
  });

  test("a waiting writer stops new readers from overtaking it (no writer starvation)", async () => {
    const lock = newRwLock();
    const firstReader = await readIn(lock);
    const writer = writeIn(lock);
    await flushMicrotasks();
    const lateReader = readIn(lock);
    await flushMicrotasks();
    expect([lock.readers, lock.waiting]).toEqual([1, 2]); // the late reader queued behind the writer
    expect(fromAnotherTask(() => lock.tryRead())).toBeUndefined();
    firstReader.release();
    const writeGuard = await writer;
    expect([lock.writing, lock.readers, lock.waiting]).toEqual([true, 0, 1]);
    writeGuard.release();
    (await lateReader).release();
    expect([lock.writing, lock.readers, lock.waiting]).toEqual([false, 0, 0]);
  });

  test("when a writer leaves, every reader at the head of the queue enters together, up to the next writer", async () => {
    const lock = newRwLock();
    const writer = await writeIn(lock);
    const served: string[] = [];
    const track = (name: string, p: Promise<LockGuard>) =>
      p.then(async (g) => {
        served.push(name);
        await sleep(2);
        g.release();
      });
    const all = [
      track("r1", readIn(lock)),
      track("r2", readIn(lock)),
      track("w2", writeIn(lock)),
      track("r3", readIn(lock)),
    ];
    await flushMicrotasks();
    writer.release();
    await flushMicrotasks();
    expect(served).toEqual(["r1", "r2"]);
    expect([lock.readers, lock.waiting]).toEqual([2, 2]);
    await Promise.all(all);
    expect(served).toEqual(["r1", "r2", "w2", "r3"]);
  });

  test("a queued writer that times out lets the readers queued behind it in", async () => {
    const lock = newRwLock();
    const reader = await readIn(lock);
    const writer = outcome(fromAnotherTask(() => lock.write({ timeout: 5 })));
    await flushMicrotasks();
    const blockedReader = readIn(lock);
    await flushMicrotasks();
    expect(lock.waiting).toBe(2);
    const result = await writer;
    expect(result.ok).toBe(false);
    expect((result as { error: unknown }).error).toBeInstanceOf(LockTimeoutError);
    await flushMicrotasks();
    expect([lock.readers, lock.waiting]).toEqual([2, 0]); // admitted as soon as the writer gave up
    const second = await blockedReader;
    reader.release();
    second.release();
  });

  test("a queued writer aborted while another writer holds the lock changes nothing for the readers behind it", async () => {
    const lock = newRwLock();
    const holder = await writeIn(lock);
    const controller = new AbortController();
    const aborted = outcome(fromAnotherTask(() => lock.write({ signal: controller.signal })));
    const reader = readIn(lock);
    await flushMicrotasks();
    controller.abort();
    expect((await aborted).ok).toBe(false);
    expect([lock.writing, lock.readers, lock.waiting]).toEqual([true, 0, 1]);
    holder.release();
    (await reader).release();
  });

  test("runRead shares, runWrite excludes, both resolve to the callback's value", async () => {
    const lock = newRwLock();
    let readersInside = 0;
    let maxReaders = 0;
    let writerWithOthers = false;
    const read = () =>
      lock.runRead(async () => {
        readersInside++;
        maxReaders = Math.max(maxReaders, readersInside);
        await sleep(2);
        readersInside--;
        return "read";
      });
    const write = () =>
      lock.runWrite(async () => {
        if (readersInside !== 0) writerWithOthers = true;
        await sleep(1);
        return "written";
      });
    const results = await Promise.all([read(), read(), write(), read()]);
    expect(results).toEqual(["read", "read", "written", "read"]);
    expect(maxReaders).toBe(2);
    expect(writerWithOthers).toBe(false);
  });

  test("tryRead and tryWrite never wait", async () => {
    const lock = newRwLock();
    const reader = lock.tryRead()!;
    expect(reader).toBeInstanceOf(LockGuard);
    expect(fromAnotherTask(() => lock.tryRead())).toBeInstanceOf(LockGuard); // readers share
    expect(fromAnotherTask(() => lock.tryWrite())).toBeUndefined();
    expect(lock.readers).toBe(2);
    reader.release();
    expect(lock.waiting).toBe(0);
  });

  test("read and write accept timeout and signal", async () => {
    const lock = newRwLock();
    const writer = await writeIn(lock);
    await expect(lock.read({ timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(lock.runWrite(() => 1, { timeout: 1 })).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(lock.runRead(() => 1, { signal: AbortSignal.abort("no") })).rejects.toMatchObject({
      name: "LockAbortError",
      message: 'signal already aborted when asking for lock "rs" (read): no',
      cause: "no",
    });
    expect(lock.waiting).toBe(0);
    writer.release();
  });
});
