/**
 * Both front ends read calls through core/recognition.ts. This checks the names, and then that the
 * ESLint rules and lock-audit reach the same verdict on the same code: task boundaries do not count
 * toward a suffix, and same-lock wrappers are the lock they wrap.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tsParser from "@typescript-eslint/parser";
import { Linter, type ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { isTaskBoundaryCall, SAME_LOCK_WRAPPERS } from "../../core/recognition.js";
import plugin from "../../rules/index.js";
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
    expect([...SAME_LOCK_WRAPPERS].sort()).toEqual(["tryAcquire", "withTimeout"]);
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
