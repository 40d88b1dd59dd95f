// What an uncontended `await lock.acquire()` + `release()` can cost when the promise resolves to a new
// guard object per acquisition, as OrderedMutex's does (a guard releases exactly once, and a stale one
// must never free a later holder's grant), next to await-lock, whose promise resolves to undefined.
//
// Run after `npm run build`:  node bench/runtime-floor.js   (options: --rounds N, --ms N, --promoted)
//
// One process, every variant its own class and loop, interleaved round by round in rotating order;
// samples of about --ms milliseconds of CPU time. Each figure is the median of the per-round ratios to
// await-lock, with the middle half of those ratios. The bytes each operation allocates are counted in
// a child process whose young generation (64 MB) holds a whole count, so no GC runs during it.
//
// --promoted: every sample's loop is an async function in the old generation before its clock starts
// (two minor GCs while it waits), like a long-running loop in a server. Resuming an old async function
// with a young object (the guard) takes the write barrier's slow path on every `await`; resuming it
// with undefined (await-lock, bare await) does not.
//
//   await-lock                  resolves undefined, allocates nothing else
//   bare await                  `await null`, no lock: one promise per operation, the floor of any
//                               lock whose acquisition is a new promise
//   OrderedMutex checks off     the real thing
//   new guard, resolved to it   a 3-field object, Promise.resolve(guard), `then: undefined` on its
//                               prototype (OrderedMutex until issue 12): V8 looks `then` up generically
//   new guard, map-checked      the same, as OrderedMutex does now (runtime/guard.ts, resolvedGuard):
//                               no `then` on the prototype chain and the guard's field read back once, so
//                               TurboFan knows its map and fulfils the promise without the lookup
//   1-field guard, checked      the smallest guard that still releases once (its one field is the lock,
//                               null once released; it cannot name its lock afterwards), map-checked
//   new guard, resolve()        a 3-field guard as above, promise resolved to undefined (the guard kept
//                               on the lock)
//   one guard, one promise      a reused guard and a cached promise: no allocation, no per-call
//                               resolution; unsafe (a stale guard is the current one, so it would
//                               release another holder's grant), shown as the ceiling

import AwaitLock from "await-lock";
import { fork } from "node:child_process";
import v8 from "node:v8";
import { defineLockOrder } from "../dist/runtime/index.js";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ROUNDS = option("--rounds", 300);
const TARGET_MS = option("--ms", 2);
const PROMOTED = args.includes("--promoted");
const BYTES_CHILD = args.includes("--bytes-child");
if ((PROMOTED || BYTES_CHILD) && typeof globalThis.gc !== "function") {
  console.error("bench/runtime-floor.js: --promoted needs node --expose-gc");
  process.exit(2);
}

let sink = 0;

/**
 * Awaited by every loop before its first operation: starts the sample's clock, after making the loop's
 * own async function old with --promoted (it survives two scavenges while it waits here).
 */
let startedAt = 0;
async function ready() {
  if (PROMOTED) {
    await null;
    globalThis.gc({ type: "minor" });
    globalThis.gc({ type: "minor" });
  }
  startedAt = cpuNow();
}

class FreshGuard {
  #lock;
  #mode;
  #entry;
  constructor(lock, mode, entry) {
    this.#lock = lock;
    this.#mode = mode;
    this.#entry = entry;
  }
  release() {
    if (this.#entry === FreshGuard.RELEASED) throw new Error(`released twice (${this.#mode})`);
    this.#entry = FreshGuard.RELEASED;
    this.#lock.unlock();
  }
  static RELEASED = Symbol("released");
}
Object.defineProperty(FreshGuard.prototype, "then", { value: undefined });

class FreshGuardLock {
  #locked = false;
  acquire() {
    if (this.#locked) throw new Error("contended: not measured here");
    this.#locked = true;
    return Promise.resolve(new FreshGuard(this, "exclusive", undefined));
  }
  unlock() {
    this.#locked = false;
  }
}

let resolvedCheckedGuard;
class CheckedGuard {
  #lock;
  #mode;
  #entry;
  constructor(lock, mode, entry) {
    this.#lock = lock;
    this.#mode = mode;
    this.#entry = entry;
  }
  release() {
    if (this.#entry === CheckedGuard.RELEASED) throw new Error(`released twice (${this.#mode})`);
    this.#entry = CheckedGuard.RELEASED;
    this.#lock.unlock();
  }
  static RELEASED = Symbol("released");
  static {
    resolvedCheckedGuard = (lock, mode, entry) => {
      const guard = new CheckedGuard(lock, mode, entry);
      if (guard.#lock !== lock) throw new TypeError("unreachable"); // the read is the point
      return Promise.resolve(guard);
    };
  }
}

class CheckedGuardLock {
  #locked = false;
  acquire() {
    if (this.#locked) throw new Error("contended: not measured here");
    this.#locked = true;
    return resolvedCheckedGuard(this, "exclusive", undefined);
  }
  unlock() {
    this.#locked = false;
  }
}

let resolvedSmallGuard;
class SmallGuard {
  #lock;
  constructor(lock) {
    this.#lock = lock;
  }
  release() {
    const lock = this.#lock;
    if (lock === null) throw new Error("released twice");
    this.#lock = null;
    lock.unlock();
  }
  static {
    resolvedSmallGuard = (lock) => {
      const guard = new SmallGuard(lock);
      if (guard.#lock !== lock) throw new TypeError("unreachable"); // the read is the point
      return Promise.resolve(guard);
    };
  }
}

class SmallGuardLock {
  #locked = false;
  acquire() {
    if (this.#locked) throw new Error("contended: not measured here");
    this.#locked = true;
    return resolvedSmallGuard(this);
  }
  unlock() {
    this.#locked = false;
  }
}

class UndefinedResolveLock {
  #locked = false;
  guard = undefined;
  acquire() {
    if (this.#locked) throw new Error("contended: not measured here");
    this.#locked = true;
    this.guard = new FreshGuard(this, "exclusive", undefined);
    return Promise.resolve();
  }
  unlock() {
    this.#locked = false;
  }
}

class ReusedGuard {
  #lock;
  #released = false;
  constructor(lock) {
    this.#lock = lock;
  }
  arm() {
    this.#released = false;
  }
  release() {
    if (this.#released) throw new Error("released twice");
    this.#released = true;
    this.#lock.unlock();
  }
}

class ReusedGuardLock {
  #locked = false;
  #guard = new ReusedGuard(this);
  #promise = Promise.resolve(this.#guard);
  acquire() {
    if (this.#locked) throw new Error("contended: not measured here");
    this.#locked = true;
    this.#guard.arm();
    return this.#promise;
  }
  unlock() {
    this.#locked = false;
  }
}

const ORDER = { locks: [{ id: "sm", target: "Server.member", kind: "mutex" }] };

// The loops look alike on purpose: one shared loop would see every lock class, and its polymorphic
// calls would cost each variant more than the difference this script measures.
const VARIANTS = [
  {
    name: "await-lock",
    make: () => new AwaitLock(),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        await lock.acquireAsync();
        sink++;
        lock.release();
      }
    },
  },
  {
    name: "bare await",
    make: () => undefined,
    async run(_, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        await null;
        sink++;
      }
    },
  },
  {
    name: "OrderedMutex checks off",
    make: () => defineLockOrder(ORDER, { checks: "off" }).mutex("sm"),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        const guard = await lock.acquire();
        sink++;
        guard.release();
      }
    },
  },
  {
    name: "new guard, resolved to it",
    make: () => new FreshGuardLock(),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        const guard = await lock.acquire();
        sink++;
        guard.release();
      }
    },
  },
  {
    name: "new guard, map-checked",
    make: () => new CheckedGuardLock(),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        const guard = await lock.acquire();
        sink++;
        guard.release();
      }
    },
  },
  {
    name: "1-field guard, checked",
    make: () => new SmallGuardLock(),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        const guard = await lock.acquire();
        sink++;
        guard.release();
      }
    },
  },
  {
    name: "new guard, resolve()",
    make: () => new UndefinedResolveLock(),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        await lock.acquire();
        sink++;
        lock.guard.release();
      }
    },
  },
  {
    name: "one guard, one promise",
    make: () => new ReusedGuardLock(),
    async run(lock, n) {
      await ready();
      for (let i = 0; i < n; i++) {
        const guard = await lock.acquire();
        sink++;
        guard.release();
      }
    },
  },
];

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

async function sample(variant, ops) {
  const lock = variant.make();
  await variant.run(lock, ops);
  return ops / (Math.max(cpuNow() - startedAt, 1) / 1e9);
}

const BYTES_OPS = 50_000;
/**
 * Bytes allocated per operation, per variant: the heap's growth over BYTES_OPS operations after a full
 * GC, in a process whose young generation holds them all (run with --bytes-child). The largest of three
 * counts, so that a GC the count did not expect (which would shrink the heap) cannot lower it.
 */
async function bytesPerOp() {
  const counts = [];
  for (const variant of VARIANTS) {
    for (let k = 0; k < 5; k++) await variant.run(variant.make(), 20_000); // warm-up
    let most = 0;
    for (let k = 0; k < 3; k++) {
      const lock = variant.make();
      globalThis.gc();
      const before = v8.getHeapStatistics().used_heap_size;
      await variant.run(lock, BYTES_OPS);
      most = Math.max(most, (v8.getHeapStatistics().used_heap_size - before) / BYTES_OPS);
    }
    counts.push(most);
  }
  return counts;
}

if (BYTES_CHILD) {
  process.send(await bytesPerOp());
  process.exit(0);
}
const bytesChild = fork(new URL(import.meta.url).pathname, ["--bytes-child"], {
  execArgv: ["--expose-gc", "--min-semi-space-size=64", "--max-semi-space-size=64"],
});
const bytes = await new Promise((resolve, reject) => {
  bytesChild.once("message", resolve);
  bytesChild.once("exit", (code) => reject(new Error(`bench/runtime-floor.js: the bytes count exited with ${code}`)));
});

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const quartile = (values, q) => [...values].sort((a, b) => a - b)[Math.round((values.length - 1) * q)];

const sizes = [];
for (const variant of VARIANTS) {
  for (let k = 0; k < 5; k++) await sample(variant, 100_000); // warm-up
  sizes.push(Math.max(1000, Math.round(((await sample(variant, 100_000)) * TARGET_MS) / 1000)));
}
const rates = VARIANTS.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const i = (round + k) % VARIANTS.length;
    rates[i].push(await sample(VARIANTS[i], sizes[i]));
  }
}

console.log(
  `uncontended acquire/release, node ${process.version}: ${ROUNDS} rounds, samples of about ${TARGET_MS} ms of CPU time` +
    (PROMOTED ? ", every loop's async function in the old generation (--promoted)" : ""),
);
console.log("| variant                   | median ops per CPU second | / await-lock (median) | middle half of rounds | bytes per op |");
console.log("|:--------------------------|--------------------------:|----------------------:|----------------------:|-------------:|");
for (let i = 0; i < VARIANTS.length; i++) {
  const ratios = rates[i].map((rate, round) => rate / rates[0][round]);
  console.log(
    `| ${VARIANTS[i].name.padEnd(25)} | ${Math.round(median(rates[i])).toLocaleString("en-US").padStart(25)} | ` +
      `${(median(ratios).toFixed(2) + "x").padStart(21)} | ${`${quartile(ratios, 0.25).toFixed(2)}x - ${quartile(ratios, 0.75).toFixed(2)}x`.padStart(21)} | ` +
      `${String(Math.round(bytes[i])).padStart(12)} |`,
  );
}
if (sink < 0) console.log(sink); // keeps the work observable
