/**
 * The recognition table: what a lock call looks like, as data. Both front ends and the lowering read
 * it, so the ESLint rules and lock-audit agree on which calls acquire and release, what runs while a
 * lock is held, what is a separate task and what is the same lock. The front ends find names with
 * their own TypeScript; this module only holds the names and compares them. It imports nothing at
 * run time (the runtime imports core/policy.ts, which reads the default method names from here).
 *
 * Adding a library is one `LockLibrary` entry in `LOCK_LIBRARIES` plus fixtures (docs/architecture.md).
 *
 * How the table is read:
 * - Methods are matched by name across all entries (`methodShape`): without types the ESLint rules
 *   cannot tell an `AwaitLock` from an async-mutex `Mutex`, so both front ends read a method name the
 *   same way whatever the receiver's library. Which of a declared lock's methods acquire or release is
 *   `DEFAULT_METHODS` (every entry's names by action), overlaid by lock-order.json's `methods`; how a
 *   call of that name is shaped (its callback, what it returns, whether it waits) is the table's.
 * - Identification (`identify`) decides only whether an object lock-order.json does not declare is a
 *   lock: lock-audit's undeclared lock classes (discovery mode, the cycle check).
 */
import type { LockKind } from "./policy.js";

/** What a lock method does: acquire exclusively (`write`) or shared (`read`), or release a manual acquisition. */
export type MethodAction = "write" | "read" | "release";

/**
 * What an acquiring call gives back, which is how its caller releases it:
 * - `releaser`: a function; calling it releases (`const release = await m.acquire(); release()`);
 * - `guard`: an object with `release()` or `[Symbol.dispose]()`, or bound with `using`;
 * - `tuple`: `[value, release]` (async-mutex `Semaphore.acquire()`): the last element is the releaser;
 * - `nothing`: released by the lock's own release method (`await lock.acquireAsync(); lock.release()`);
 * - `success`: a boolean, true once acquired (a try-lock), then released by the lock's release method;
 * - `result`: the callback's result; the lock is released when the callback settles.
 * A method whose result is bound to a variable holds a releaser or guard in it when its `returns`
 * allows one; which of those it is the code shows (`release()`, `guard.release()`, `[, release]`).
 */
export type AcquireResult = "releaser" | "guard" | "tuple" | "nothing" | "success" | "result";

export interface LockMethod {
  readonly name: string;
  readonly action: MethodAction;
  /**
   * The argument that runs while the lock is held (`runExclusive(fn)`: 0), counted after a keyed
   * lock's key; `last`: the last argument, whatever comes before it (Web Locks' `request(name,
   * [options], cb)`). Any acquiring method given an inline function runs it under the lock too.
   */
  readonly callback?: number | "last";
  /** What an acquisition returns (several where one name serves several types); a release returns nothing. */
  readonly returns?: readonly AcquireResult[];
  /**
   * `false` for a try-lock (`tryAcquire()`): it never waits, so taking it cannot deadlock (no order or
   * recursion finding, no nesting edge), but the lock is held after it succeeds: inside
   * `if (lock.tryAcquire()) { … }`, or after `if (!lock.tryAcquire()) return;`.
   */
  readonly waits?: false;
  /**
   * `true`: this entry gives the name its shape on a keyed lock only (async-lock's `acquire(key, fn)`);
   * on any other lock the name keeps the other entries' shape (async-mutex's `acquire()`).
   */
  readonly keyedOnly?: true;
  /**
   * How a key written as an array literal is taken: `sequence`, one key after another in array order,
   * each held until the callback settles (async-lock's `acquire([k1, k2], fn)`). Without it, an
   * array is one key (its source text).
   */
  readonly keyList?: "sequence";
  /** An options-object argument that sets the mode or makes the call a try-lock (Web Locks' `{ mode: "shared", ifAvailable: true }`). */
  readonly options?: LockOptions;
  /**
   * A release given the acquisition's handle as this argument (redlock's `redlock.unlock(lock)`):
   * it releases that handle, as `lock.unlock()` does.
   */
  readonly handleArgument?: number;
}

/**
 * What an options object literal passed to a lock method says (only a literal is read; any other
 * argument, or a missing property, leaves the method's action and waiting as they are).
 */
export interface LockOptions {
  /** The argument that may be the options object (when it is not the callback). */
  readonly argument: number;
  /** The property that sets the mode, and its string value that makes the acquisition shared (a read): `mode: "shared"`. */
  readonly mode?: { readonly property: string; readonly read: string };
  /** The property that, `true`, makes the call never wait (`ifAvailable: true`): a try-lock, as `waits: false`. */
  readonly noWait?: string;
}

/**
 * A global lock manager whose locks are named by a string-literal argument (Web Locks:
 * `navigator.locks.request("cache", cb)`): each literal name is a lock of its own, undeclared keyed
 * `<global>:<name>` (`navigator.locks:cache`), the same text a lock-order.json `target` declares it by.
 */
export interface NamedLocks {
  /** The global as written in the code, a dotted path of identifiers (`navigator.locks`). */
  readonly global: string;
  /** The argument that names the lock. A call whose name is not a string literal is not read as a lock call. */
  readonly nameArgument: number;
}
/** How an object is known to be a lock of a library, without a lock-order.json declaration (lock-audit). */
export interface LockIdentity {
  /** Its type's name: a class, an interface or a type alias, from any module (a home-grown `Mutex` is taken for async-mutex's). */
  readonly typeNames?: readonly string[];
  /** Method sets: a type with every method of one set is a lock of this kind (the shape of home-grown locks). */
  readonly shapes?: readonly (readonly string[])[];
  /** Exports of `modules` whose `new X()` creates a lock (`default` for the default export), for values whose type is not known. */
  readonly constructors?: readonly string[];
  /** Exports of `modules` whose call returns a lock (`mortice()`, `mortice({ name })`). */
  readonly factories?: readonly string[];
  /**
   * Methods that create the lock whose lock-order.json id is their first argument, a string literal
   * (the runtime's `locks.mutex("sm")`): such a lock needs no `target` in the code.
   */
  readonly idFactories?: readonly string[];
  /** A global whose lock method calls name their lock by a literal argument (Web Locks' `navigator.locks`). */
  readonly named?: NamedLocks;
}

/** A function that returns the lock it is given, with other behavior (async-mutex `withTimeout(lock, ms)`). */
export interface LockWrapper {
  readonly name: string;
  /** The argument that is the wrapped lock. */
  readonly lockArgument: number;
}

export interface LockLibrary {
  /** The package name, or a label for a convention. */
  readonly id: string;
  /** Import specifiers of the package (empty for home-grown conventions). */
  readonly modules: readonly string[];
  /** What its locks are, for the inventory and `lock-audit init`; undefined: what their use suggests. */
  readonly kind?: LockKind;
  readonly identify: LockIdentity;
  readonly methods: readonly LockMethod[];
  readonly wrappers?: readonly LockWrapper[];
  /** Its row in docs/architecture.md's list of supported libraries (a test keeps the list in step with the table). */
  readonly note: string;
}

const HANDLES: readonly AcquireResult[] = ["releaser", "guard", "tuple", "nothing"];

/** The table. The order of entries is the order of names in `DEFAULT_METHODS`. */
export const LOCK_LIBRARIES: readonly LockLibrary[] = [
  {
    id: "async-mutex",
    modules: ["async-mutex"],
    kind: "mutex",
    identify: { typeNames: ["Mutex", "Semaphore", "MutexInterface", "SemaphoreInterface"], constructors: ["Mutex", "Semaphore"] },
    methods: [
      { name: "acquire", action: "write", returns: ["releaser", "tuple"] },
      { name: "runExclusive", action: "write", callback: 0, returns: ["result"] },
      { name: "release", action: "release" },
    ],
    wrappers: [
      { name: "withTimeout", lockArgument: 0 },
      // `tryAcquire(lock)` fails at once instead of waiting, but is the same lock.
      { name: "tryAcquire", lockArgument: 0 },
    ],
    note: "`Mutex`, `Semaphore`: `acquire()` → releaser or `[value, release]`, `runExclusive(fn)`, `release()`; `withTimeout(lock, ms)` and `tryAcquire(lock)` are the lock they wrap",
  },
  {
    id: "home-grown",
    modules: [],
    identify: { shapes: [["acquire", "release"]] },
    methods: [
      { name: "lock", action: "write", returns: HANDLES },
      { name: "write", action: "write", returns: HANDLES },
      { name: "writeLock", action: "write", returns: HANDLES },
      { name: "acquireWrite", action: "write", returns: HANDLES },
      { name: "runWrite", action: "write", callback: 0, returns: ["result"] },
      { name: "withLock", action: "write", callback: 0, returns: ["result"] },
      { name: "withWriteLock", action: "write", callback: 0, returns: ["result"] },
      { name: "read", action: "read", returns: HANDLES },
      { name: "readLock", action: "read", returns: HANDLES },
      { name: "acquireRead", action: "read", returns: HANDLES },
      { name: "runRead", action: "read", callback: 0, returns: ["result"] },
      { name: "runShared", action: "read", callback: 0, returns: ["result"] },
      { name: "withReadLock", action: "read", callback: 0, returns: ["result"] },
      // `acquire()` of a home-grown lock (a keyed `acquire(key)` / `release(key)`) may return nothing.
      { name: "acquire", action: "write", returns: HANDLES },
      { name: "release", action: "release" },
      { name: "unlock", action: "release" },
    ],
    note: "classes of your own with the [default method names](lock-order.md#method-names), or others named in lock-order.json `methods`; a type with `acquire` and `release` is a lock",
  },
  {
    id: "await-lock",
    modules: ["await-lock"],
    kind: "mutex",
    identify: { typeNames: ["AwaitLock"], shapes: [["acquireAsync", "tryAcquire", "release"]], constructors: ["default"] },
    methods: [
      { name: "acquireAsync", action: "write", returns: ["nothing"] },
      { name: "tryAcquire", action: "write", returns: ["success"], waits: false },
      { name: "release", action: "release" },
    ],
    note: "`AwaitLock`: `acquireAsync()` and `tryAcquire()` (a try-lock, held once it returns true), released by `release()`",
  },
  {
    id: "mortice",
    modules: ["mortice"],
    kind: "rwlock",
    identify: { typeNames: ["Mortice"], factories: ["default"] },
    methods: [
      { name: "readLock", action: "read", returns: ["releaser"] },
      { name: "writeLock", action: "write", returns: ["releaser"] },
    ],
    note: "`mortice()` and named `mortice({ name })`: `readLock()` / `writeLock()` → a release function",
  },
  {
    id: "async-lock",
    modules: ["async-lock"],
    kind: "keyed",
    identify: { typeNames: ["AsyncLock"], constructors: ["default"] },
    methods: [
      // `acquire(key, fn)` / `acquire([k1, k2], fn)`: `fn` (which may take a `done` callback) runs holding the keys.
      { name: "acquire", action: "write", callback: 0, returns: ["result"], keyedOnly: true, keyList: "sequence" },
    ],
    note: "`AsyncLock` (a keyed lock): `acquire(key, fn)` and `acquire([k1, k2], fn)` (the keys taken in array order) run `fn` holding the keys",
  },
  {
    id: "redlock",
    modules: ["redlock"],
    kind: "keyed",
    identify: { typeNames: ["Redlock"], constructors: ["default"] },
    methods: [
      // v4: `lock(resources, ttl)` / `acquire(resources, ttl)` → a Lock released by `lock.unlock()`, or
      // by `redlock.unlock(lock)` / `redlock.release(lock)`. v5: `acquire(resources, duration)` → a
      // Lock released by `lock.release()`, and `using(resources, duration, [settings], fn)`. The
      // resources are the key; a list is taken at once (one script), so it is one key.
      { name: "lock", action: "write", returns: ["guard"] },
      { name: "acquire", action: "write", returns: ["guard"] },
      { name: "using", action: "write", callback: "last", returns: ["result"] },
      { name: "unlock", action: "release", handleArgument: 0 },
      { name: "release", action: "release", handleArgument: 0 },
    ],
    note: "`Redlock` (a keyed lock, the resources its key): v4 `lock` / `acquire(resources, ttl)` → a Lock released by `lock.unlock()` or `redlock.unlock(lock)`; v5 `acquire(resources, duration)` → `lock.release()`, `using(resources, duration, fn)`",
  },
  {
    id: "Web Locks",
    modules: [],
    kind: "rwlock",
    identify: { named: { global: "navigator.locks", nameArgument: 0 } },
    methods: [
      {
        name: "request",
        action: "write",
        callback: "last",
        returns: ["result"],
        options: { argument: 1, mode: { property: "mode", read: "shared" }, noWait: "ifAvailable" },
      },
    ],
    note: "`navigator.locks.request(name, [options], cb)` (DOM lib): each literal name a lock (target `navigator.locks:<name>`); `mode: \"shared\"` reads, `ifAvailable: true` never waits",
  },
  {
    id: "lock-discipline (OrderedMutex)",
    modules: ["lock-discipline"],
    kind: "mutex",
    identify: { typeNames: ["OrderedMutex"], idFactories: ["mutex"] },
    methods: [
      { name: "acquire", action: "write", returns: ["guard"] },
      { name: "runExclusive", action: "write", callback: 0, returns: ["result"] },
      { name: "tryAcquire", action: "write", returns: ["guard"], waits: false },
    ],
    note: "the runtime's `OrderedMutex` (`locks.mutex(id)` creates the lock `id`): `acquire()` → a guard, `runExclusive(fn)`, `tryAcquire()` → a guard or undefined",
  },
  {
    id: "lock-discipline (OrderedRwLock)",
    modules: ["lock-discipline"],
    kind: "rwlock",
    identify: { typeNames: ["OrderedRwLock"], idFactories: ["rwlock"] },
    methods: [
      { name: "read", action: "read", returns: ["guard"] },
      { name: "write", action: "write", returns: ["guard"] },
      { name: "runRead", action: "read", callback: 0, returns: ["result"] },
      { name: "runWrite", action: "write", callback: 0, returns: ["result"] },
      { name: "tryRead", action: "read", returns: ["guard"], waits: false },
      { name: "tryWrite", action: "write", returns: ["guard"], waits: false },
    ],
    note: "the runtime's `OrderedRwLock` (`locks.rwlock(id)`): `read()` / `write()` → a guard, `runRead(fn)` / `runWrite(fn)`, `tryRead()` / `tryWrite()` → a guard or undefined",
  },
];

/** A keyed lock's methods take the key first: this argument is the key, and callback positions count after it. */
export const KEY_ARGUMENT = 0;

/** `p.then(cb)` after an acquisition that returns a releaser or guard: the lock is held while `cb` runs. */
export const PROMISE_CONTINUATION = "then";

/** `guard[Symbol.dispose]()` and its async twin release a guard. */
export const DISPOSE_SYMBOL_OWNER = "Symbol";
export const DISPOSE_SYMBOLS: ReadonlySet<string> = new Set(["dispose", "asyncDispose"]);

// ---- task boundaries ----

/** A call whose function arguments run later, as a task of their own: they hold nothing of the caller's. */
export interface TaskBoundary {
  readonly name: string;
  /** `function`: bare (`setTimeout(fn)`) or on any object (`timers.setTimeout(fn)`); `method`: on an object only. */
  readonly called: "function" | "method";
  /** Only on this receiver (`process.nextTick`), a plain identifier. */
  readonly receiver?: string;
  /**
   * Only when the first argument is a path, a string or template literal (`router.get("/x", handler)`):
   * `map.get(key)` and `cache.get(key, load)` register nothing.
   */
  readonly pathFirst?: true;
}

export const TASK_BOUNDARIES: readonly TaskBoundary[] = [
  // Timers and microtasks.
  { name: "setTimeout", called: "function" },
  { name: "setInterval", called: "function" },
  { name: "setImmediate", called: "function" },
  { name: "queueMicrotask", called: "function" },
  { name: "nextTick", called: "method", receiver: "process" },
  // Event registration: the handler runs when the event fires, not during the call.
  { name: "on", called: "method" },
  { name: "once", called: "method" },
  { name: "addEventListener", called: "method" },
  { name: "prependListener", called: "method" },
  { name: "prependOnceListener", called: "method" },
  { name: "addListener", called: "method" },
  // Routes (express, koa-router, fastify): the handler runs when a request comes, not during the call.
  { name: "get", called: "method", pathFirst: true },
  { name: "post", called: "method", pathFirst: true },
  { name: "put", called: "method", pathFirst: true },
  { name: "delete", called: "method", pathFirst: true },
  { name: "patch", called: "method", pathFirst: true },
  { name: "head", called: "method", pathFirst: true },
  { name: "options", called: "method", pathFirst: true },
  { name: "all", called: "method", pathFirst: true },
  { name: "use", called: "method", pathFirst: true },
];

/** Calls whose function arguments run later, as a task of their own (`setTimeout(fn)`, `timers.setTimeout(fn)`). */
export const TIMER_FUNCTIONS: ReadonlySet<string> = new Set(TASK_BOUNDARIES.filter((b) => b.called === "function").map((b) => b.name));

/** Event registration: the handler runs when the event fires, not during the call. */
export const EVENT_REGISTRATION_METHODS: ReadonlySet<string> = new Set(TASK_BOUNDARIES.filter((b) => b.called === "method" && b.receiver === undefined && !b.pathFirst).map((b) => b.name));

/**
 * Whether a call's function arguments cross a task boundary: timers, `queueMicrotask`,
 * `process.nextTick`, event registration and routes. `receiver` is the plain identifier before the
 * dot (`process` in `process.nextTick`), undefined for a bare call or a complex receiver;
 * `pathFirst`: the first argument is a string or template literal.
 */
export function isTaskBoundaryCall(calleeName: string, isMemberCall: boolean, receiver: string | undefined, pathFirst = false): boolean {
  return TASK_BOUNDARIES.some(
    (boundary) =>
      boundary.name === calleeName &&
      (!boundary.pathFirst || pathFirst) &&
      (isMemberCall ? boundary.receiver === undefined || boundary.receiver === receiver : boundary.called === "function"),
  );
}

/** Methods that finish a generator driven by hand (`it.return()`, `it.throw(error)`): its `finally` runs, releasing what it held at its `yield`. */
export const GENERATOR_FINISH_METHODS: ReadonlySet<string> = new Set(["return", "throw"]);

// ---- functions kept for later ----

/**
 * A method that stores a function in its receiver, a collection (`this.handlers.push(cb)`,
 * `map.set(key, cb)`, `set.add(cb)`): storing runs nothing; whoever invokes an element later runs it.
 */
export interface CallbackStore {
  readonly name: string;
  /** The argument that is stored: its position, or `any` for every argument (`push(a, b)`). */
  readonly argument: number | "any";
}

export const CALLBACK_STORES: readonly CallbackStore[] = [
  // Array
  { name: "push", argument: "any" },
  { name: "unshift", argument: "any" },
  // Map, WeakMap
  { name: "set", argument: 1 },
  // Set
  { name: "add", argument: 0 },
];

const storedArguments = new Map<string, number | "any">(CALLBACK_STORES.map((store) => [store.name, store.argument]));

/** Whether argument `index` of a method call named `method` is stored in the receiver, not run. */
export function isStoredArgument(method: string, index: number): boolean {
  const argument = storedArguments.get(method);
  return argument !== undefined && (argument === "any" || argument === index);
}

/**
 * Methods of a collection that hand each element to their callback's first parameter
 * (`handlers.forEach((h) => h())`): invoking that parameter invokes an element.
 */
export const ELEMENT_CALLBACK_METHODS: ReadonlySet<string> = new Set(["forEach", "map", "flatMap", "filter", "find", "some", "every"]);

// ---- lookups derived from the table ----

/** Method names by what they do: every entry's, in table order (core/policy.ts's `DEFAULT_METHODS`). */
export function defaultMethodNames(): { write: string[]; read: string[]; release: string[] } {
  const names = { write: [] as string[], read: [] as string[], release: [] as string[] };
  for (const library of LOCK_LIBRARIES) {
    for (const method of library.methods) if (!names[method.action].includes(method.name)) names[method.action].push(method.name);
  }
  return names;
}

/** How a call of a lock method is shaped, merged over every entry with that name. */
export interface MethodShape {
  /** The callback's argument position (after a keyed lock's key; `last`: the last argument), when the method takes one. */
  readonly callback: number | "last" | undefined;
  /** What the call may return. */
  readonly returns: ReadonlySet<AcquireResult>;
  /** False for a try-lock. */
  readonly waits: boolean;
  /** An array-literal key names several keys, taken one after another in array order (`keyList: "sequence"`). */
  readonly keySequence: boolean;
  /** An options argument that may set the mode or make the call a try-lock. */
  readonly options: LockOptions | undefined;
  /** A release given the handle it releases as this argument. */
  readonly handleArgument: number | undefined;
  /**
   * The callback position counts only where that argument is a function (inline, or a reference the
   * front end resolves): it comes from a `keyedOnly` entry, and on keyed locks another library takes a
   * non-function there (async-lock's `acquire(key, fn)`, redlock's `acquire(resources, ttl)`).
   */
  readonly callbackIfFunction: boolean;
}

/** A method the table does not know (named in lock-order.json `methods`): any return shape the code shows, waiting. */
const UNKNOWN_SHAPE: MethodShape = Object.freeze({ callback: undefined, returns: new Set<AcquireResult>(HANDLES), waits: true, keySequence: false, options: undefined, handleArgument: undefined, callbackIfFunction: false });

function mergeShapes(keyed: boolean): Map<string, MethodShape> {
  const merged = new Map<string, MethodShape>();
  for (const library of LOCK_LIBRARIES) {
    for (const method of library.methods) {
      if (method.keyedOnly && !keyed) continue;
      const known = merged.get(method.name);
      merged.set(method.name, {
        callback: known?.callback ?? method.callback,
        returns: new Set([...(known?.returns ?? []), ...(method.returns ?? [])]),
        // A name waits unless every entry that has it is a try-lock.
        waits: (known?.waits ?? false) || method.waits !== false,
        keySequence: (known?.keySequence ?? false) || method.keyList === "sequence",
        options: known?.options ?? method.options,
        handleArgument: known?.handleArgument ?? method.handleArgument,
        callbackIfFunction: known?.callback !== undefined ? known.callbackIfFunction : method.callback !== undefined && method.keyedOnly === true,
      });
    }
  }
  return merged;
}
const shapes = mergeShapes(false);
const keyedShapes = mergeShapes(true);

/**
 * The shape of a call of `name`; on a keyed lock (`keyed`) with the entries that apply to keyed locks
 * only. A callback position is a callback only where the call has that argument (`acquire(key)` of a
 * home-grown keyed lock is manual, async-lock's `acquire(key, fn)` runs `fn`).
 */
export function methodShape(name: string, keyed = false): MethodShape {
  return (keyed ? keyedShapes : shapes).get(name) ?? UNKNOWN_SHAPE;
}

/** Whether an acquisition of this shape may hand back something that releases it (a releaser, guard or tuple). */
export function returnsHandle(shape: MethodShape): boolean {
  return shape.returns.has("releaser") || shape.returns.has("guard") || shape.returns.has("tuple");
}

/** Methods whose function argument runs while the lock is held (the lock is released when it settles). */
export const CALLBACK_METHODS: ReadonlySet<string> = new Set([...shapes].filter(([, shape]) => shape.callback !== undefined).map(([name]) => name));

/**
 * Wrapper classes: a class of the program whose method runs its function parameter while holding a
 * lock of its own (`acquire = (key, op, cb) => this.lock.acquire(key, () => cb())`) is itself a lock,
 * of the kind of the lock it holds (keyed when it passes its first parameter on as the key, else a
 * mutex for a keyed lock taken with a fixed key). Which classes are wrappers the code says (lock-audit
 * reads each class's methods that bear a lock method name); this is the shape such a method has: a
 * callback form whose callback is the forwarded parameter (`callbackParameter`, counted from the
 * first argument), waiting as the lock it takes does.
 */
export function forwardingMethodShape(inner: MethodShape, callbackParameter: number, keyed: boolean): MethodShape {
  return {
    callback: keyed ? callbackParameter - KEY_ARGUMENT - 1 : callbackParameter,
    returns: new Set<AcquireResult>(["result"]),
    waits: inner.waits,
    keySequence: keyed && inner.keySequence,
    options: undefined,
    handleArgument: undefined,
    callbackIfFunction: false,
  };
}

/**
 * Collections of locks: a value of one of these types whose element type (`typeArgument`) is a lock
 * — or itself such a collection (`Map<string, Map<string, Mutex>>`) — holds one lock class, keyed by
 * the lookup key: `lookup(key)` on it is one of its locks, the key at `keyArgument` telling them
 * apart (nested lookups join their keys: `locks.get(org)?.get(id)` is the lock `org, id`); an
 * `indexed` collection is looked up by element access (`this.locks[i]`, the index its key); one with
 * neither is reached by iterating it (`for (const m of set)`: the loop variable's name its key).
 */
export interface LockCollection {
  readonly typeName: string;
  readonly typeArgument: number;
  /** The method that looks an element up by key, if any. */
  readonly lookup?: string;
  readonly keyArgument?: number;
  /** Looked up by element access: `locks[i]`. */
  readonly indexed?: true;
}

export const LOCK_COLLECTIONS: readonly LockCollection[] = [
  { typeName: "Map", typeArgument: 1, lookup: "get", keyArgument: 0 },
  { typeName: "WeakMap", typeArgument: 1, lookup: "get", keyArgument: 0 },
  { typeName: "Array", typeArgument: 0, indexed: true },
  { typeName: "ReadonlyArray", typeArgument: 0, indexed: true },
  { typeName: "Set", typeArgument: 0 },
  { typeName: "ReadonlySet", typeArgument: 0 },
];

/** The collection kind of a type named `typeName`, or undefined. */
export function lockCollectionOf(typeName: string): LockCollection | undefined {
  return LOCK_COLLECTIONS.find((collection) => collection.typeName === typeName);
}

/** Method names that look a lock up in a collection of locks (`get`). */
export const COLLECTION_LOOKUPS: ReadonlySet<string> = new Set(LOCK_COLLECTIONS.flatMap((collection) => (collection.lookup === undefined ? [] : [collection.lookup])));

/** The key argument of a collection lookup of this name (`get(key)`: 0), or undefined for any other method. */
export function lookupKeyArgument(method: string): number | undefined {
  return LOCK_COLLECTIONS.find((collection) => collection.lookup === method)?.keyArgument;
}

/** The text of a nested lookup's key: the keys of each level, outermost first (`org, id`). */
export function joinLookupKeys(outer: string, inner: string): string {
  return `${outer}, ${inner}`;
}

const wrappers = new Map<string, number>();
for (const library of LOCK_LIBRARIES) for (const wrapper of library.wrappers ?? []) if (!wrappers.has(wrapper.name)) wrappers.set(wrapper.name, wrapper.lockArgument);

/** Wrappers that return the same lock: async-mutex `withTimeout(lock, ms)`, and `tryAcquire(lock)`, which only fails faster. */
export const SAME_LOCK_WRAPPERS: ReadonlySet<string> = new Set(wrappers.keys());

/** The argument of a same-lock wrapper call that is the lock (`withTimeout(lock, ms)`: 0), or undefined for any other function. */
export function wrappedLockArgument(calleeName: string): number | undefined {
  return wrappers.get(calleeName);
}

/** Methods whose string-literal first argument is the id of the lock they create (`locks.mutex("sm")`). */
export const ID_FACTORY_METHODS: ReadonlySet<string> = new Set(LOCK_LIBRARIES.flatMap((library) => library.identify.idFactories ?? []));

const namedLocks = new Map<string, { library: LockLibrary; named: NamedLocks }>();
for (const library of LOCK_LIBRARIES) if (library.identify.named) namedLocks.set(library.identify.named.global, { library, named: library.identify.named });

/** The globals whose locks are named by a literal argument (`navigator.locks`): the first part of a `<global>:<name>` target. */
export const NAMED_LOCK_GLOBALS: readonly string[] = [...namedLocks.keys()];

/** The library and naming of a global lock manager written as `global` (`navigator.locks`), or undefined. */
export function namedLocksOf(global: string): { library: LockLibrary; named: NamedLocks } | undefined {
  return namedLocks.get(global);
}

/** The library whose lock type has this name, or undefined. */
export function libraryOfTypeName(typeName: string): LockLibrary | undefined {
  return LOCK_LIBRARIES.find((library) => library.identify.typeNames?.includes(typeName));
}

/** The library one of whose method sets a type has (`hasMethod` answers for the type), or undefined. */
export function libraryOfShape(hasMethod: (name: string) => boolean): LockLibrary | undefined {
  return LOCK_LIBRARIES.find((library) => library.identify.shapes?.some((shape) => shape.every(hasMethod)));
}

/** The library whose `new X()` (`how: "new"`) or `x()` (`"call"`) of `exportName` imported from `module` creates a lock. */
export function libraryOfCreation(module: string, exportName: string, how: "new" | "call"): LockLibrary | undefined {
  return LOCK_LIBRARIES.find(
    (library) => library.modules.includes(module) && (how === "new" ? library.identify.constructors : library.identify.factories)?.includes(exportName),
  );
}
