/** Shared fixtures of the runtime tests: the Habitat lock order and small async helpers. */
import { runDetached } from "../../runtime/index.js";

/** The Habitat order of lock-order.json (issue 2): five rwlocks, then three mutexes. */
export const HABITAT_ORDER = {
  locks: [
    { id: "ms", target: "ManagerServices.inner", kind: "rwlock" },
    { id: "rs", target: "RumorStore.list", kind: "rwlock" },
    { id: "iml", target: "MemberList.initialMembers", kind: "rwlock" },
    { id: "ml", target: "MemberList.entries", kind: "rwlock" },
    { id: "gs", target: "GatewayState.inner", kind: "rwlock" },
    { id: "sm", target: "Server.member", kind: "mutex" },
    { id: "sbl", target: "Server.blockList", kind: "mutex" },
    { id: "rh", target: "RumorHeat.inner", kind: "mutex", description: "optional text" },
  ],
};

/** A small order with a keyed lock, for the "keyed has no runtime lock" case. */
export const ORDER_WITH_KEYED = {
  locks: [
    { id: "a", target: "A.lock", kind: "mutex" },
    { id: "wf", target: "src/sync.ts#workflowLocks", kind: "keyed" },
  ],
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Lets every pending microtask (and the promise chains they start) run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await null;
}

/** Settles `promise` into a tagged result without letting a rejection escape. */
export function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** A promise plus its resolve function (Promise.withResolvers is Node 22+). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Runs `fn` as a separate task that holds nothing, whatever the caller holds: how a test plays "some
 * other request". Needed with checks on, where the test function holding a lock and then asking for
 * it again is (rightly) a recursive acquisition.
 */
export function fromAnotherTask<T>(fn: () => T): T {
  const result = runDetached(fn);
  // The code that awaits a guard form's promise is its holder; a promise made here and settled by the
  // other task's one hands the guard over without making the caller the holder.
  if (!(result instanceof Promise)) return result;
  return new Promise((resolve, reject) => result.then(resolve, reject)) as T;
}
