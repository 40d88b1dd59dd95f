/**
 * The parity corpus: single-file snippets with the verdicts both front ends must give. Every callee
 * is in the file (or is a lock method), so neither front end has to trust a suffix it cannot check.
 * `known` lists the front ends that still disagree with the expected verdicts (see parity.test.ts).
 */
import type { Snippet, Verdict } from "./harness.js";

export interface ParityCase extends Snippet {
  /** What the snippet shows. */
  readonly title: string;
  readonly expected: readonly Verdict[];
  /** Front ends known to give other verdicts today: their test is `it.fails` until the lowering is shared. */
  readonly known?: readonly ("eslint" | "audit")[];
}

const HEADER = `import { Mutex } from "async-mutex";
class RwLock {
  runRead<T>(fn: () => T): T { return fn(); }
  runWrite<T>(fn: () => T): T { return fn(); }
}
`;

/** Line 6 is the first line after the header. */
function snippet(body: string): string {
  return `${HEADER}${body}`;
}

export const CORPUS: readonly ParityCase[] = [
  // ---- the four disagreements of issue 8 ----
  {
    name: "returned-closure",
    title: "a closure returned by a method is a unit of its own",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  runner() {
    return () => this.a.runExclusive(() => 1);
  }
}
`),
    expected: [],
  },
  {
    name: "destructured-lock",
    title: "a lock destructured from this is the same lock",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sa() {
    const { a } = this;
    await a.runExclusive(async () => 1);
  }
}
`),
    expected: [],
  },
  {
    name: "then-releaser",
    title: "acquire().then(release) holds the lock only in the callback",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sa() {
    await this.a.acquire().then((release) => {
      release();
    });
    await this.a.runExclusive(async () => 1);
  }
}
`),
    expected: [],
  },
  {
    name: "reference-through-local-wrapper",
    title: "a suffixed function passed to a wrapper in the file runs during the call",
    code: snippet(`function twice(times: number, fn: () => Promise<number>) {
  return fn();
}
export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async work_sb() {
    return this.b.runExclusive(async () => 1);
  }
  async k_sb() {
    return twice(2, () => this.work_sb());
  }
  async j_sb() {
    return twice(2, this.work_sb.bind(this));
  }
}
`),
    expected: [],
  },
  {
    name: "keyed-reference-at-index-1",
    title: "a suffixed function passed by reference after a keyed lock's key runs under the lock",
    code: `class KeyedLock {
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> { return fn(); }
}
class Mutex {
  async runExclusive<T>(fn: () => Promise<T>): Promise<T> { return fn(); }
}
export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  work_sb = async () => this.b.runExclusive(async () => 1);
}
export class K {
  readonly locks = new KeyedLock();
  readonly s = new S();
  async k_sb_kk(id: string) {
    return this.locks.withLock(id, this.s.work_sb);
  }
}
`,
    expected: [{ rule: "order", line: 16 }],
  },
  // ---- acquisition forms ----
  {
    name: "callback-form",
    title: "runExclusive holds the lock while its callback runs",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async wrong() {
    await this.a.runExclusive(async () => 1);
  }
  async nested_sa_sb() {
    await this.b.runExclusive(async () => {
      await this.a.runExclusive(async () => 1);
    });
  }
}
`),
    expected: [
      { rule: "suffix", line: 9, wants: "wrong_sa" },
      { rule: "order", line: 14 },
    ],
  },
  {
    name: "manual-form",
    title: "acquire() with the result unused holds the lock until release()",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sa_sb() {
    await this.b.acquire();
    try {
      await this.a.acquire();
      this.a.release();
    } finally {
      this.b.release();
    }
  }
}
`),
    expected: [{ rule: "order", line: 12 }],
  },
  {
    name: "releaser-form",
    title: "a bound releaser holds the lock until it is called",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sa() {
    const release = await this.a.acquire();
    try {
      await this.a.runExclusive(async () => 1);
    } finally {
      release();
    }
    await this.a.runExclusive(async () => 2);
  }
}
`),
    expected: [{ rule: "no-recursion", line: 12 }],
  },
  {
    name: "rwlock-modes",
    title: "read and write modes of an rwlock",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly r = new RwLock();
  reads_srr() {
    return this.r.runRead(() => 1);
  }
  writes_srr() {
    return this.r.runWrite(() => 1);
  }
}
`),
    expected: [{ rule: "suffix", line: 12, wants: "writes_srw" }],
  },
  {
    name: "with-timeout",
    title: "withTimeout(lock) is the same lock",
    code: snippet(`import { withTimeout } from "async-mutex";
export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sb() {
    await this.b.runExclusive(async () => {
      await withTimeout(this.a, 100).runExclusive(async () => 1);
    });
  }
}
`),
    expected: [
      { rule: "suffix", line: 10, wants: "k_sa_sb" },
      { rule: "order", line: 12 },
    ],
  },
  {
    name: "injected-member",
    title: "a lock reached through a constructor-injected, annotated member or parameter",
    code: snippet(`export class Holder {
  readonly lock = new RwLock();
}
export class S {
  readonly a = new Mutex();
  constructor(private readonly holder: Holder) {}
  async k_hlw_sa() {
    await this.a.runExclusive(async () => {
      await this.holder.lock.runWrite(async () => 1);
    });
  }
  read(holder: Holder) {
    return holder.lock.runRead(async () => 1);
  }
}
`),
    expected: [
      { rule: "order", line: 14 },
      { rule: "suffix", line: 17, wants: "read_hlr" },
    ],
  },
  // ---- libraries of the recognition table ----
  {
    name: "await-lock-manual",
    title: "await-lock: acquireAsync() holds the lock until release()",
    code: snippet(`import AwaitLock from "await-lock";
export class S {
  readonly a = new AwaitLock();
  readonly b = new AwaitLock();
  async k_sa_sb() {
    await this.b.acquireAsync();
    try {
      await this.a.acquireAsync();
      this.a.release();
      await this.b.acquireAsync();
    } finally {
      this.b.release();
    }
  }
}
`),
    expected: [
      { rule: "order", line: 13 },
      { rule: "no-recursion", line: 15 },
    ],
  },
  {
    name: "await-lock-try",
    title: "await-lock: tryAcquire() never waits, and holds the lock where it succeeded",
    code: snippet(`import AwaitLock from "await-lock";
export class S {
  readonly a = new AwaitLock();
  readonly b = new AwaitLock();
  async k_sa_sb() {
    await this.b.acquireAsync();
    try {
      if (this.a.tryAcquire()) this.a.release();
    } finally {
      this.b.release();
    }
  }
  sweep() {
    if (!this.a.tryAcquire()) return;
    try {
      void this.b;
    } finally {
      this.a.release();
    }
  }
}
`),
    expected: [{ rule: "suffix", line: 18, wants: "sweep_sa" }],
  },
  {
    name: "mortice",
    title: "mortice: readLock()/writeLock() resolve to a release function; .then(cb) holds it in cb only",
    code: snippet(`import mortice from "mortice";
export class S {
  readonly a = new Mutex();
  readonly r = mortice({ name: "s" });
  async reads_srr() {
    const release = await this.r.readLock();
    release();
  }
  async writes_srr() {
    const release = await this.r.writeLock();
    try {
      await this.a.runExclusive(async () => 1);
    } finally {
      release();
    }
  }
  async then_srr() {
    await this.r.readLock().then((release) => release());
    const release = await this.r.readLock();
    release();
  }
}
`),
    expected: [
      { rule: "suffix", line: 14, wants: "writes_sa_srw" },
      { rule: "order", line: 17 },
    ],
  },
  {
    name: "async-lock",
    title: "async-lock: acquire(key, fn) runs fn holding the key, acquire([k1, k2], fn) takes the keys in array order",
    code: snippet(`import AsyncLock from "async-lock";
export class K {
  readonly locks = new AsyncLock();
  async nested_kk(id: string, other: string) {
    await this.locks.acquire(id, async () => {
      await this.locks.acquire(other, () => 1);
      await this.locks.acquire(id, () => 2);
    });
  }
  async pair_kk(id: string) {
    await this.locks.acquire([id, "index"], () => 1);
    await this.locks.acquire([id, id], () => 2);
  }
  async done_kk(id: string) {
    await this.locks.acquire(id, (done) => done());
  }
}
export class S {
  readonly a = new Mutex();
  async under_sa_kk(k: K) {
    await k.locks.acquire("job", async () => {
      await this.a.runExclusive(async () => 1);
    });
  }
  async named_sa(k: K) {
    await k.locks.acquire("job", () => 1);
  }
}
`),
    expected: [
      { rule: "no-recursion", line: 12 },
      { rule: "no-recursion", line: 17 },
      { rule: "order", line: 27 },
      { rule: "suffix", line: 30, wants: "named_kk" },
    ],
  },
  {
    name: "web-locks",
    title: "Web Locks: a literal name is the lock; mode: \"shared\" reads, ifAvailable: true never waits, the callback is the last argument",
    code: snippet(`export class S {
  readonly a = new Mutex();
  async fill_sa_ncw() {
    await this.a.runExclusive(async () => {
      await navigator.locks.request("cache", () => 1);
    });
  }
  async inverted_sa_ncw() {
    await navigator.locks.request("cache", async () => {
      await this.a.runExclusive(async () => 1);
    });
  }
  async shared_ncw() {
    await navigator.locks.request("cache", { mode: "shared" }, () => 1);
  }
  async tried_ncw() {
    await navigator.locks.request("cache", async () => {
      await navigator.locks.request("cache", { ifAvailable: true }, () => 1);
      await navigator.locks.request("cache", { mode: "shared" }, () => 2);
    });
  }
}
`),
    expected: [
      { rule: "order", line: 15 },
      { rule: "suffix", line: 18, wants: "shared_ncr" },
      { rule: "no-recursion", line: 24 },
    ],
  },
  {
    name: "redlock",
    title: "redlock: keyed by its resources; lock()/acquire() → a Lock released by unlock() or redlock.unlock(lock), using(resources, ttl, fn)",
    code: snippet(`import Redlock from "redlock";
export class K {
  constructor(readonly locks: Redlock) {}
  async cancel_kk(id: string) {
    const lock = await this.locks.acquire([id], 1000);
    await this.locks.unlock(lock);
    const again = await this.locks.acquire([id], 1000);
    await again.unlock();
  }
  async retry_kk(id: string) {
    const lock = await this.locks.lock(id, 1000);
    const again = await this.locks.lock(id, 1000);
    await again.unlock();
    await lock.unlock();
  }
}
export class S {
  readonly a = new Mutex();
  async under_sa_kk(k: K) {
    await k.locks.using(["job"], 1000, async () => {
      await this.a.runExclusive(async () => 1);
    });
  }
}
`),
    expected: [
      { rule: "no-recursion", line: 17 },
      { rule: "order", line: 26 },
    ],
  },
  // ---- calls through suffixed callees ----
  {
    name: "suffixed-callee",
    title: "a call to a suffixed function acquires what it takes",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async takeA_sa() {
    await this.a.runExclusive(async () => 1);
  }
  async k_sa_sb() {
    await this.b.runExclusive(async () => {
      await this.takeA_sa();
    });
  }
  async again_sa() {
    await this.a.runExclusive(async () => {
      await this.takeA_sa();
    });
  }
}
`),
    expected: [
      { rule: "order", line: 14 },
      { rule: "no-recursion", line: 19 },
    ],
  },
  // ---- control flow ----
  {
    name: "branches",
    title: "each arm of an if and a switch may run",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k(flag: number) {
    if (flag > 0) {
      await this.a.runExclusive(async () => 1);
    }
    switch (flag) {
      case 1:
        await this.b.runExclusive(async () => 1);
        break;
      default:
        break;
    }
  }
}
`),
    expected: [{ rule: "suffix", line: 9, wants: "k_sa_sb" }],
  },
  {
    name: "loop-retake",
    title: "a lock taken in a loop and not released is re-taken in the next iteration",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sa(items: number[]) {
    for (const item of items) {
      await this.a.acquire();
      if (item > 0) this.a.release();
    }
    this.a.release();
  }
}
`),
    expected: [{ rule: "no-recursion", line: 11 }],
  },
  {
    name: "labels-and-try",
    title: "labeled loops, try/catch/finally",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sa_sb(rows: number[][]) {
    outer: for (const row of rows) {
      for (const cell of row) {
        if (cell < 0) continue outer;
        if (cell === 0) break outer;
        try {
          await this.a.runExclusive(async () => cell);
        } catch {
          await this.b.runExclusive(async () => cell);
        } finally {
          await this.a.runExclusive(async () => cell);
        }
      }
    }
  }
}
`),
    expected: [],
  },
  // ---- task boundaries ----
  {
    name: "task-boundaries",
    title: "timers and event handlers run as tasks of their own",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async k_sb() {
    await this.b.runExclusive(async () => {
      setTimeout(() => void this.a.runExclusive(async () => 1), 0);
      queueMicrotask(() => void this.a.runExclusive(async () => 1));
    });
  }
}
`),
    expected: [],
  },
  {
    name: "lock-collection",
    title: "a Map of mutexes is one keyed lock (the lookup key tells its mutexes apart), through get-or-create and a method returning a lock",
    code: snippet(`export class K {
  readonly locks = new Map<string, Mutex>();
  #lockFor(id: string): Mutex {
    let lock = this.locks.get(id);
    if (!lock) {
      lock = new Mutex();
      this.locks.set(id, lock);
    }
    return lock;
  }
  async same_kk(id: string) {
    const lock = this.locks.get(id) ?? new Mutex();
    await lock.runExclusive(async () => {
      await this.#lockFor(id).runExclusive(() => 1);
    });
  }
  async two_kk(id: string, other: string) {
    await this.#lockFor(id).runExclusive(() => this.#lockFor(other).runExclusive(() => 2));
  }
}
export class S {
  readonly a = new Mutex();
  getLock(): Mutex {
    return this.a;
  }
  async under_sa_kk(k: K) {
    await (k.locks.get("job") ?? new Mutex()).runExclusive(async () => {
      await this.getLock().runExclusive(() => 1);
    });
  }
  async named(k: K) {
    const m = this.getLock();
    await m.runExclusive(() => 1);
  }
}
`),
    expected: [
      { rule: "no-recursion", line: 19 },
      { rule: "order", line: 33 },
      { rule: "suffix", line: 36, wants: "named_sa" },
    ],
  },
  {
    name: "skip-lock-flag",
    title: "a caller holding the lock that passes { skipLock: true } is clean in both front ends, and the skipped lock is no suffix token (lock-audit reads the flag; the rules take nothing from the suffix there)",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async verify_sa(options?: { skipLock?: boolean }) {
    if (!options?.skipLock) {
      await this.a.runExclusive(() => 1);
    }
  }
  async outer_sa() {
    await this.a.runExclusive(async () => {
      await this.verify_sa({ skipLock: true });
    });
  }
  async wrong_sa() {
    await this.a.runExclusive(async () => {
      await this.verify_sa();
    });
  }
  async under_sb() {
    await this.b.runExclusive(async () => {
      await this.verify_sa({ skipLock: true });
    });
  }
}
`),
    expected: [{ rule: "no-recursion", line: 21 }],
  },
  // ---- keyed locks ----
  {
    name: "keyed",
    title: "a keyed lock re-taken with the same key, and with another key",
    code: `class KeyedLock {
  async acquire(key: string): Promise<void> {}
  release(key: string): void {}
}
export class K {
  readonly locks = new KeyedLock();
  async same_kk(id: string) {
    await this.locks.acquire(id);
    await this.locks.acquire(id);
    this.locks.release(id);
    this.locks.release(id);
  }
  async other_kk(id: string, other: string) {
    await this.locks.acquire(id);
    await this.locks.acquire(other);
    this.locks.release(other);
    this.locks.release(id);
  }
}
`,
    expected: [{ rule: "no-recursion", line: 9 }],
  },
  // ---- one-shot lock methods ----
  {
    name: "atomic-methods",
    title: "methods.atomic / atomicRead take and release within the call: counted for order and recursion, never held after",
    code: snippet(`class Pool {
  async getAll(sql: string): Promise<string[]> { return [sql]; }
  async execute(sql: string): Promise<void> {}
  async writeLock<T>(fn: () => Promise<T>): Promise<T> { return fn(); }
}
export class Db {
  readonly pool = new Pool();
  async list_dbr() {
    return this.pool.getAll("q");
  }
  async save_dbw() {
    await this.pool.execute("a");
    await this.pool.execute("b");
  }
  async count() {
    return (await this.pool.getAll("q")).length;
  }
  async migrate_dbw() {
    await this.pool.writeLock(async () => {
      await this.pool.execute("c");
    });
  }
}
export class S {
  readonly a = new Mutex();
  async late_sa_dbw(db: Db) {
    await db.pool.execute("d");
    await this.a.runExclusive(async () => 1);
  }
  async under_sa_dbw(db: Db) {
    await this.a.runExclusive(async () => {
      await db.pool.execute("e");
    });
  }
}
`),
    expected: [
      { rule: "suffix", line: 20, wants: "count_dbr" },
      { rule: "no-recursion", line: 25 },
    ],
  },
  // ---- a target naming a type ----
  {
    name: "type-target",
    title: "a type target: every value of the type (a parameter, a field, a subclass instance, this) is the lock itself",
    code: snippet(`export abstract class DBAdapter {
  abstract readLock<T>(fn: () => Promise<T>): Promise<T>;
  abstract writeLock<T>(fn: () => Promise<T>): Promise<T>;
}
export class MemoryAdapter extends DBAdapter {
  async readLock<T>(fn: () => Promise<T>): Promise<T> { return fn(); }
  async writeLock<T>(fn: () => Promise<T>): Promise<T> { return fn(); }
  async vacuum() {
    await this.writeLock(async () => 1);
  }
}
export class S {
  readonly a = new Mutex();
  constructor(readonly db: DBAdapter) {}
  async upload_sa_dar() {
    await this.a.runExclusive(async () => {
      await this.db.readLock(async () => 1);
    });
  }
  async apply_sa_daw() {
    await this.db.writeLock(async () => {
      await this.a.runExclusive(async () => 1);
    });
  }
  async copy_daw(to: MemoryAdapter) {
    await this.db.readLock(async () => {
      await to.writeLock(async () => 1);
    });
  }
}
`),
    expected: [
      { rule: "suffix", line: 13, wants: "vacuum_daw" },
      { rule: "order", line: 27 },
      { rule: "no-recursion", line: 32 },
    ],
  },
  // ---- the order among a keyed lock's constant keys ----
  {
    name: "key-order",
    title: "keys: holding a listed key, a key listed before it is out of order; keys not listed are unordered; the same key is recursion",
    code: `import AsyncLock from "async-lock";
export class K {
  readonly locks = new AsyncLock();
  async inOrder_kk() {
    await this.locks.acquire("retry", async () => {
      await this.locks.acquire("swap", async () => 1);
    });
  }
  async inverted_kk(id: string) {
    await this.locks.acquire("swap", async () => {
      await this.locks.acquire(id, async () => 1);
      await this.locks.acquire("retry", async () => 1);
    });
  }
  async list_kk() {
    await this.locks.acquire(["swap", "retry"], async () => 1);
  }
  async again_kk() {
    await this.locks.acquire("swap", async () => {
      await this.locks.acquire("swap", async () => 1);
    });
  }
}
`,
    expected: [
      { rule: "order", line: 12 },
      { rule: "order", line: 16 },
      { rule: "no-recursion", line: 20 },
    ],
  },
  // ---- calls that are and are not run now ----
  {
    name: "optional-call",
    title: "a suffixed call through an optional chain takes its locks",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  other?: S;
  async take_sa() {
    await this.a.runExclusive(async () => 1);
  }
  async k_sa_sb() {
    await this.b.runExclusive(async () => {
      await this.other?.take_sa();
    });
  }
}
`),
    expected: [{ rule: "order", line: 15 }],
  },
  {
    name: "stored-and-registered",
    title: "handlers stored in a collection or given to a route run later, not at the call",
    code: snippet(`interface Router { get(path: string, handler: () => Promise<number>): void }
export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  readonly handlers: (() => Promise<number>)[] = [];
  readonly named = new Map<string, () => Promise<number>>();
  constructor(private readonly router: Router) {}
  async subscribe_sb() {
    await this.b.runExclusive(async () => {
      this.handlers.push(async () => this.a.runExclusive(async () => 1));
      this.named.set("b", () => this.b.runExclusive(async () => 2));
      this.router.get("/a", () => this.a.runExclusive(async () => 3));
    });
  }
}
`),
    expected: [],
  },
  {
    name: "nested-map-of-locks",
    title: "a map of maps of mutexes is one keyed lock, the joined lookup keys telling its locks apart",
    code: snippet(`export class K {
  readonly locks = new Map<string, Map<string, Mutex>>();
  async same_kk(org: string, id: string) {
    await this.locks.get(org)!.get(id)!.runExclusive(async () => {
      await this.locks.get(org)?.get(id)?.runExclusive(async () => 1);
    });
  }
  async other_kk(org: string, a: string, b: string) {
    await this.locks.get(org)!.get(a)!.runExclusive(async () => {
      await this.locks.get(org)!.get(b)!.runExclusive(async () => 1);
    });
  }
}
`),
    expected: [{ rule: "no-recursion", line: 10 }],
  },
  {
    name: "array-of-locks",
    title: "an array of mutexes is one keyed lock, the index its key",
    code: snippet(`export class K {
  readonly locks: Mutex[] = [new Mutex(), new Mutex()];
  async same_kk(i: number) {
    await this.locks[i].runExclusive(async () => {
      await this.locks[i].runExclusive(async () => 1);
    });
  }
  async next_kk(i: number) {
    await this.locks[i].runExclusive(async () => {
      await this.locks[i + 1].runExclusive(async () => 1);
    });
  }
}
`),
    expected: [{ rule: "no-recursion", line: 10 }],
  },
  // ---- generators ----
  {
    name: "generator-held-at-yield",
    title: "a generator of the file holds its lock at its yields: in a caller's for-await body, and between next() and return()",
    code: snippet(`export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  async *items_sa() {
    const release = await this.a.acquire();
    try { yield 1; yield 2; } finally { release(); }
  }
  async copy_sa() {
    for await (const item of this.items_sa()) {
      await this.a.runExclusive(async () => item);
    }
  }
  async step_sa() {
    const it = this.items_sa();
    await it.next();
    await this.a.runExclusive(async () => 1);
    await it.return(undefined);
  }
  async done_sa() {
    const it = this.items_sa();
    await it.next();
    await it.return(undefined);
    await this.a.runExclusive(async () => 1);
  }
}
`),
    expected: [
      { rule: "no-recursion", line: 15 },
      { rule: "no-recursion", line: 21 },
    ],
  },
  // ---- wrapper classes ----
  {
    name: "wrapper-class-in-file",
    title: "a wrapper class of the file runs its callback parameter under its lock, passed by reference too",
    code: `import AsyncLock from "async-lock";
import { Mutex } from "async-mutex";
class Instrumented {
  private readonly lock = new AsyncLock();
  acquire = async <T>(key: string, op: string, cb: () => Promise<T>): Promise<T> => this.lock.acquire(key, async () => cb());
}
export class S {
  readonly a = new Mutex();
  readonly b = new Mutex();
  work_sb = async () => this.b.runExclusive(async () => 1);
}
export class K {
  readonly locks = new Instrumented();
  readonly s = new S();
  async byReference_sb_kk(id: string) {
    await this.locks.acquire(id, "work", this.s.work_sb);
  }
  async same_kk(id: string) {
    await this.locks.acquire(id, "outer", async () => {
      await this.locks.acquire(id, "inner", async () => 1);
    });
  }
}
`,
    expected: [
      { rule: "order", line: 16 },
      { rule: "no-recursion", line: 20 },
    ],
  },
];
