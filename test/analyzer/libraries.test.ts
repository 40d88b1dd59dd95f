/**
 * The libraries of the recognition table (core/recognition.ts), imported from the real packages
 * (devDependencies): in discovery mode (no lock-order.json) their instances are undeclared lock
 * classes, listed with the table's kind and checked for cycles, as async-mutex's are
 * (async-mutex.test.ts); Web Locks' literal names are lock classes `navigator.locks:<name>`. Declared,
 * they are checked by fixtures/audit (await-lock*, mortice*, async-lock*, web-locks*, redlock*).
 */
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { tempDir } from "../support/temp.js";
import { AUDIT_FIXTURES, REPO_ROOT, runCaptured } from "./helpers.js";

/** A project without lock-order.json; with `packages`, the repository's node_modules resolve the imports. */
function writeProject(source: string, packages: boolean, lib?: string[]): string {
  const dir = tempDir("lock-audit-libraries-");
  if (packages) symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const compilerOptions = { target: "es2022", module: "nodenext", strict: true, noEmit: true, skipLibCheck: true, types: [], ...(lib ? { lib } : {}) };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["main.ts"] }));
  writeFileSync(join(dir, "main.ts"), source);
  return dir;
}

function locksOf(result: Awaited<ReturnType<typeof analyze>>): string[] {
  return result.graph.locks.map((lock) => `${lock.key} ${lock.kind} ${lock.sites}`).sort();
}


/**
 * The undeclared half of a library's fixture (`fixtures/audit/<library>/src/undeclared.ts`), analyzed
 * without lock-order.json: its lock classes, its one cycle (on the `// expect: cycle` line) and its
 * nesting edges; then, without the package's types, the same lock classes by their constructor.
 */
function describeUndeclaredHalf(library: string, what: string, expected: { locks: string[]; edges: string[] }): void {
  const source = readFileSync(join(AUDIT_FIXTURES, `${library}/src/undeclared.ts`), "utf8");
  const cycleLine = source.split("\n").findIndex((line) => line.includes("// expect: cycle")) + 1;
  describe(library, () => {
    it(`is recognized undeclared: ${what}, and their cycle is reported`, async () => {
      const result = await analyze({ project: writeProject(source, true) });
      expect(result.configFile).toBeNull();
      expect(locksOf(result)).toEqual(expected.locks);
      expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual([`cycle ${cycleLine}`]);
      expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual(expected.edges);
    });

    it("is recognized by its constructor imported from the package when its types are missing", async () => {
      const result = await analyze({ project: writeProject(source, false) });
      expect(locksOf(result)).toEqual(expected.locks);
      expect(result.findings.filter((finding) => finding.ruleId === "cycle")).toHaveLength(1);
    });
  });
}

describeUndeclaredHalf("await-lock", "AwaitLock members are lock classes", {
  locks: ["Queue.lock mutex 2", "Worker.lock mutex 2"],
  edges: ["Queue.lock > Worker.lock", "Worker.lock > Queue.lock"],
});

const MORTICE = `import mortice from "mortice";

/** A module-level lock and a member, each an undeclared lock class. */
export const registry = mortice({ name: "registry" });

export class Pins {
  readonly lock = mortice();
  async pin(): Promise<void> {
    const release = await this.lock.readLock();
    try {
      const inner = await registry.writeLock();
      inner();
    } finally {
      release();
    }
  }
  async compact(): Promise<void> {
    const release = await registry.writeLock();
    try {
      await this.lock.writeLock().then((unpin) => unpin());
    } finally {
      release();
    }
  }
}
`;

describe("mortice", () => {
  it("is recognized undeclared: mortice() locks are rwlocks (the table's kind, though one is only written), and their cycle is reported", async () => {
    const result = await analyze({ project: writeProject(MORTICE, true) });
    expect(locksOf(result)).toEqual(["Pins.lock rwlock 2", "main.ts#registry rwlock 2"]);
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual(["cycle 11"]);
  });

  it("is recognized by its factory imported from the package when its types are missing", async () => {
    const result = await analyze({ project: writeProject(MORTICE, false) });
    expect(locksOf(result)).toEqual(["Pins.lock rwlock 2", "main.ts#registry rwlock 2"]);
  });
});

describeUndeclaredHalf("async-lock", "AsyncLock members are keyed lock classes though they have no release (two keys of one nested are no re-entry)", {
  // Store.lock: save, compact (one call site for its two keys), move's two calls.
  locks: ["Cache.lock keyed 2", "Store.lock keyed 4"],
  // Store.lock under itself: two keys of one keyed lock nested (compact's list, move), observed but no cycle.
  edges: ["Cache.lock > Store.lock", "Store.lock > Cache.lock", "Store.lock > Store.lock"],
});

/** The undeclared half of the Web Locks fixture: two literal names requested in opposite orders, and a name that is not a literal. */
const WEB_LOCKS = readFileSync(join(AUDIT_FIXTURES, "web-locks/src/undeclared.ts"), "utf8");
const WEB_LOCKS_CYCLE = WEB_LOCKS.split("\n").findIndex((line) => line.includes("// expect: cycle")) + 1;

describe("Web Locks", () => {
  it("is recognized undeclared: each literal name is an rwlock class navigator.locks:<name>, and their cycle is reported", async () => {
    for (const lib of [["es2023", "dom"], undefined]) {
      // With the DOM lib or without it (navigator unresolved): the global and the literal name are enough.
      const result = await analyze({ project: writeProject(WEB_LOCKS, false, lib) });
      expect(result.configFile).toBeNull();
      expect(locksOf(result)).toEqual(["navigator.locks:alpha rwlock 2", "navigator.locks:beta rwlock 2"]);
      expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual([`cycle ${WEB_LOCKS_CYCLE}`]);
      expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual(["navigator.locks:alpha > navigator.locks:beta", "navigator.locks:beta > navigator.locks:alpha"]);
    }
  });

  it("lock-audit init proposes the observed order with navigator.locks:<name> targets", async () => {
    const dir = writeProject(`export async function fill(): Promise<void> {
  await navigator.locks.request("cache", async () => {
    await navigator.locks.request("sync", { mode: "shared" }, () => undefined);
  });
}
`, false, ["es2023", "dom"]);
    const { code, stdout } = await runCaptured(["init", "--project", dir], { cwd: dir });
    expect(code).toBe(0);
    const targets = [...stdout.matchAll(/"target": "([^"]+)"/g)].map((match) => match[1]);
    expect(targets).toEqual(["navigator.locks:cache", "navigator.locks:sync"]);
  });
});

describeUndeclaredHalf("redlock", "Redlock members are keyed lock classes (distributed locks nest like local ones)", {
  locks: ["Jobs.redlock keyed 2", "Queue.redlock keyed 2"],
  edges: ["Jobs.redlock > Queue.redlock", "Queue.redlock > Jobs.redlock"],
});

describe("a lock member annotated with a library's type, assigned in the constructor (boltz's InstrumentedLock)", () => {
  const source = [
    `import AsyncLock from "async-lock";`,
    `export class Nursery {`,
    `  private readonly lock: AsyncLock;`,
    `  constructor(private readonly tracker: Tracker) { this.lock = new AsyncLock(); }`,
    `  async settle(id: string): Promise<void> { await this.lock.acquire("swap", () => this.tracker.check(id)); }`,
    `}`,
    `export class Tracker {`,
    `  private readonly lock: AsyncLock;`,
    `  constructor() { this.lock = new AsyncLock(); }`,
    `  async check(id: string): Promise<void> { await this.lock.acquire("check", () => id); }`,
    `}`,
  ].join("\n");

  it.each([
    ["with the package's types", true],
    ["without them (the annotation names the import)", false],
  ])("is a lock class %s", async (_, packages) => {
    const result = await analyze({ project: writeProject(source, packages) });
    expect(locksOf(result)).toEqual(["Nursery.lock keyed 1", "Tracker.lock keyed 1"]);
    expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`)).toEqual(["Nursery.lock > Tracker.lock"]);
  });
});

describe("wrapper classes: a class whose method runs its callback parameter under a lock of its own is a lock (boltz's InstrumentedLock)", () => {
  const wrapper = [
    `import AsyncLock from "async-lock";`,
    `export class InstrumentedLock {`,
    `  private readonly lock: AsyncLock;`,
    `  constructor(readonly name: string) { this.lock = new AsyncLock(); }`,
    `  acquire = async <T>(key: string, op: string, cb: () => Promise<T> | T): Promise<T> =>`,
    `    this.lock.acquire(key, async () => { void op; return await cb(); });`,
    `}`,
  ];
  const users = [
    `export class Nursery {`,
    `  readonly lock = new InstrumentedLock("nursery");`,
    `  tracker?: Tracker;`,
    `  async settle(id: string): Promise<void> { await this.lock.acquire("swap", "settle", async () => { await this.tracker?.check(id); }); }`,
    `  async forget(id: string): Promise<void> { await this.lock.acquire(id, "forget", () => undefined); }`,
    `}`,
    `export class Tracker {`,
    `  private readonly lock = new InstrumentedLock("tracker");`,
    `  nursery?: Nursery;`,
    `  private withLock = <T>(op: string, cb: () => Promise<T>): Promise<T> => this.lock.acquire("tracker", op, cb);`,
    `  async check(id: string): Promise<void> { await this.lock.acquire("check", "check", () => id); }`,
    `  async sweep(id: string): Promise<void> { await this.withLock("sweep", async () => { await this.nursery?.forget(id); }); }`,
    `}`,
  ];
  const source = [...wrapper, ...users].join("\n");
  const lineOf = (text: string) => source.split("\n").findIndex((line) => line.includes(text)) + 1;

  it.each([
    ["with the package's types", true],
    ["without them (the inner lock is known by its annotation)", false],
  ])("its fields are keyed lock classes %s, taken by reference too, and their cycle is reported", async (_, packages) => {
    const result = await analyze({ project: writeProject(source, packages) });
    expect(locksOf(result)).toEqual(["InstrumentedLock.lock keyed 1", "Nursery.lock keyed 2", "Tracker.lock keyed 2"]);
    expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual(["Nursery.lock > Tracker.lock", "Tracker.lock > Nursery.lock"]);
    // One cycle, reported at one of its two nesting sites.
    const cycles = result.findings.filter((finding) => finding.ruleId === "cycle").map((finding) => finding.location.line);
    expect(cycles).toHaveLength(1);
    expect([lineOf("this.tracker?.check(id)"), lineOf("this.nursery?.forget(id)")]).toContain(cycles[0]);
  });

  it("is no lock when its method does not run the callback under its lock", async () => {
    const logger = source.replace("this.lock.acquire(key, async () => { void op; return await cb(); })", "(this.lock.acquire(key, async () => { void op; }), cb())");
    const result = await analyze({ project: writeProject(logger, true) });
    expect(locksOf(result)).toEqual(["InstrumentedLock.lock keyed 1"]);
    expect(result.findings).toEqual([]);
  });
});

describe("locks in collections, locals and factories (MetaMask's nonce mutexes, powersync's this.locks.get(type))", () => {
  const source = [
    `import { Mutex } from "async-mutex";`,
    `export class Accounts {`,
    `  readonly #locks = new Map<string, Mutex>();`,
    `  ledger?: Ledger;`,
    `  #lockFor(id: string): Mutex {`,
    `    let lock = this.#locks.get(id);`,
    `    if (!lock) { lock = new Mutex(); this.#locks.set(id, lock); }`,
    `    return lock;`,
    `  }`,
    `  async deposit(id: string): Promise<void> { await this.#lockFor(id).runExclusive(async () => { await this.ledger?.append(id); }); }`,
    `  async audit(id: string): Promise<void> {`,
    `    const lock = this.#locks.get(id) ?? new Mutex();`,
    `    await lock.runExclusive(() => this.#lockFor(id).runExclusive(() => undefined));`,
    `  }`,
    `  async transfer(from: string, to: string): Promise<void> { await this.#lockFor(from).runExclusive(() => this.#lockFor(to).runExclusive(() => undefined)); }`,
    `}`,
    `export class Ledger {`,
    `  readonly #mutex = new Mutex();`,
    `  accounts?: Accounts;`,
    `  getLock(): Mutex { return this.#mutex; }`,
    `  async append(id: string): Promise<void> { const m = this.getLock(); const release = await m.acquire(); try { void id; } finally { release(); } }`,
    `  async compact(): Promise<void> { await this.getLock().runExclusive(async () => { await this.accounts?.deposit("all"); }); }`,
    `}`,
  ].join("\n");
  const lineOf = (text: string) => source.split("\n").findIndex((line) => line.includes(text)) + 1;

  it.each([
    ["with the package's types", true],
    ["without them (the map's element type names the import)", false],
  ])("a Map of mutexes is one keyed lock class, a lock returned by a method is that lock %s", async (_, packages) => {
    const result = await analyze({ project: writeProject(source, packages) });
    expect(locksOf(result)).toEqual(["Accounts.#locks keyed 5", "Ledger.#mutex mutex 2"]);
    expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual([
      "Accounts.#locks > Accounts.#locks", // two accounts, or one re-taken
      "Accounts.#locks > Ledger.#mutex",
      "Ledger.#mutex > Accounts.#locks",
      "Ledger.#mutex > Ledger.#mutex", // compact → deposit → append
    ]);
    // The two classes nest both ways: one cycle. The same key re-taken (audit) is a re-entry, two keys
    // (transfer) are not; compact re-enters the ledger through deposit → append.
    const cycles = result.findings.filter((finding) => finding.ruleId === "cycle").map((finding) => finding.location.line);
    expect(cycles).toHaveLength(1);
    expect([lineOf("await this.ledger?.append(id)"), lineOf("await this.accounts?.deposit")]).toContain(cycles[0]);
    const reentries = result.findings.filter((finding) => finding.ruleId === "no-recursion").map((finding) => finding.location.line);
    expect(reentries.sort((a, b) => a - b)).toEqual([lineOf("await lock.runExclusive"), lineOf("await this.accounts?.deposit")].sort((a, b) => a - b));
  });
});

describe("a home-grown keyed lock's own map of mutexes", () => {
  it("is how that lock works, not a lock class of its own", async () => {
    const source = [
      `import { Mutex } from "async-mutex";`,
      `export class KeyedLocks {`,
      `  readonly #locks = new Map<string, Mutex>();`,
      `  async acquire(key: string): Promise<void> { let m = this.#locks.get(key); if (!m) { m = new Mutex(); this.#locks.set(key, m); } await m.acquire(); }`,
      `  release(key: string): void { this.#locks.get(key)?.release(); }`,
      `}`,
      `export class Jobs {`,
      `  readonly locks = new KeyedLocks();`,
      `  async run(id: string): Promise<void> { await this.locks.acquire(id); this.locks.release(id); }`,
      `}`,
    ].join("\n");
    const result = await analyze({ project: writeProject(source, true) });
    expect(locksOf(result)).toEqual(["Jobs.locks mutex 1"]);
  });
});
