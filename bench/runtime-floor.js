// What an uncontended `await lock.acquire()` + `release()` can cost when the promise resolves to a new
// guard object per acquisition, as OrderedMutex's does (a guard releases exactly once, and a stale one
// must never free a later holder's grant), next to await-lock, whose promise resolves to undefined.
//
// Run after `npm run build`:  node bench/runtime-floor.js   (options: --rounds N, --ms N)
//
// One process, every variant its own class and loop, interleaved round by round in rotating order;
// samples of about --ms milliseconds of CPU time. Each figure is the median of the per-round ratios to
// await-lock, with the middle half of those ratios.
//
//   await-lock                  resolves undefined, allocates nothing else
//   OrderedMutex checks off     the real thing
//   new guard, resolved to it   a 3-field object, Promise.resolve(guard), `then: undefined` on its
//                               prototype (OrderedMutex until issue 12): V8 looks `then` up generically
//   new guard, map-checked      the same, as OrderedMutex does now (runtime/guard.ts, resolvedGuard):
//                               no `then` on the prototype chain and the guard's field read back once, so
//                               TurboFan knows its map and fulfils the promise without the lookup
//   new guard, resolve()        the same allocation, promise resolved to undefined (the guard kept aside)
//   one guard, one promise      a reused guard and a cached promise: no allocation, no per-call
//                               resolution; unsafe (a stale guard is the current one, so it would
//                               release another holder's grant), shown as the ceiling

import AwaitLock from "await-lock";
import { defineLockOrder } from "../dist/runtime/index.js";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ROUNDS = option("--rounds", 300);
const TARGET_MS = option("--ms", 2);

let sink = 0;

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
      for (let i = 0; i < n; i++) {
        await lock.acquireAsync();
        sink++;
        lock.release();
      }
    },
  },
  {
    name: "OrderedMutex checks off",
    make: () => defineLockOrder(ORDER, { checks: "off" }).mutex("sm"),
    async run(lock, n) {
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
  const start = cpuNow();
  await variant.run(lock, ops);
  return ops / (Math.max(cpuNow() - start, 1) / 1e9);
}

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

console.log(`uncontended acquire/release, node ${process.version}: ${ROUNDS} rounds, samples of about ${TARGET_MS} ms of CPU time`);
console.log("| variant                   | median ops per CPU second | / await-lock (median) | middle half of rounds |");
console.log("|:--------------------------|--------------------------:|----------------------:|----------------------:|");
for (let i = 0; i < VARIANTS.length; i++) {
  const ratios = rates[i].map((rate, round) => rate / rates[0][round]);
  console.log(
    `| ${VARIANTS[i].name.padEnd(25)} | ${Math.round(median(rates[i])).toLocaleString("en-US").padStart(25)} | ` +
      `${(median(ratios).toFixed(2) + "x").padStart(21)} | ${`${quartile(ratios, 0.25).toFixed(2)}x - ${quartile(ratios, 0.75).toFixed(2)}x`.padStart(21)} |`,
  );
}
if (sink < 0) console.log(sink); // keeps the work observable
