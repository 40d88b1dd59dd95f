// How the runtime treats node:v8's promise hooks: untouched with checks off, installed lazily, optional.
// Each test loads fresh module instances, since the hooks are installed once per module instance.
import { afterEach, expect, test, vi } from "vitest";
import { HABITAT_ORDER } from "./helpers.js";

type Runtime = typeof import("../../runtime/index.js");
type TaskContext = typeof import("../../runtime/task-context.js");

async function freshRuntime(): Promise<{ runtime: Runtime; taskContext: TaskContext }> {
  vi.resetModules();
  const runtime = await import("../../runtime/index.js");
  const taskContext = await import("../../runtime/task-context.js");
  return { runtime, taskContext };
}

afterEach(() => {
  vi.restoreAllMocks();
});

test('checks: "off" never looks up node:v8 nor installs promise hooks', async () => {
  const lookup = vi.spyOn(process, "getBuiltinModule");
  const { runtime, taskContext } = await freshRuntime();
  const locks = runtime.defineLockOrder(HABITAT_ORDER, { checks: "off", captureStacks: true, deadlockTimeout: 5 });
  const [rs, sm] = [locks.rwlock("rs"), locks.mutex("sm")];
  await sm.runExclusive(async () => {
    using _rs = await rs.write(); // out of order: unchecked
    rs.tryRead();
    await rs.runRead(() => undefined, { timeout: 1 }).catch(() => undefined);
  });
  locks.held();
  locks.snapshot();
  expect(lookup.mock.calls.filter(([id]) => /async_hooks|v8/.test(String(id)))).toEqual([]);
  expect(taskContext.taskStorageCreated()).toBe(false);
});

test("a checked lock order installs its promise hooks on its first acquisition, not before", async () => {
  const { runtime, taskContext } = await freshRuntime();
  const locks = runtime.defineLockOrder(HABITAT_ORDER, { checks: "throw" });
  const sm = locks.mutex("sm");
  locks.held();
  locks.snapshot();
  expect(taskContext.taskStorageCreated()).toBe(false);
  await sm.runExclusive(() => undefined);
  expect(taskContext.taskStorageCreated()).toBe(true);
});

test("without V8 promise hooks, checks turn off with one warning for the process", async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(process, "getBuiltinModule").mockReturnValue(undefined as never);
  const { runtime, taskContext } = await freshRuntime();
  const locks = runtime.defineLockOrder(HABITAT_ORDER, { checks: "throw" });
  const again = runtime.defineLockOrder(HABITAT_ORDER, { checks: "warn" });
  expect([locks.checks, again.checks]).toEqual(["off", "off"]);
  expect(warn).toHaveBeenCalledTimes(1);
  expect(warn.mock.calls[0][0]).toBe(
    "lock-discipline: V8 promise hooks (node:v8) are not available here, so lock order checks are off.",
  );
  const [ms, sm] = [locks.rwlock("ms"), locks.mutex("sm")];
  await sm.runExclusive(async () => {
    using _ms = await ms.read(); // would be a LockOrderError with checks
    expect(locks.held()).toEqual([]);
  });
  expect(taskContext.taskStorageCreated()).toBe(false);
});
