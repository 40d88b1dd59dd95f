/**
 * Which locks the current task holds: a persistent linked list ("chain") of acquisitions carried by
 * every async resource, propagated by one `async_hooks` init hook.
 *
 * Why an own hook and not AsyncLocalStorage: AsyncLocalStorage copies its store into every resource
 * created in a context, so a `setTimeout`, `setImmediate`, `queueMicrotask` or `process.nextTick`
 * callback scheduled inside a critical section looked like the section's own code, and a sibling
 * started after a guard was taken looked like its holder. The hook sees each new resource's type and,
 * for promises, the promise it continues from (`triggerAsyncId`), which is what tells them apart:
 * - A promise inherits the chain of the code that creates it (the section's own `await`s, and the
 *   functions it calls and awaits); so does everything that continues from it.
 * - Any other resource (Timeout, Immediate, Microtask, TickObject, I/O callbacks, AsyncResource) is a
 *   callback scheduled to run later, on its own: it starts a task that holds nothing, as the linter
 *   and lock-audit treat it.
 * - A guard form (`await m.acquire()`) records its acquisition on the promise it returns, and only the
 *   promises that continue from that one (the `await` of it, a `.then` on it) inherit it: the holder is
 *   the code that awaits the acquisition, not its caller nor siblings the caller starts afterwards.
 * On Node 20 and 22 this costs what AsyncLocalStorage costs (one init hook per promise, which makes every
 * `await` slower), so it is enabled on the first checked acquisition and never with `checks: "off"`.
 * `node:async_hooks` is fetched with `process.getBuiltinModule` (no static import), so the package also
 * loads where it does not exist; checks are then turned off with one warning.
 *
 * Chains are immutable links over mutable entries. A link is shared by every context that inherited
 * it; an entry's `state` says whether the acquisition it records is still held, so a context that
 * outlives a critical section sees the lock as released once it is.
 */
import type { AsyncHook, HookCallbacks } from "node:async_hooks";
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
   * `Date.now()` when it started waiting, then when granted; -1 for an uncontended grant of an order
   * without deadlockTimeout or captureStacks (see OrderChecker.stampGrants).
   */
  since: number;
  /** Position in the lock's holder list while held (swap-remove), -1 otherwise. */
  holderIndex: number;
  /** The async id of the promise a guard form returned, while promises continuing from it must inherit the entry; -1 otherwise. */
  guardPromise: number;
  /** Captured at the acquisition call when `captureStacks` is on; formatted only when shown. */
  readonly site: Error | undefined;
}

export interface ChainLink {
  readonly entry: HeldEntry;
  readonly parent: ChainLink | undefined;
}

interface AsyncHooksApi {
  createHook: (callbacks: HookCallbacks) => AsyncHook;
  executionAsyncResource: () => object;
}

/** The property under which a resource carries its chain. */
const CHAIN: unique symbol = Symbol("lock-discipline.chain");
type Carrier = { [CHAIN]?: ChainLink };

let hooks: AsyncHooksApi | undefined;
let hook: AsyncHook | undefined;
let missingWarned = false;
/** The chain the next promise created must carry: set just before a guard form creates its promise. */
let nextGuardLink: ChainLink | undefined;
/**
 * The latest guard promise's async id and link: the promise created by `await m.acquire()` right after
 * comes from it, so the common case needs no map. Older guard promises whose entries are still live move
 * to `olderGuardLinks` (async id -> link), for code that awaits a guard promise later or twice.
 */
let lastGuardId = -1;
let lastGuardLink: ChainLink | undefined;
const olderGuardLinks = new Map<number, ChainLink>();

function lookUpAsyncHooks(): AsyncHooksApi | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const api = proc?.getBuiltinModule?.("node:async_hooks") as Partial<AsyncHooksApi> | undefined;
  if (typeof api?.createHook !== "function" || typeof api.executionAsyncResource !== "function") return undefined;
  return api as AsyncHooksApi;
}

/**
 * Whether held sets can be tracked here. Finds `node:async_hooks` without enabling anything.
 * When it is missing, warns once per process and returns false (the caller turns checks off).
 */
export function taskTrackingAvailable(): boolean {
  hooks ??= lookUpAsyncHooks();
  if (hooks !== undefined) return true;
  if (!missingWarned) {
    missingWarned = true;
    console.warn("lock-discipline: node:async_hooks is not available here, so lock order checks are off.");
  }
  return false;
}

/** True once a checked acquisition has enabled the hook (tests assert `checks: "off"` never does). */
export function taskStorageCreated(): boolean {
  return hook !== undefined;
}

function propagate(asyncId: number, type: string, triggerAsyncId: number, resource: object): void {
  if (type !== "PROMISE") return; // a scheduled callback: a task of its own, holding nothing
  const guard = nextGuardLink;
  if (guard !== undefined) {
    nextGuardLink = undefined;
    if (lastGuardLink !== undefined && lastGuardLink.entry.guardPromise === lastGuardId) olderGuardLinks.set(lastGuardId, lastGuardLink);
    guard.entry.guardPromise = asyncId;
    lastGuardId = asyncId;
    lastGuardLink = guard;
    (resource as Carrier)[CHAIN] = guard;
    return;
  }
  let chain: ChainLink | undefined;
  if (triggerAsyncId === lastGuardId) chain = lastGuardLink;
  else if (olderGuardLinks.size !== 0) chain = olderGuardLinks.get(triggerAsyncId);
  chain ??= (hooks!.executionAsyncResource() as Carrier)[CHAIN];
  if (chain !== undefined) (resource as Carrier)[CHAIN] = chain;
}

function enableTracking(): AsyncHooksApi {
  // Reached only through a checker, which exists only after taskTrackingAvailable() returned true.
  const api = hooks!;
  hook ??= api.createHook({ init: propagate }).enable();
  return api;
}

/** The chain of the current task, finished entries pruned. */
export function currentChain(): ChainLink | undefined {
  if (hook === undefined) return undefined;
  return withoutFinished((hooks!.executionAsyncResource() as Carrier)[CHAIN]);
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
 * Makes the next promise created carry `parent` plus `entry`: the guard forms call it right before
 * creating the promise they return, so the code awaiting that promise is the holder.
 */
export function carryOnNextPromise(entry: HeldEntry, parent: ChainLink | undefined): void {
  enableTracking();
  nextGuardLink = { entry, parent };
}

/** Clears a carry that no promise took (an acquisition that failed before creating one). */
export function dropCarry(): void {
  nextGuardLink = undefined;
}

/**
 * Records a synchronous grant (`tryAcquire`) on the current resource: the holder is the code running
 * now, so the rest of this synchronous stretch and everything it creates from here on see the lock.
 */
export function holdInCurrentContext(entry: HeldEntry, parent: ChainLink | undefined): void {
  const resource = enableTracking().executionAsyncResource() as Carrier;
  resource[CHAIN] = { entry, parent };
}

/** Marks `entry` finished and stops promises from inheriting it. */
export function finishEntry(entry: HeldEntry): void {
  entry.state = DONE;
  const id = entry.guardPromise;
  if (id === -1) return;
  entry.guardPromise = -1;
  if (id === lastGuardId) {
    lastGuardId = -1;
    lastGuardLink = undefined;
  } else olderGuardLinks.delete(id);
}

/** Runs `fn` with `chain` as the current task's chain; what `fn` creates inherits it. Restores the previous chain after. */
function runWithChain<T>(chain: ChainLink | undefined, fn: () => T): T {
  const resource = enableTracking().executionAsyncResource() as Carrier;
  const previous = resource[CHAIN];
  resource[CHAIN] = chain;
  try {
    return fn();
  } finally {
    resource[CHAIN] = previous;
  }
}

/** Runs `fn` as a new task whose chain is `parent` plus `entry` (the callback forms). */
export function runInChain<T>(entry: HeldEntry, parent: ChainLink | undefined, fn: () => T): T {
  return runWithChain({ entry, parent }, fn);
}

/**
 * Runs `fn` as a task of its own that holds nothing: for work a section starts without awaiting it
 * (`void refresh()`), which the hook cannot tell from awaited work since both are promises.
 */
export function runDetached<T>(fn: () => T): T {
  if (hook === undefined) return fn();
  return runWithChain(undefined, fn);
}
