/**
 * Which locks the current task holds: a persistent linked list ("chain") of acquisitions that each
 * promise carries from the code that created it, propagated by V8's promise hooks (`node:v8`
 * `promiseHooks`: init, before, after).
 *
 * Why promise hooks and not AsyncLocalStorage: AsyncLocalStorage copies its store into every async
 * resource created in a context, so a `setTimeout`, `setImmediate`, `queueMicrotask` or
 * `process.nextTick` callback scheduled inside a critical section would look like the section's own
 * code, and a callee can record a guard only in its caller's context (`enterWith`), where siblings the
 * caller starts afterwards would look like its holder. Here:
 * - A promise inherits the chain of the code that creates it (the section's own `await`s, and the
 *   functions it calls and awaits); its reactions run with that chain, and so does what they create.
 * - Anything else (a timer, immediate, microtask or tick callback, I/O callbacks, event listeners fired
 *   later) runs outside any promise reaction, where the chain is empty: a callback scheduled to run
 *   later is a task of its own that holds nothing, as the linter and lock-audit treat it.
 * - A guard form (`await m.acquire()`) records its acquisition on the promise it returns, and only the
 *   promises created from that one (the `await` of it, a `.then` on it: their init hook names it as
 *   parent) inherit it: the holder is the code that awaits the acquisition, not its caller nor the
 *   siblings the caller starts afterwards.
 * Three small functions per promise: cheaper than `async_hooks` (whose promise tracking runs several
 * more per promise, and which AsyncLocalStorage uses on Node 20), but every `await` in the process
 * still gets slower once they are installed, so they are installed on the first checked acquisition and
 * never with `checks: "off"`. `node:v8` is fetched with `process.getBuiltinModule` (no static import),
 * so the package also loads where it does not exist; checks are then turned off with one warning.
 *
 * Chains are immutable links over mutable entries. A link is shared by every context that inherited
 * it; an entry's `state` says whether the acquisition it records is still held, so a context that
 * outlives a critical section sees the lock as released once it is.
 */
import type { LockMode } from "./errors.js";

/** Acquisition requested, lock not granted yet. */
export const PENDING = 0;
/** Lock granted and not released. */
export const HELD = 1;
/** Released, or the acquisition failed: the entry is ignored and pruned from chains. */
export const DONE = 2;
export type EntryState = typeof PENDING | typeof HELD | typeof DONE;

/** One acquisition by one task. */
export interface HeldEntry {
  /** The lock instance (identity decides recursion). */
  readonly lock: { readonly id: string; readonly rank: number };
  readonly id: string;
  /** The lock order (checker) the lock belongs to; chains may mix locks of several orders. */
  readonly order: object;
  readonly mode: LockMode;
  readonly task: number;
  /** The task's chain when it asked for the lock (what it held then), for reports. */
  readonly parent: ChainLink | undefined;
  state: EntryState;
  /**
   * `Date.now()` when it started waiting, then when granted; negative (checker.ts's UNSTAMPED) for an
   * uncontended grant of an order without deadlockTimeout or captureStacks (see OrderChecker.stampGrants).
   */
  since: number;
  /** Position in the lock's holder list while held (swap-remove), -1 otherwise. */
  holderIndex: number;
  /** Captured at the acquisition call when `captureStacks` is on; formatted only when shown. */
  readonly site: Error | undefined;
}

export interface ChainLink {
  readonly entry: HeldEntry;
  readonly parent: ChainLink | undefined;
}

interface PromiseHooksApi {
  createHook(callbacks: {
    init?: (promise: Promise<unknown>, parent: Promise<unknown> | undefined) => void;
    before?: (promise: Promise<unknown>) => void;
    after?: (promise: Promise<unknown>) => void;
  }): () => void;
}

/** The property under which a promise carries the chain of the code that created it. */
const CHAIN: unique symbol = Symbol("lock-discipline.chain");
/** The property under which a guard form's promise carries the chain its awaiters hold. */
const GUARD_CHAIN: unique symbol = Symbol("lock-discipline.guardChain");
type Carrier = { [CHAIN]?: ChainLink; [GUARD_CHAIN]?: ChainLink };

let promiseHooks: PromiseHooksApi | undefined;
let installed = false;
let missingWarned = false;
/** The chain of the code running now: the running promise reaction's, or a section's while `runWithChain` runs it. */
let current: ChainLink | undefined;
/** `current` of the code each running promise reaction interrupted (reactions do not nest in practice, but may). */
const interrupted: (ChainLink | undefined)[] = [];
/** The chain the next promise created must carry for its awaiters: set just before a guard form creates its promise. */
let nextGuardLink: ChainLink | undefined;

function lookUpPromiseHooks(): PromiseHooksApi | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.("node:v8") as { promiseHooks?: Partial<PromiseHooksApi> } | undefined;
  if (typeof v8?.promiseHooks?.createHook !== "function") return undefined;
  return v8.promiseHooks as PromiseHooksApi;
}

/**
 * Whether held sets can be tracked here. Finds `node:v8` without installing anything.
 * When its promise hooks are missing, warns once per process and returns false (the caller turns checks off).
 */
export function taskTrackingAvailable(): boolean {
  promiseHooks ??= lookUpPromiseHooks();
  if (promiseHooks !== undefined) return true;
  if (!missingWarned) {
    missingWarned = true;
    console.warn("lock-discipline: V8 promise hooks (node:v8) are not available here, so lock order checks are off.");
  }
  return false;
}

/** True once a checked acquisition has installed the promise hooks (tests assert `checks: "off"` never does). */
export function taskStorageCreated(): boolean {
  return installed;
}

function onInit(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  const guard = nextGuardLink;
  if (guard !== undefined) {
    nextGuardLink = undefined;
    (promise as Carrier)[GUARD_CHAIN] = guard;
    return;
  }
  const chain = (parent !== undefined && (parent as Carrier)[GUARD_CHAIN]) || current;
  if (chain !== undefined) (promise as Carrier)[CHAIN] = chain;
}

function onBefore(promise: Promise<unknown>): void {
  interrupted.push(current);
  current = (promise as Carrier)[CHAIN];
}

function onAfter(): void {
  // Installed inside a reaction, the first `after` has no `before`: the empty chain is right then.
  current = interrupted.length === 0 ? undefined : interrupted.pop();
}

function install(): void {
  if (installed) return;
  // Reached only through a checker, which exists only after taskTrackingAvailable() returned true.
  promiseHooks!.createHook({ init: onInit, before: onBefore, after: onAfter });
  installed = true;
}

/** The chain of the current task, finished entries pruned. */
export function currentChain(): ChainLink | undefined {
  return current === undefined ? undefined : withoutFinished(current);
}

/**
 * The chain without DONE entries. Finished entries are usually on top (locks are released in reverse),
 * so the common case returns a parent link as is; otherwise the live links are copied (chains are a
 * handful of links long). Pruning keeps a long-running loop of acquisitions from growing its chain.
 */
function withoutFinished(chain: ChainLink | undefined): ChainLink | undefined {
  while (chain !== undefined && chain.entry.state === DONE) chain = chain.parent;
  let link = chain;
  while (link !== undefined && link.entry.state !== DONE) link = link.parent;
  if (link === undefined) return chain;
  const live: HeldEntry[] = [];
  for (link = chain; link !== undefined; link = link.parent) if (link.entry.state !== DONE) live.push(link.entry);
  let rebuilt: ChainLink | undefined;
  for (let i = live.length - 1; i >= 0; i--) rebuilt = { entry: live[i], parent: rebuilt };
  return rebuilt;
}

/**
 * Makes the next promise created carry `parent` plus `entry` for its awaiters: the guard forms call it
 * right before creating the promise they return, so the code awaiting that promise is the holder.
 */
export function carryOnNextPromise(entry: HeldEntry, parent: ChainLink | undefined): void {
  install();
  nextGuardLink = { entry, parent };
}

/**
 * Records a synchronous grant (`tryAcquire`) as held by the code running now: the rest of this
 * synchronous stretch and everything it creates from here on see the lock. Outside any reaction, the
 * chain is set back once this stretch ends, so later callbacks do not inherit it.
 */
export function holdInCurrentContext(entry: HeldEntry, parent: ChainLink | undefined): void {
  install();
  const previous = current;
  const link: ChainLink = { entry, parent };
  current = link;
  if (interrupted.length === 0) {
    queueMicrotask(() => {
      if (current === link) current = previous;
    });
  }
}

/** Marks `entry` finished: chains skip it from now on. */
export function finishEntry(entry: HeldEntry): void {
  entry.state = DONE;
}

/** Runs `fn` with `chain` as the current task's chain; what `fn` creates inherits it. Restores the previous chain after. */
function runWithChain<T>(chain: ChainLink | undefined, fn: () => T): T {
  install();
  const previous = current;
  current = chain;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** Runs `fn` as a new task whose chain is `parent` plus `entry` (the callback forms). */
export function runInChain<T>(entry: HeldEntry, parent: ChainLink | undefined, fn: () => T): T {
  return runWithChain({ entry, parent }, fn);
}

/**
 * Runs `fn` as a task of its own that holds nothing: for work a section starts without awaiting it
 * (`void refresh()`), which the hooks cannot tell from awaited work since both are promises.
 */
export function runDetached<T>(fn: () => T): T {
  if (!installed) return fn();
  return runWithChain(undefined, fn);
}
