// Benchmark of the runtime locks: OrderedMutex with checks off and on, against async-mutex's Mutex,
// await-lock, and a bare `await null` per operation (the floor: one microtask hop).
//
// Run after `npm run build`:  node bench/runtime.js   (options: --rounds N, --quick)
//
// Two processes, rounds interleaved across them: every round runs every contender once, in rotating
// order, so drift and the neighbours' load hit them alike. The parent never installs a promise hook and
// runs bare / await-lock / async-mutex / checks off. Checks on installs the runtime's V8 promise hooks
// on its first acquisition, and from then on every await in that process is slower (Node 20/22), so it
// runs in a forked child, with bare and async-mutex measured again beside it to show what the hooks
// cost everyone; the parent sends the child one sample at a time and waits for it, so the two never
// compete for the CPU. The table shows median ops/s; a ratio of two contenders is the median of their
// per-round ratios (robust on a busy machine), also across the processes. The bounds compare checks on
// with the clean async-mutex of the parent. The report never fails the process (exit 0).

import { Mutex } from "async-mutex";
import AwaitLock from "await-lock";
import { fork } from "node:child_process";
import os from "node:os";
import { defineLockOrder } from "../dist/runtime/index.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const roundsArg = args.indexOf("--rounds");
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : quick ? 5 : 11;
// About 1-3 million uncontended operations per sample for the fast contenders: shorter samples let GC
// pauses and the neighbours' load on this shared 2-core machine move the ratios by more than 10%.
const TARGET_MS = quick ? 15 : 200;
const TASKS = 100;
const SECTIONS = 1000;

const ORDER = {
  locks: [
    { id: "ms", target: "ManagerServices.inner", kind: "rwlock" },
    { id: "sm", target: "Server.member", kind: "mutex" },
  ],
};

let sink = 0;
const work = () => {
  sink++;
};

/** Each contender: how one operation is done in each case. `make` builds a fresh lock per sample. */
function orderedContender(name, checks) {
  return {
    name,
    make: () => defineLockOrder(ORDER, { checks }).mutex("sm"),
    async uncontended(m, n) {
      for (let i = 0; i < n; i++) {
        const guard = await m.acquire();
        sink++;
        guard.release();
      }
    },
    async runExclusive(m, n) {
      for (let i = 0; i < n; i++) await m.runExclusive(work);
    },
    async section(m) {
      const guard = await m.acquire();
      try {
        sink++;
        await null;
      } finally {
        guard.release();
      }
    },
  };
}

const asyncMutex = {
  name: "async-mutex",
  make: () => new Mutex(),
  async uncontended(m, n) {
    for (let i = 0; i < n; i++) {
      const release = await m.acquire();
      sink++;
      release();
    }
  },
  async runExclusive(m, n) {
    for (let i = 0; i < n; i++) await m.runExclusive(work);
  },
  async section(m) {
    const release = await m.acquire();
    try {
      sink++;
      await null;
    } finally {
      release();
    }
  },
};

// await-lock has no runExclusive; this wrapper does what OrderedMutex.runExclusive does (including
// not awaiting a callback that returned a plain value), so the comparison is about the lock itself.
async function awaitLockRun(lock, fn) {
  await lock.acquireAsync();
  try {
    const result = fn();
    return typeof result?.then === "function" ? await result : result;
  } finally {
    lock.release();
  }
}

const awaitLock = {
  name: "await-lock",
  make: () => new AwaitLock(),
  async uncontended(l, n) {
    for (let i = 0; i < n; i++) {
      await l.acquireAsync();
      sink++;
      l.release();
    }
  },
  async runExclusive(l, n) {
    for (let i = 0; i < n; i++) await awaitLockRun(l, work);
  },
  async section(l) {
    await l.acquireAsync();
    try {
      sink++;
      await null;
    } finally {
      l.release();
    }
  },
};

// The floor: one `await null` per operation, no lock at all (two per contended section: the lock hop and the section's own await).
const bare = {
  name: "bare await",
  make: () => undefined,
  async uncontended(_, n) {
    for (let i = 0; i < n; i++) {
      await null;
      sink++;
    }
  },
  async runExclusive(_, n) {
    for (let i = 0; i < n; i++) {
      await null;
      work();
    }
  },
  async section() {
    await null;
    sink++;
    await null;
  },
};

const CASES = [
  { key: "uncontended", label: "uncontended acquire/release" },
  { key: "runExclusive", label: "runExclusive" },
  { key: "contended", label: `contended (${TASKS} tasks x ${SECTIONS.toLocaleString("en-US")} sections)` },
];

/** Runs `ops` operations of `caseKey` once; returns ops/s. */
async function sample(contender, caseKey, ops) {
  const lock = contender.make();
  const start = process.hrtime.bigint();
  if (caseKey === "contended") {
    const tasks = [];
    for (let t = 0; t < TASKS; t++) {
      tasks.push(
        (async () => {
          for (let s = 0; s < SECTIONS; s++) await contender.section(lock);
        })(),
      );
    }
    await Promise.all(tasks);
  } else {
    await contender[caseKey](lock, ops);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return ops / seconds;
}

/** Operation count so one sample of this contender takes about TARGET_MS. */
async function calibrate(contender, caseKey) {
  if (caseKey === "contended") return TASKS * SECTIONS;
  let ops = 2000;
  for (;;) {
    const start = process.hrtime.bigint();
    await contender[caseKey](contender.make(), ops);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms >= TARGET_MS / 4 || ops >= 5e7) return Math.max(1000, Math.round((ops * TARGET_MS) / Math.max(ms, 0.01)));
    ops *= 4;
  }
}

const checksOff = orderedContender("OrderedMutex checks off", "off");
const checksOn = orderedContender("OrderedMutex checks on", "throw");
const hooked = [checksOn, { ...bare, name: "bare await (hook on)" }, { ...asyncMutex, name: "async-mutex (hook on)" }];

// The child: installs the hooks with one checked acquisition, then runs what the parent asks for.
if (process.argv.includes("--hooked-child")) {
  await checksOn.runExclusive(checksOn.make(), 1);
  const byName = new Map(hooked.map((c) => [c.name, c]));
  process.on("message", async ({ id, what, name, caseKey, ops }) => {
    const c = byName.get(name);
    const value = what === "calibrate" ? await calibrate(c, caseKey) : await sample(c, caseKey, ops);
    process.send({ id, value });
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: true });
  await new Promise(() => {}); // serves until the parent disconnects, which exits
}

/** A handle that runs a hooked contender's calibration or sample in the child. */
function childRunner() {
  const child = fork(new URL(import.meta.url).pathname, ["--hooked-child"], { execArgv: process.execArgv, stdio: "inherit" });
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve) => child.once("message", resolve));
  child.on("message", ({ id, value }) => {
    if (id !== undefined) {
      pending.get(id)(value);
      pending.delete(id);
    }
  });
  const ask = (what, name, caseKey, ops) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, what, name, caseKey, ops });
    });
  return { ready, ask, close: () => child.disconnect() };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Interleaved rounds of every contender on every case; `remote` contenders run in the child.
 * Returns name -> caseKey -> { median, samples }, samples[i] taken in round i.
 */
async function measure(contenders, remote, child) {
  const all = [...contenders.map((c) => ({ c, remote: false })), ...remote.map((c) => ({ c, remote: true }))];
  const calibrateIn = ({ c, remote }, key) => (remote ? child.ask("calibrate", c.name, key) : calibrate(c, key));
  const sampleIn = ({ c, remote }, key, ops) => (remote ? child.ask("sample", c.name, key, ops) : sample(c, key, ops));
  const results = new Map(all.map(({ c }) => [c.name, {}]));
  for (const { key } of CASES) {
    const ops = new Map();
    for (const item of all) {
      await sampleIn(item, key, await calibrateIn(item, key)); // warm-up
      ops.set(item.c.name, await calibrateIn(item, key));
    }
    const samples = new Map(all.map(({ c }) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < all.length; i++) {
        const item = all[(round + i) % all.length];
        samples.get(item.c.name).push(await sampleIn(item, key, ops.get(item.c.name)));
      }
    }
    for (const { c } of all) results.get(c.name)[key] = { median: median(samples.get(c.name)), samples: samples.get(c.name) };
  }
  return results;
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const times = (x) => `${x.toFixed(2)}x`;

/** Ratio of two contenders on one case: the median of per-round ratios, which cancels drift and load bursts that hit both. */
function ratioOf(a, b, key) {
  return median(a[key].samples.map((value, round) => value / b[key].samples[round]));
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => "| " + cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ") + " |";
  return [line(header), "|" + widths.map((w, i) => (i === 0 ? ":" : "") + "-".repeat(w + 1) + (i === 0 ? "-" : ":")).join("|") + "|", ...rows.map(line)].join("\n");
}

console.log(
  `lock-discipline runtime benchmark: node ${process.version}, ${os.cpus().length} cpu(s) (${os.cpus()[0]?.model ?? "unknown"}), ` +
    `${ROUNDS} interleaved rounds per case`,
);
console.log("parent: bare await, await-lock, async-mutex, checks off (no promise hook installed)");
console.log("child: checks on (its first acquisition installs the promise hooks), bare await and async-mutex again beside it");
const child = childRunner();
await child.ready;
const results = await measure([bare, awaitLock, asyncMutex, checksOff], hooked, child);
child.close();

const rows = [];
const addRow = (name, perCase) => rows.push([name, ...CASES.map(({ key }) => fmt(perCase[key].median))]);
for (const [name, perCase] of results) addRow(name, perCase);
console.log("\nmedian ops/s (higher is better); an op is one acquire+release, one runExclusive, or one contended section");
console.log(table(["contender", ...CASES.map((c) => c.label)], rows));

const off = results.get(checksOff.name);
const on = results.get(checksOn.name);
const am = results.get(asyncMutex.name);
const al = results.get(awaitLock.name);
const amHooks = results.get("async-mutex (hook on)");
// Bounds per case: issue 12's goals for the uncontended cases, the earlier bounds for the contended one.
const goals = { uncontended: [20, 1.0, 5], runExclusive: [20, 1.0, 5], contended: [5, 0.7, 1.5] };
const ratios = [
  { label: "off / async-mutex", of: (k) => ratioOf(off, am, k), bound: (k) => goals[k][0] },
  { label: "off / await-lock", of: (k) => ratioOf(off, al, k), bound: (k) => goals[k][1] },
  { label: "on / async-mutex", of: (k) => ratioOf(on, am, k), bound: (k) => goals[k][2] },
  { label: "on / async-mutex (both hook on)", of: (k) => ratioOf(on, amHooks, k) },
  { label: "on / off", of: (k) => ratioOf(on, off, k) },
];
console.log("\nratios (median of per-round ratios)");
console.log(table(["case", ...ratios.map((r) => r.label)], CASES.map(({ key, label }) => [label, ...ratios.map((r) => times(r.of(key)))])));

console.log("\nbounds (\"on / async-mutex\" uses the parent's async-mutex, measured without the promise hooks)");
for (const r of ratios.filter((r) => r.bound !== undefined)) {
  for (const { key, label } of CASES) {
    const value = r.of(key);
    const bound = r.bound(key);
    console.log(`${value >= bound ? "PASS" : "FAIL"}  ${r.label} >= ${bound}x, ${label}: ${times(value)}`);
  }
}
if (sink < 0) console.log(sink); // keeps the work observable
