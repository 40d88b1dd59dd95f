/**
 * Which locks the current task holds: a persistent linked list ("chain") of acquisitions stored in
 * an AsyncLocalStorage, so every async context carries the chain it inherited.
 *
 * Why this shape:
 * - `node:async_hooks` is looked up only when a lock order with checks is defined, and the
 *   AsyncLocalStorage is constructed on the first checked acquisition. Once one is in use, every
 *   `await` in the process gets about 3x slower on Node 20/22, so `checks: "off"` must never get here.
 *   The module is fetched with `process.getBuiltinModule` (no static import), so the package also loads
 *   where `node:async_hooks` does not exist; checks are then turned off with one warning.
 * - Chains are immutable links over mutable entries. A link is shared by every context that inherited
 *   it; an entry's `state` says whether the acquisition it records is still held, so a context that
 *   outlives a critical section (a timer scheduled inside it) sees the lock as released once it is.
 * - A callback form (`runExclusive`) runs its callback under `storage.run(link)`: the section gets its
 *   own chain, awaited work inside inherits it, and the caller's context is untouched — two sections
 *   started side by side are separate tasks. A guard form (`acquire`) cannot scope the caller, so it
 *   uses `enterWith` on the caller's current context; see `enterGuardChain` for the consequences.
 */
import type { AsyncLocalStorage } from "node:async_hooks";
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
  /** `Date.now()` when requested, then when granted (milliseconds are enough for reports, and it is cheap). */
  since: number;
  /** Position in the lock's holder list while held (swap-remove), -1 otherwise. */
  holderIndex: number;
  /** Captured at the acquisition call when `captureStacks` is on; formatted only when shown. */
  readonly site: Error | undefined;
}

export interface ChainLink {
  readonly entry: HeldEntry;
  readonly parent: ChainLink | undefined;
  /**
   * The async resource in which a guard form's `acquire()` was called, or undefined. The link is
   * invisible while that resource is still the current one: code that runs after the call in the same
   * synchronous stretch is not the holder (the holder only continues after its `await`), it is the
   * caller or a sibling started by the same caller.
   */
  readonly origin: object | undefined;
}

interface AsyncHooksApi {
  AsyncLocalStorage: typeof AsyncLocalStorage;
  executionAsyncResource: () => object;
}

let hooks: AsyncHooksApi | undefined;
let storage: AsyncLocalStorage<ChainLink> | undefined;
let missingWarned = false;

function lookUpAsyncHooks(): AsyncHooksApi | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const api = proc?.getBuiltinModule?.("node:async_hooks") as Partial<AsyncHooksApi> | undefined;
  if (typeof api?.AsyncLocalStorage !== "function" || typeof api.executionAsyncResource !== "function") return undefined;
  return api as AsyncHooksApi;
}

/**
 * Whether held sets can be tracked here. Finds `node:async_hooks` without constructing anything.
 * When it is missing, warns once per process and returns false (the caller turns checks off).
 */
export function taskTrackingAvailable(): boolean {
  hooks ??= lookUpAsyncHooks();
  if (hooks !== undefined) return true;
  if (!missingWarned) {
    missingWarned = true;
    console.warn(
      "lock-discipline: AsyncLocalStorage (node:async_hooks) is not available here, so lock order checks are off.",
    );
  }
  return false;
}

/** True once a checked acquisition has created the AsyncLocalStorage (tests assert `checks: "off"` never does). */
export function taskStorageCreated(): boolean {
  return storage !== undefined;
}

function taskStorage(): AsyncLocalStorage<ChainLink> {
  // Reached only through a checker, which exists only after taskTrackingAvailable() returned true.
  return (storage ??= new hooks!.AsyncLocalStorage<ChainLink>());
}

/** The chain of the current task: links hidden from this resource skipped, finished entries pruned. */
export function currentChain(): ChainLink | undefined {
  if (storage === undefined) return undefined;
  let link = storage.getStore();
  if (link === undefined) return undefined;
  if (link.origin !== undefined) {
    const resource = hooks!.executionAsyncResource();
    while (link !== undefined && link.origin === resource) link = link.parent;
  }
  return withoutFinished(link);
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
  for (let i = live.length - 1; i >= 0; i--) rebuilt = { entry: live[i], parent: rebuilt, origin: undefined };
  return rebuilt;
}

/**
 * Records a guard-form acquisition in the caller's context with `enterWith`. A callee cannot change
 * its caller's context any other way, and the holder's code (after its `await`) must see the lock.
 * Consequence, documented in docs/runtime.md: contexts the same synchronous caller creates after this
 * call (its own continuation, a sibling that awaits before it locks) inherit the link too; they see
 * the lock as held by their task until it is released.
 * `async` marks acquisitions whose holder resumes only after an await (`acquire`, `read`, `write`);
 * their link is hidden from the current resource (see `ChainLink.origin`). `tryAcquire` grants
 * synchronously, so its holder is the current stretch and the link is visible at once.
 */
export function enterGuardChain(entry: HeldEntry, parent: ChainLink | undefined, async: boolean): void {
  const origin = async ? hooks!.executionAsyncResource() : undefined;
  taskStorage().enterWith({ entry, parent, origin });
}

/** Runs `fn` as a new task whose chain is `parent` plus `entry` (the callback forms). */
export function runInChain<T>(entry: HeldEntry, parent: ChainLink | undefined, fn: () => T): T {
  return taskStorage().run({ entry, parent, origin: undefined }, fn);
}
