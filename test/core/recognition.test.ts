/**
 * Both front ends read calls through core/recognition.ts. This checks the table and its lookups, that
 * no other source file spells what the table holds, and then that the ESLint rules and lock-audit
 * reach the same verdict on the same code: task boundaries do not count toward a suffix, and
 * same-lock wrappers are the lock they wrap.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import tsParser from "@typescript-eslint/parser";
import { Linter, type ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { DEFAULT_METHODS } from "../../core/policy.js";
import {
  CALLBACK_METHODS,
  CALLBACK_STORES,
  DISPOSE_SYMBOL_OWNER,
  DISPOSE_SYMBOLS,
  ELEMENT_CALLBACK_METHODS,
  ID_FACTORY_METHODS,
  isTaskBoundaryCall,
  libraryOfCreation,
  libraryOfShape,
  libraryOfTypeName,
  LOCK_LIBRARIES,
  methodShape,
  NAMED_LOCK_GLOBALS,
  namedLocksOf,
  PROMISE_CONTINUATION,
  SAME_LOCK_WRAPPERS,
  TASK_BOUNDARIES,
  wrappedLockArgument,
} from "../../core/recognition.js";
import plugin from "../../rules/index.js";
import { REPO_ROOT } from "../analyzer/helpers.js";
import { tempDir } from "../support/temp.js";

describe("recognition names", () => {
  it("knows timers, microtasks, process.nextTick and event registration as task boundaries", () => {
    expect(isTaskBoundaryCall("setTimeout", false, undefined)).toBe(true);
    expect(isTaskBoundaryCall("setTimeout", true, "globalThis")).toBe(true);
    expect(isTaskBoundaryCall("queueMicrotask", false, undefined)).toBe(true);
    expect(isTaskBoundaryCall("nextTick", true, "process")).toBe(true);
    expect(isTaskBoundaryCall("nextTick", true, "scheduler")).toBe(false);
    expect(isTaskBoundaryCall("prependOnceListener", true, "emitter")).toBe(true);
    expect(isTaskBoundaryCall("on", false, undefined)).toBe(false);
    expect(isTaskBoundaryCall("map", true, "items")).toBe(false);
    // Routes register only with a path first: `map.get(key)` and `cache.get(key, load)` do not.
    expect(isTaskBoundaryCall("get", true, "router", true)).toBe(true);
    expect(isTaskBoundaryCall("get", true, "cache", false)).toBe(false);
    expect(isTaskBoundaryCall("addListener", true, "emitter")).toBe(true);
    expect([...SAME_LOCK_WRAPPERS].sort()).toEqual(["tryAcquire", "withTimeout"]);
    expect(wrappedLockArgument("withTimeout")).toBe(0);
    expect(wrappedLockArgument("setTimeout")).toBeUndefined();
  });
});

describe("the recognition table", () => {
  it("keeps every default method name there was before the table, by the same action", () => {
    // The lists of core/policy.ts before they moved into the table.
    const before = {
      write: ["acquire", "lock", "write", "writeLock", "acquireWrite", "runExclusive", "runWrite", "withLock", "withWriteLock"],
      read: ["read", "readLock", "acquireRead", "runRead", "runShared", "withReadLock"],
      release: ["release", "unlock"],
    };
    for (const action of ["write", "read", "release"] as const) expect(DEFAULT_METHODS[action]).toEqual(expect.arrayContaining(before[action]));
    // redlock v5's using(resources, duration, fn), Web Locks' request(name, [options], cb); async-lock's
    // acquire(key, fn) has its callback on keyed locks only.
    expect([...CALLBACK_METHODS].sort()).toEqual(["request", "runExclusive", "runRead", "runShared", "runWrite", "using", "withLock", "withReadLock", "withWriteLock"]);
    // The table's own additions: await-lock, redlock, Web Locks and the runtime's try-locks.
    expect(DEFAULT_METHODS.write.filter((name) => !before.write.includes(name))).toEqual(["acquireAsync", "tryAcquire", "using", "request", "tryWrite"]);
    expect(DEFAULT_METHODS.read.filter((name) => !before.read.includes(name))).toEqual(["tryRead"]);
    expect(DEFAULT_METHODS.release).toEqual(before.release);
  });

  it("gives every name one shape, merged over the libraries that have it", () => {
    const shape = (name: string) => {
      const { callback, returns, waits } = methodShape(name);
      return { callback, returns: [...returns].sort(), waits };
    };
    expect(shape("runExclusive")).toEqual({ callback: 0, returns: ["result"], waits: true });
    // async-mutex's releaser and `[value, release]`, the runtime's guard, a home-grown lock's nothing.
    expect(shape("acquire")).toEqual({ callback: undefined, returns: ["guard", "nothing", "releaser", "tuple"], waits: true });
    expect(shape("acquireAsync")).toEqual({ callback: undefined, returns: ["nothing"], waits: true });
    expect(shape("tryAcquire")).toEqual({ callback: undefined, returns: ["guard", "success"], waits: false });
    expect(shape("readLock")).toEqual({ callback: undefined, returns: ["guard", "nothing", "releaser", "tuple"], waits: true });
    // A name only lock-order.json `methods` knows: whatever the code shows, and it waits.
    expect(shape("enterCritical")).toEqual({ callback: undefined, returns: ["guard", "nothing", "releaser", "tuple"], waits: true });
    // On a keyed lock, async-lock's acquire(key, fn) adds its callback and its key list.
    expect(methodShape("acquire", true).callback).toBe(0);
    expect(methodShape("acquire", true).keySequence).toBe(true);
    expect(methodShape("acquire").keySequence).toBe(false);
    // ... but only where that argument is a function: redlock's acquire(resources, ttl) takes a number there.
    expect(methodShape("acquire", true).callbackIfFunction).toBe(true);
    expect(methodShape("runExclusive", true).callbackIfFunction).toBe(false);
    // redlock v4's redlock.unlock(lock) releases the handle it is given.
    expect(methodShape("unlock").handleArgument).toBe(0);
    expect(shape("using")).toEqual({ callback: "last", returns: ["result"], waits: true });
    // Web Locks: the callback is the last argument, an options literal may make it shared or a try-lock.
    expect(shape("request")).toEqual({ callback: "last", returns: ["result"], waits: true });
    expect(methodShape("request").options).toEqual({ argument: 1, mode: { property: "mode", read: "shared" }, noWait: "ifAvailable" });
  });

  it("identifies undeclared lock objects by type name, shape, constructor or factory of the library's module", () => {
    expect(libraryOfTypeName("Mutex")?.id).toBe("async-mutex");
    expect(libraryOfTypeName("AwaitLock")?.id).toBe("await-lock");
    expect(libraryOfTypeName("Mortice")?.kind).toBe("rwlock");
    expect(libraryOfTypeName("Map")).toBeUndefined();
    const has = (...methods: string[]) => (name: string) => methods.includes(name);
    expect(libraryOfShape(has("acquire", "release", "isLocked"))?.id).toBe("home-grown");
    expect(libraryOfShape(has("acquireAsync", "tryAcquire", "release"))?.id).toBe("await-lock");
    expect(libraryOfShape(has("acquire"))).toBeUndefined();
    expect(libraryOfCreation("await-lock", "default", "new")?.id).toBe("await-lock");
    expect(libraryOfCreation("mortice", "default", "call")?.id).toBe("mortice");
    expect(libraryOfCreation("mortice", "default", "new")).toBeUndefined();
    expect(libraryOfCreation("./mortice.js", "default", "call")).toBeUndefined();
    expect([...ID_FACTORY_METHODS].sort()).toEqual(["mutex", "rwlock"]);
    expect(libraryOfTypeName("AsyncLock")?.kind).toBe("keyed");
    expect(libraryOfCreation("async-lock", "default", "new")?.id).toBe("async-lock");
    expect(libraryOfTypeName("Redlock")?.kind).toBe("keyed");
    expect(libraryOfCreation("redlock", "default", "new")?.id).toBe("redlock");
    expect(NAMED_LOCK_GLOBALS).toEqual(["navigator.locks"]);
    expect(namedLocksOf("navigator.locks")?.named.nameArgument).toBe(0);
    expect(namedLocksOf("locks")).toBeUndefined();
  });

  it("is well formed: acquisitions say what they return, only the home-grown conventions and globals have no module", () => {
    const ids = LOCK_LIBRARIES.map((library) => library.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const library of LOCK_LIBRARIES) {
      expect(library.modules.length > 0 || library.id === "home-grown" || library.identify.named !== undefined).toBe(true);
      expect(Object.values(library.identify).some((value) => (Array.isArray(value) ? value.length > 0 : value !== undefined))).toBe(true);
      for (const method of library.methods) {
        if (method.action !== "release") expect(method.returns?.length, `${library.id} ${method.name}`).toBeGreaterThan(0);
        if (method.callback !== undefined) expect(method.returns).toEqual(["result"]);
      }
    }
  });
});

describe("docs/architecture.md", () => {
  it("lists the supported libraries as the table has them", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/architecture.md"), "utf8");
    const listed = /<!-- libraries:start -->\n([\s\S]*?)<!-- libraries:end -->/.exec(doc)?.[1];
    const rows = ["| library | recognized |", "| --- | --- |", ...LOCK_LIBRARIES.map((library) => `| \`${library.id}\` | ${library.note} |`)];
    expect(listed).toBe(`${rows.join("\n")}\n`);
  });

  it("docs/lock-order.md lists the default method names the table makes", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/lock-order.md"), "utf8");
    for (const action of ["write", "read", "release"] as const) {
      const row = new RegExp(`^\\| \`${action}\`[^|]*\\| (.*) \\|$`, "m").exec(doc)?.[1];
      expect(row, action).toBe(DEFAULT_METHODS[action].map((name) => `\`${name}\``).join(", "));
    }
  });
});

/**
 * The table is the only place that spells a lock method, a lock type, a wrapper or a task boundary.
 * A name of the table written as a string literal anywhere else in core/, rules/ or analyzer/ (code,
 * not comments) fails this test, except for the words the model itself is made of — actions
 * (`write`, `read`, `release`), step kinds (`acquire`), lock kinds (`mutex`, `rwlock`) and the
 * package's name — which fail only where compared with a name from the code (`name.text === "release"`).
 */
describe("the table is the only place", () => {
  // `get` and `set` are also accessor kinds (`resolveAccessor(access, "get")`), not only route and store names.
  const vocabulary = new Set(["write", "read", "release", "acquire", "mutex", "rwlock", "keyed", "lock-discipline", "get", "set"]);
  /** Literals that are words of output, not recognition: file → literal → why. */
  const allowed: Record<string, Record<string, string>> = {
    "analyzer/command.ts": { lock: "the word in `wrote … (1 lock)`" },
    "analyzer/reporters/html.ts": { lock: "the word in the lock graph's heading" },
    "analyzer/init.ts": { lock: "a word left out of proposed ids, and the fallback id" },
    "core/messages.ts": { using: "the `using` declaration in the release rule's advice, not redlock's method" },
    "rules/index.ts": { "lock-discipline": "the package's own manifest, read for its version" },
    "analyzer/version.ts": { "lock-discipline": "the package's own manifest, read for its version" },
  };

  const tableNames = new Set<string>([PROMISE_CONTINUATION, DISPOSE_SYMBOL_OWNER, ...DISPOSE_SYMBOLS, ...ID_FACTORY_METHODS]);
  for (const library of LOCK_LIBRARIES) {
    for (const method of library.methods) tableNames.add(method.name);
    for (const name of [...(library.identify.typeNames ?? []), ...(library.identify.shapes ?? []).flat(), ...(library.identify.constructors ?? []), ...(library.identify.factories ?? [])]) {
      if (name !== "default") tableNames.add(name);
    }
    for (const wrapper of library.wrappers ?? []) tableNames.add(wrapper.name);
    for (const module of library.modules) tableNames.add(module);
  }
  for (const library of LOCK_LIBRARIES) {
    const named = library.identify.named;
    if (named) tableNames.add(named.global);
    for (const method of library.methods) {
      if (method.options?.mode) tableNames.add(method.options.mode.read);
      if (method.options?.noWait) tableNames.add(method.options.noWait);
    }
  }
  for (const boundary of TASK_BOUNDARIES) {
    tableNames.add(boundary.name);
    if (boundary.receiver) tableNames.add(boundary.receiver);
  }
  for (const store of CALLBACK_STORES) tableNames.add(store.name);
  for (const name of ELEMENT_CALLBACK_METHODS) tableNames.add(name);

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? sources(path) : entry.name.endsWith(".ts") ? [path] : [];
    });
  }

  /** The code of a file without its comments (a `//` inside a string only hides the rest of its line). */
  const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " ")).replace(/\/\/.*$/gm, "");

  it("no source file but core/recognition.ts spells a name of the table", () => {
    expect(tableNames.size).toBeGreaterThan(40);
    const literal = /(["'`])([A-Za-z_$][\w$.-]*)\1/g;
    const compared = /(?:\.text|\.name|\bname|\bmethod|Name)\s*[!=]==?\s*(["'`])([\w$-]+)\1|getPropertyOfType\([^)]*,\s*(["'`])([\w$-]+)\3\)|\.(?:has|includes)\((["'`])([\w$-]+)\5\)/g;
    const found: string[] = [];
    for (const file of ["core", "rules", "analyzer"].flatMap((dir) => sources(join(REPO_ROOT, dir)))) {
      const path = relative(REPO_ROOT, file).split("\\").join("/");
      if (path === "core/recognition.ts") continue;
      code(readFileSync(file, "utf8"))
        .split("\n")
        .forEach((line, index) => {
          for (const match of line.matchAll(literal)) {
            const name = match[2];
            if (tableNames.has(name) && !vocabulary.has(name) && !allowed[path]?.[name]) found.push(`${path}:${index + 1} "${name}"`);
          }
          for (const match of line.matchAll(compared)) {
            const name = match[2] ?? match[4] ?? match[6];
            if (tableNames.has(name) && !allowed[path]?.[name]) found.push(`${path}:${index + 1} compares with "${name}"`);
          }
        });
    }
    expect(found).toEqual([]);
  });

  it("catches a hard-coded name (the check itself)", () => {
    const line = code(`if (callee.name.text === "runExclusive") return; // "acquire" in a comment`);
    expect(line).toContain('"runExclusive"');
    expect(line).not.toContain('"acquire"');
  });
});

const SOURCE = `class Mutex {
  async acquire(): Promise<() => void> { return () => undefined; }
  release(): void {}
  async runExclusive<T>(fn: () => T): Promise<T> { return fn(); }
}
declare function withTimeout<T>(lock: T, ms: number): T;
declare function tryAcquire<T>(lock: T): T;
declare function setTimeout(fn: () => void, ms: number): unknown;
declare const process: { nextTick(fn: () => void): void };
interface Emitter { prependListener(event: string, fn: () => void): void }

export class Server {
  readonly member = new Mutex();
  readonly blockList = new Mutex();

  async direct_sm(): Promise<void> {
    await this.member.runExclusive(() => undefined);
  }

  async later(events: Emitter): Promise<void> {
    events.prependListener("joined", () => this.direct_sm());
    process.nextTick(() => this.direct_sm());
    setTimeout(() => this.direct_sm(), 10);
  }

  async viaWrappers_sm_sbl(): Promise<void> {
    await withTimeout(this.member, 10).runExclusive(() => undefined);
    await tryAcquire(this.blockList).runExclusive(() => undefined);
  }

  async misnamed_sbl(): Promise<void> {
    await tryAcquire(this.member).runExclusive(() => undefined);
  }
}
`;
const LOCK_ORDER = {
  locks: [
    { id: "sm", target: "Server.member", kind: "mutex" },
    { id: "sbl", target: "Server.blockList", kind: "mutex" },
  ],
};
const MISNAMED_LINE = SOURCE.split("\n").findIndex((line) => line.includes("misnamed_sbl")) + 1;

describe("the ESLint rules and lock-audit agree", () => {
  it("on task boundaries and same-lock wrappers", async () => {
    const linter = new Linter({ configType: "flat" });
    const messages = linter.verify(
      SOURCE,
      [
        { files: ["**/*.ts"], languageOptions: { parser: tsParser } },
        { files: ["**/*.ts"], plugins: { "lock-discipline": plugin as unknown as ESLint.Plugin }, rules: { "lock-discipline/suffix": "error" } },
        { settings: { "lock-discipline": { policy: LOCK_ORDER, lockOrder: "/virtual/lock-order.json" } } },
      ],
      "server.ts",
    );
    expect(messages.map((m) => `${m.ruleId}:${m.line}${m.ruleId ? "" : ` ${m.message}`}`)).toEqual([`lock-discipline/suffix:${MISNAMED_LINE}`]);

    const dir = tempDir("recognition-");
    writeFileSync(join(dir, "server.ts"), SOURCE);
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify(LOCK_ORDER));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "es2022", strict: true, noEmit: true, types: [] }, files: ["server.ts"] }));
    const { findings } = await analyze({ project: join(dir, "tsconfig.json") });
    expect(findings.filter((f) => f.level === "error").map((f) => `${f.ruleId}:${f.location.line}`)).toEqual([`suffix:${MISNAMED_LINE}`]);
  });
});
