/**
 * The libraries of the recognition table (core/recognition.ts), imported from the real packages
 * (devDependencies): in discovery mode (no lock-order.json) their instances are undeclared lock
 * classes, listed with the table's kind and checked for cycles, as async-mutex's are
 * (async-mutex.test.ts). Declared, they are checked by fixtures/audit (await-lock*, mortice*).
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

/** The undeclared half of the await-lock fixture: two AwaitLock members in a cycle, here without a lock-order.json. */
const AWAIT_LOCK = readFileSync(join(AUDIT_FIXTURES, "await-lock/src/undeclared.ts"), "utf8");
const CYCLE_LINE = AWAIT_LOCK.split("\n").findIndex((line) => line.includes("// expect: cycle")) + 1;

describe("await-lock", () => {
  it("is recognized undeclared: AwaitLock members are lock classes, and their cycle is reported", async () => {
    const result = await analyze({ project: writeProject(AWAIT_LOCK, true) });
    expect(result.configFile).toBeNull();
    expect(locksOf(result)).toEqual(["Queue.lock mutex 2", "Worker.lock mutex 2"]);
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual([`cycle ${CYCLE_LINE}`]);
    expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual(["Queue.lock > Worker.lock", "Worker.lock > Queue.lock"]);
  });

  it("is recognized by its constructor imported from the package when its types are missing", async () => {
    const result = await analyze({ project: writeProject(AWAIT_LOCK, false) });
    expect(locksOf(result)).toEqual(["Queue.lock mutex 2", "Worker.lock mutex 2"]);
    expect(result.findings.filter((finding) => finding.ruleId === "cycle")).toHaveLength(1);
  });
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

/** The undeclared half of the async-lock fixture: two AsyncLock members in a cycle, with no release method. */
const ASYNC_LOCK = readFileSync(join(AUDIT_FIXTURES, "async-lock/src/undeclared.ts"), "utf8");
const ASYNC_LOCK_CYCLE = ASYNC_LOCK.split("\n").findIndex((line) => line.includes("// expect: cycle")) + 1;

describe("async-lock", () => {
  it("is recognized undeclared: AsyncLock members are keyed lock classes, and their cycle is reported (two keys of one nested are no re-entry)", async () => {
    const result = await analyze({ project: writeProject(ASYNC_LOCK, true) });
    expect(result.configFile).toBeNull();
    // Store.lock: save, compact (one call site for its two keys), move's two calls.
    expect(locksOf(result)).toEqual(["Cache.lock keyed 2", "Store.lock keyed 4"]);
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual([`cycle ${ASYNC_LOCK_CYCLE}`]);
    // Store.lock under itself: two keys of one keyed lock nested (compact's list, move), observed but no cycle.
    expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual(["Cache.lock > Store.lock", "Store.lock > Cache.lock", "Store.lock > Store.lock"]);
  });

  it("is recognized by its constructor imported from the package when its types are missing", async () => {
    const result = await analyze({ project: writeProject(ASYNC_LOCK, false) });
    expect(locksOf(result)).toEqual(["Cache.lock keyed 2", "Store.lock keyed 4"]);
    expect(result.findings.filter((finding) => finding.ruleId === "cycle")).toHaveLength(1);
  });
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

/** The undeclared half of the redlock fixture: two Redlock members in a cycle. */
const REDLOCK = readFileSync(join(AUDIT_FIXTURES, "redlock/src/undeclared.ts"), "utf8");
const REDLOCK_CYCLE = REDLOCK.split("\n").findIndex((line) => line.includes("// expect: cycle")) + 1;

describe("redlock", () => {
  it("is recognized undeclared: Redlock members are keyed lock classes (distributed locks nest like local ones), and their cycle is reported", async () => {
    const result = await analyze({ project: writeProject(REDLOCK, true) });
    expect(result.configFile).toBeNull();
    expect(locksOf(result)).toEqual(["Jobs.redlock keyed 2", "Queue.redlock keyed 2"]);
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual([`cycle ${REDLOCK_CYCLE}`]);
    expect(result.graph.edges.map((edge) => `${edge.from} > ${edge.to}`).sort()).toEqual(["Jobs.redlock > Queue.redlock", "Queue.redlock > Jobs.redlock"]);
  });

  it("is recognized by its constructor imported from the package when its types are missing", async () => {
    const result = await analyze({ project: writeProject(REDLOCK, false) });
    expect(locksOf(result)).toEqual(["Jobs.redlock keyed 2", "Queue.redlock keyed 2"]);
    expect(result.findings.filter((finding) => finding.ruleId === "cycle")).toHaveLength(1);
  });
});
