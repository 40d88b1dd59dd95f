/** The package root, `lock-discipline`: the checked runtime locks. Public exports only. */
export {
  defineLockOrder,
  LockOrder,
  type CheckMode,
  type LockOrderDefinition,
  type LockOrderOptions,
  type LockSnapshot,
  type MutexId,
  type RwLockId,
} from "./define.js";
export { lockOrderDeclaration } from "./lock-order-types.js";
export { OrderedMutex } from "./mutex.js";
export { OrderedRwLock } from "./rwlock.js";
export type { AcquireOptions, LockView } from "./ordered-lock.js";
export { LockGuard } from "./guard.js";
export { runDetached } from "./task-context.js";
export {
  LockDisciplineError,
  LockOrderError,
  RecursiveLockError,
  LockTimeoutError,
  LockAbortError,
  LockReleaseError,
  PossibleDeadlockError,
  type LockMode,
  type LockViolation,
  type TaskView,
} from "./errors.js";
export { LockOrderConfigError, type LockOrderJson } from "../core/policy.js";
