/**
 * Names that decide how calls are read, shared by both front ends so the ESLint rules and lock-audit
 * agree on what is a separate task and what is the same lock. The front ends find the names with
 * their own TypeScript; these functions only compare names.
 */

/** Calls whose function arguments run later, as a task of their own (`setTimeout(fn)`, `timers.setTimeout(fn)`). */
export const TIMER_FUNCTIONS: ReadonlySet<string> = new Set(["setTimeout", "setInterval", "setImmediate", "queueMicrotask"]);

/** Event registration: the handler runs when the event fires, not during the call. */
export const EVENT_REGISTRATION_METHODS: ReadonlySet<string> = new Set(["on", "once", "addEventListener", "prependListener", "prependOnceListener"]);

/** Wrappers that return the same lock: async-mutex `withTimeout(lock, ms)`, and `tryAcquire(lock)`, which only fails faster. */
export const SAME_LOCK_WRAPPERS: ReadonlySet<string> = new Set(["withTimeout", "tryAcquire"]);

/** `guard[Symbol.dispose]()` and its async twin release a guard. */
export const DISPOSE_SYMBOLS: ReadonlySet<string> = new Set(["dispose", "asyncDispose"]);

/**
 * Whether a call's function arguments cross a task boundary: timers, `queueMicrotask`,
 * `process.nextTick`, and event registration. `receiver` is the plain identifier before the dot
 * (`process` in `process.nextTick`), undefined for a bare call or a complex receiver.
 */
export function isTaskBoundaryCall(calleeName: string, isMemberCall: boolean, receiver: string | undefined): boolean {
  if (!isMemberCall) return TIMER_FUNCTIONS.has(calleeName);
  if (TIMER_FUNCTIONS.has(calleeName) || EVENT_REGISTRATION_METHODS.has(calleeName)) return true;
  return calleeName === "nextTick" && receiver === "process";
}
