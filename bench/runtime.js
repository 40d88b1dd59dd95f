// Benchmark of the runtime locks: OrderedMutex with checks off and on, against async-mutex's Mutex,
// await-lock, and a bare `await null` per operation (the floor: one microtask hop).
//
// Run after `npm run build`:  node bench/runtime.js   (about a minute on the project's VM)
//   --quick            a short run: 1 worker pair, 20 rounds, samples 5x longer
//   --rounds N         interleaved rounds (default 800)
//   --processes N      worker pairs (default 3)
//   --scale N          samples N times the default size (about 1 ms of CPU time each here)
//   --ops N            every contender does exactly N operations per sample in the uncontended and
//                      runExclusive cases (issue 12's budgets were stated for 1M: --ops 1000000; slow,
//                      use it with --cases uncontended --rounds 20 --processes 1)
//   --cases a,b        only these cases (uncontended, runExclusive, contended)
//   --clock wall       time samples with the wall clock instead of the process's CPU time
//   --cpu N            pin every process to CPU N (default: the last one); --no-pin leaves them free
//   --no-gc            no minor GC before each sample
//   --dump file.json   also write every sample
//
// How it measures, and why. The project's VM has 2 cores that other work shares; with 200 ms samples
// in one pair of processes two runs disagreed by up to 27% on a ratio, with one process per contender
// by more.
// - Workers. The main process measures nothing. A clean worker runs bare / await-lock / async-mutex /
//   checks off and never installs a promise hook. Checks on installs the runtime's V8 promise hooks on
//   its first acquisition, and from then on every await in that process is slower (Node 20/22), so it
//   runs in a hooked worker, with bare and async-mutex measured again beside it to show what the hooks
//   cost everyone. A pair is one of each, and there are --processes pairs.
// - Rounds. Round r runs in pair r % processes: one sample of every case and contender, cases and
//   contenders in orders that rotate with r, one sample at a time (the main process waits for each), so
//   no two samples compete for the CPU, the samples a ratio pairs are milliseconds apart, and every
//   case is measured across the whole run. Ten samples of each before the rounds warm the JIT up.
// - Samples are short (SIZES below: about 1 ms of CPU time each here, the same work in every run),
//   each after a minor GC, timed with the process's CPU time, and every process is pinned to one CPU:
//   a short sample is rarely interrupted, and a neighbour's burst or a move to the other core hits few.
// - Ratios. A ratio of two contenders is the median of their per-round ratios, pooled over the pairs;
//   the report also shows the lowest and highest median of one pair's rounds. The table of speeds shows
//   median ops per CPU second. Each budget is printed next to its ratio; the process exits 0 either way.

import { Mutex } from "async-mutex";
import AwaitLock from "await-lock";
import { execFileSync, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { defineLockOrder } from "../dist/runtime/index.js";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const quick = args.includes("--quick");
const PROCESSES = Number(option("--processes", quick ? 1 : 3));
const ROUNDS = Number(option("--rounds", quick ? 20 : 800));
const SCALE = Number(option("--scale", quick ? 5 : 1));
const OPS = option("--ops") === undefined ? undefined : Number(option("--ops"));
const CLOCK = option("--clock", "cpu");
const MINOR_GC = !args.includes("--no-gc");
const TASKS = 100;

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

/**
 * Each contender: how one operation is done in each case. `make` builds a fresh lock per sample.
 * The lock contenders' loops are the same operation on purpose: the uncontended case is `await` the
 * acquisition, one increment, release (OrderedMutex: `const guard = await m.acquire(); sink++;
 * guard.release()`; await-lock: `await l.acquireAsync(); sink++; l.release()`), each in a loop of its
 * own (one shared loop would be polymorphic and slow every contender down differently).
 */
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

const ALL_CASES = [
  { key: "uncontended", label: "uncontended acquire/release" },
  { key: "runExclusive", label: "runExclusive" },
  { key: "contended", label: `contended (${TASKS} tasks)` },
];
const casesArg = option("--cases");
const CASES = casesArg === undefined ? ALL_CASES : ALL_CASES.filter(({ key }) => casesArg.split(",").includes(key));

/** CPU time of this process in ns (user + system): time the neighbours take from it does not count. */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}
const wallNow = () => Number(process.hrtime.bigint());
const now = CLOCK === "cpu" ? cpuNow : wallNow;

/** Runs one sample of `caseKey` (`size`: operations, or sections per task when contended); returns ops/s. */
async function sample(contender, caseKey, size) {
  const lock = contender.make();
  // Every sample starts with an empty young generation, whatever the last one left behind (a minor
  // GC: a full one would also shrink the young generation, which slows the allocating contenders).
  if (MINOR_GC) globalThis.gc?.({ type: "minor" });
  const switches = process.resourceUsage().involuntaryContextSwitches;
  const start = now();
  let ops = size;
  if (caseKey === "contended") {
    const tasks = [];
    for (let t = 0; t < TASKS; t++) {
      tasks.push(
        (async () => {
          for (let s = 0; s < size; s++) await contender.section(lock);
        })(),
      );
    }
    await Promise.all(tasks);
    ops = TASKS * size;
  } else {
    await contender[caseKey](lock, size);
  }
  const ns = Math.max(now() - start, 1);
  return { rate: ops / (ns / 1e9), ms: ns / 1e6, preempted: process.resourceUsage().involuntaryContextSwitches - switches };
}

/**
 * Operations per sample (sections per task when contended), fixed so that two runs measure the same
 * work: a sample's size changes what it measures a little (how many scavenges fall into it), and a
 * size found by timing differs from run to run. About 1 ms of CPU time each on the project's VM, and at
 * least 20 sections per task, so starting the 100 tasks stays a small part of a contended sample.
 * Where two contenders' ratio has a budget (await-lock and checks off), they do the same number of
 * operations, so a sample holds as many scavenges' worth of allocation for each (a short sample taken
 * after a minor GC sees at most a few). `--scale N` multiplies them by N; `--ops N` sets every
 * contender's uncontended and runExclusive samples to N operations.
 */
const SIZES = {
  "bare await": { uncontended: 16384, runExclusive: 16384, contended: 32 },
  "await-lock": { uncontended: 16384, runExclusive: 16384, contended: 20 },
  "async-mutex": { uncontended: 1024, runExclusive: 1024, contended: 20 },
  "OrderedMutex checks off": { uncontended: 16384, runExclusive: 16384, contended: 20 },
  "OrderedMutex checks on": { uncontended: 4096, runExclusive: 4096, contended: 20 },
  "bare await (hook on)": { uncontended: 8192, runExclusive: 8192, contended: 20 },
  "async-mutex (hook on)": { uncontended: 1024, runExclusive: 1024, contended: 20 },
};
const sizeOf = (contender, caseKey) =>
  OPS !== undefined && caseKey !== "contended" ? OPS : Math.max(1, Math.round(SIZES[contender.name][caseKey] * SCALE));

const checksOff = orderedContender("OrderedMutex checks off", "off");
const checksOn = { ...orderedContender("OrderedMutex checks on", "throw"), hooks: true };
/** `hooks`: runs in the hooked workers, which install the promise hooks first; the others run in the clean ones. */
const CONTENDERS = [
  bare,
  awaitLock,
  asyncMutex,
  checksOff,
  checksOn,
  { ...bare, name: "bare await (hook on)", hooks: true },
  { ...asyncMutex, name: "async-mutex (hook on)", hooks: true },
];

// A worker: runs the samples the main process asks for, one at a time. A hooked worker runs the
// contenders marked `hooks` and first installs the promise hooks with one checked acquisition; a clean
// one runs the others and never installs them.
const workerRole = option("--worker");
if (workerRole !== undefined) {
  const hooks = workerRole === "hooked";
  if (hooks) await checksOn.runExclusive(checksOn.make(), 1);
  process.on("message", async ({ id, index, caseKey }) => {
    const contender = CONTENDERS[index];
    if (Boolean(contender.hooks) !== hooks) throw new Error(`${contender.name} does not run in a ${workerRole} worker`);
    process.send({ id, value: await sample(contender, caseKey, sizeOf(contender, caseKey)) });
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: true });
  await new Promise(() => {}); // serves until the main process disconnects, which exits
}

/** A worker process ("clean" or "hooked"); `ask` runs a sample there. */
function startWorker(role) {
  const worker = fork(new URL(import.meta.url).pathname, [...args, "--worker", role], { execArgv: [...process.execArgv, "--expose-gc"], stdio: "inherit" });
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve) => worker.once("message", resolve));
  worker.on("message", ({ id, value }) => {
    if (id !== undefined) {
      pending.get(id)(value);
      pending.delete(id);
    }
  });
  const ask = (message) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      worker.send({ id, ...message });
    });
  return { ready, ask, close: () => worker.disconnect() };
}

/** A clean and a hooked worker; `ask(index, message)` goes to the one that runs contender `index`. */
function startPair() {
  const clean = startWorker("clean");
  const hooked = startWorker("hooked");
  return {
    ready: Promise.all([clean.ready, hooked.ready]),
    ask: (index, message) => (CONTENDERS[index].hooks ? hooked : clean).ask(message),
    close() {
      clean.close();
      hooked.close();
    },
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const INDEXES = CONTENDERS.map((_, index) => index);
/** Samples per contender, case and pair before the rounds, so the JIT has settled. */
const WARM_UP = 10;

/**
 * Every contender on every case, in interleaved rounds. Round r runs in worker pair r % PROCESSES: one
 * sample of every case and contender, cases and contenders in orders that rotate with r, so the samples
 * a ratio pairs are taken milliseconds apart and every case is measured across the whole run. Returns
 * name -> caseKey -> samples (one per round).
 */
async function measure(pairs) {
  const samples = CONTENDERS.map(() => Object.fromEntries(CASES.map(({ key }) => [key, []])));
  const sample = (pair, index, key) => pair.ask(index, { index, caseKey: key });
  for (const pair of pairs) {
    for (const { key } of CASES) for (const index of INDEXES) for (let k = 0; k < WARM_UP; k++) await sample(pair, index, key);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const pair = pairs[round % pairs.length];
    for (let c = 0; c < CASES.length; c++) {
      const { key } = CASES[(round + c) % CASES.length];
      for (let k = 0; k < INDEXES.length; k++) {
        const index = (round + k) % INDEXES.length;
        samples[index][key].push(await sample(pair, index, key));
      }
    }
  }
  return new Map(CONTENDERS.map((c, index) => [c.name, samples[index]]));
}

/** Pins this process, and so the workers it forks, to one CPU (Linux, with taskset); says what it did. */
function pin() {
  if (args.includes("--no-pin")) return "not pinned (--no-pin)";
  const cpu = Number(option("--cpu", os.cpus().length - 1));
  try {
    execFileSync("taskset", ["-cp", String(cpu), String(process.pid)], { stdio: "ignore" });
    return `every process pinned to CPU ${cpu}`;
  } catch {
    return "not pinned (taskset failed or is missing)";
  }
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const times = (x) => `${x.toFixed(2)}x`;

/**
 * Ratio of two contenders on one case: the median of the per-round ratios, which cancels drift and
 * load bursts that hit both and, pooled over the worker pairs, what one process's JIT happened to do;
 * with the lowest and highest median of one pair's rounds, to show how far the processes disagree.
 */
function ratioOf(a, b, key) {
  const perRound = a[key].map((sample, round) => sample.rate / b[key][round].rate);
  const perPair = Array.from({ length: PROCESSES }, (_, pair) => median(perRound.filter((_, round) => round % PROCESSES === pair)));
  return { median: median(perRound), low: Math.min(...perPair), high: Math.max(...perPair) };
}

/** A markdown table; the first `textColumns` columns are left-aligned, the others right-aligned. */
function table(header, rows, textColumns = 1) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const left = (i) => i < textColumns;
  const line = (cells) => "| " + cells.map((c, i) => (left(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (left(i) ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|") + "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const pinned = pin();
console.log(
  `lock-discipline runtime benchmark: node ${process.version}, ${os.cpus().length} cpu(s) (${os.cpus()[0]?.model ?? "unknown"}), ${pinned}; ` +
    `${PROCESSES} worker pair(s), ${ROUNDS} interleaved rounds, fixed sample sizes${OPS !== undefined ? ` (${OPS.toLocaleString("en-US")} ops uncontended and runExclusive)` : SCALE === 1 ? "" : ` x ${SCALE}`}, timed in ${CLOCK === "cpu" ? "CPU" : "wall-clock"} time`,
);
console.log("clean workers: bare await, await-lock, async-mutex, checks off (no promise hook installed)");
console.log("hooked workers: checks on (its first acquisition installs the promise hooks), bare await and async-mutex again beside it");
const pairs = Array.from({ length: PROCESSES }, startPair);
await Promise.all(pairs.map((pair) => pair.ready));
const started = Date.now();
const results = await measure(pairs);
for (const pair of pairs) pair.close();
if (option("--dump") !== undefined) writeFileSync(option("--dump"), JSON.stringify(Object.fromEntries(results)));
const all = [...results.values()].flatMap((perCase) => Object.values(perCase).flat());
const interrupted = all.filter((sample) => sample.preempted > 0).length;
console.log(
  `${all.length.toLocaleString("en-US")} samples in ${Math.round((Date.now() - started) / 1000)} s, ` +
    `${median(all.map((sample) => sample.ms)).toFixed(2)} ms each (median); ` +
    `${Math.round((100 * interrupted) / all.length)}% of them were preempted at least once (involuntary context switches)`,
);

const rows = [...results].map(([name, perCase]) => [name, ...CASES.map(({ key }) => fmt(median(perCase[key].map((sample) => sample.rate))))]);
console.log(`\nmedian ops per ${CLOCK === "cpu" ? "CPU " : ""}second (higher is better); an op is one acquire+release, one runExclusive, or one contended section`);
console.log(table(["contender", ...CASES.map((c) => c.label)], rows));

const off = results.get(checksOff.name);
const on = results.get(checksOn.name);
const am = results.get(asyncMutex.name);
const al = results.get(awaitLock.name);
const amHooks = results.get("async-mutex (hook on)");
// Budgets: issue 12's for the uncontended cases; the contended case keeps the earlier bounds.
const ISSUE = "issue 12";
const EARLIER = "earlier bound";
const budgets = {
  "off / async-mutex": { uncontended: [20, ISSUE], runExclusive: [20, ISSUE], contended: [5, EARLIER] },
  "off / await-lock": { uncontended: [1.0, ISSUE], runExclusive: [1.0, ISSUE], contended: [0.7, EARLIER] },
  "on / async-mutex": { uncontended: [5, ISSUE], runExclusive: [5, ISSUE], contended: [1.5, EARLIER] },
};
const ratios = [
  { label: "off / async-mutex", a: off, b: am },
  { label: "off / await-lock", a: off, b: al },
  { label: "on / async-mutex", a: on, b: am },
  { label: "on / async-mutex (both hook on)", a: on, b: amHooks },
  { label: "on / off", a: on, b: off },
  // The floor of the guard form: a promise per acquisition (each resolves to a guard of its own) is what
  // `await null` costs with nothing else, so checks off cannot pass bare await (docs/runtime.md). Not
  // for the contended case, where bare await's sections take no lock and wait for nothing.
  { label: "off / bare await", a: off, b: results.get(bare.name), cases: ["uncontended", "runExclusive"] },
];
const ratioRows = [];
let missed = 0;
for (const r of ratios) {
  for (const { key, label } of CASES.filter(({ key }) => r.cases === undefined || r.cases.includes(key))) {
    const { median: value, low, high } = ratioOf(r.a, r.b, key);
    const budget = budgets[r.label]?.[key];
    const verdict = budget === undefined ? "" : value >= budget[0] ? "met" : "NOT MET";
    if (verdict === "NOT MET") missed++;
    ratioRows.push([r.label, label, times(value), `${times(low)} - ${times(high)}`, budget === undefined ? "" : `>= ${budget[0]}x (${budget[1]})`, verdict]);
  }
}
console.log(`\nratios: median of the ${ROUNDS} per-round ratios; "one pair": the lowest and highest median of one worker pair's rounds`);
console.log('("on / async-mutex" compares with the clean workers\' async-mutex, measured without the promise hooks)');
console.log(table(["ratio", "case", "median", "one pair", "budget", ""], ratioRows, 2));
console.log(missed === 0 ? "\nevery budget met" : `\n${missed} budget(s) not met`);
if (sink < 0) console.log(sink); // keeps the work observable
