/**
 * Robustness on generated projects: a 1,000-deep call chain across files, a 1,000-function
 * recursive ring (one strongly connected component), a huge file, and code that must never run.
 * Projects are written to temporary folders; each declares its own tiny lock classes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { tempDir } from "../support/temp.js";

const LOCKS = `export class RwLock {
  async read(): Promise<() => void> { return () => undefined; }
  async write(): Promise<() => void> { return () => undefined; }
  async runWrite<T>(fn: () => Promise<T> | T): Promise<T> { return fn(); }
}
`;

const DECLARED_LOCKS = [
  { id: "rs", target: "RumorStore.list", kind: "rwlock" },
  { id: "ml", target: "MemberList.entries", kind: "rwlock" },
];

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", lib: ["es2023"], types: [], strict: true, noEmit: true },
  include: ["src"],
});

/**
 * Writes a project (tsconfig, lock-order.json, src/locks.ts and the given files) and returns its
 * folder. lock-order.json declares only the locks the project uses (`lockIds`): a declared lock that
 * nothing acquires is itself reported (`unused-lock`).
 */
function writeProject(files: Record<string, string>, lockIds: readonly string[] = ["rs", "ml"]): string {
  const dir = tempDir("lock-audit-robust-");
  writeFileSync(join(dir, "tsconfig.json"), TSCONFIG);
  writeFileSync(join(dir, "lock-order.json"), JSON.stringify({ locks: DECLARED_LOCKS.filter((lock) => lockIds.includes(lock.id)) }));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src/locks.ts"), LOCKS);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "src", name), text);
  return dir;
}

const STORES = `import { RwLock } from "./locks.js";
export class RumorStore { readonly list = new RwLock(); }
export class MemberList { readonly entries = new RwLock(); }
export const rumors = new RumorStore();
export const members = new MemberList();
`;

describe("a 1,000-deep call chain across 10 files", () => {
  const DEPTH = 1000;
  const PER_FILE = 100;
  const files: Record<string, string> = { "stores.ts": STORES };
  for (let file = 0; file < DEPTH / PER_FILE; file += 1) {
    const lines = [`import { rumors } from "./stores.js";`];
    if (file + 1 < DEPTH / PER_FILE) lines.push(`import { step${(file + 1) * PER_FILE}_rsw } from "./chain${file + 1}.js";`);
    for (let i = file * PER_FILE; i < (file + 1) * PER_FILE; i += 1) {
      const body = i === DEPTH - 1 ? "  await rumors.list.runWrite(() => undefined);" : `  await step${i + 1}_rsw();`;
      lines.push(`export async function step${i}_rsw(): Promise<void> {`, body, "}");
    }
    files[`chain${file}.ts`] = lines.join("\n");
  }
  files["main.ts"] = `import { members } from "./stores.js";
import { step0_rsw } from "./chain0.js";
export async function start_rsw_mlw(): Promise<void> {
  await members.entries.runWrite(async () => {
    await step0_rsw();
  });
}
`;

  it("propagates the lock up every level and reports the order break at the top, with the chain cut", async () => {
    const result = await analyze({ project: writeProject(files) });
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.file}:${finding.location.line}`)).toEqual(["order src/main.ts:5"]);
    const [finding] = result.findings;
    expect(finding.chain[0].message).toBe("holds ml:w from here");
    expect(finding.chain[1].message).toBe("calls step0_rsw");
    expect(finding.chain.at(-1)?.message).toMatch(/chain cut after \d+ calls/);
    // The chain, start_rsw_mlw, and locks.ts: three methods and the two releasers they return.
    expect(result.stats.functions).toBe(DEPTH + 1 + 5);
  });
});

describe("a recursive ring of 1,000 functions (one strongly connected component)", () => {
  const SIZE = 1000;
  const lines = [`import { rumors } from "./stores.js";`];
  for (let i = 0; i < SIZE; i += 1) {
    const next = `ring${(i + 1) % SIZE}_rsw`;
    // One function takes rs and releases it before calling on: every function takes rs, none while holding it.
    const body = i === SIZE / 2 ? `  const release = await rumors.list.write();\n  release();\n  if (depth > 0) await ${next}(depth - 1);` : `  if (depth > 0) await ${next}(depth - 1);`;
    lines.push(`export async function ring${i}_rsw(depth: number): Promise<void> {`, body, "}");
  }

  it("reaches the fixpoint: every function's suffix is right and nothing is reported", async () => {
    const result = await analyze({ project: writeProject({ "stores.ts": STORES, "ring.ts": lines.join("\n") }, ["rs"]) });
    expect(result.findings).toEqual([]);
    expect(result.stats.lockSites).toBe(1);
  });

  it("finds the re-take when one function of the ring calls on while holding the lock", async () => {
    const holding = lines.map((line) => line.replace("  release();\n  if (depth > 0) await ring501_rsw(depth - 1);", "  if (depth > 0) await ring501_rsw(depth - 1);\n  release();"));
    const result = await analyze({ project: writeProject({ "stores.ts": STORES, "ring.ts": holding.join("\n") }, ["rs"]) });
    expect(result.findings.map((finding) => finding.ruleId)).toEqual(["no-recursion"]);
    expect(result.findings[0].message).toMatch(/^Calling 'ring501_rsw', which takes rs:w, while already holding rs:w/);
  });
});

describe("a huge file", () => {
  it("analyzes 3,000 functions and a 20,000-term expression in one file", async () => {
    const lines = [`import { members } from "./stores.js";`];
    for (let i = 0; i < 3000; i += 1) {
      lines.push(`export async function write${i}_mlw(): Promise<number> {`, `  return members.entries.runWrite(() => ${i});`, "}");
    }
    lines.push(`export const banner = ${Array.from({ length: 20_000 }, (_, i) => `"${i}"`).join(" + ")};`);
    lines.push(`export async function wrong(): Promise<number> {`, "  return write2999_mlw();", "}");
    const result = await analyze({ project: writeProject({ "stores.ts": STORES, "huge.ts": lines.join("\n") }, ["ml"]) });
    expect(result.findings.map((finding) => `${finding.ruleId}:${finding.fix?.to}`)).toEqual(["suffix:wrong_mlw"]);
    expect(result.stats.lockSites).toBe(3000);
  });
});

describe("project code never runs", () => {
  it("analyzes top-level code that would end the process if it ran", async () => {
    const result = await analyze({
      project: writeProject({
        "stores.ts": STORES,
        "main.ts": `declare const process: { exit(code: number): never };\nprocess.exit(3);\nthrow new Error("ran");\n`,
      }, []),
    });
    expect(result.findings).toEqual([]);
    expect(result.stats.files).toBe(3);
  });
});

describe("a function the lowering cannot follow", () => {
  // No real input is known to make the lowering overflow before TypeScript's parser does (tried:
  // 800 nested parentheses stop tsc itself; 60,000-term sums lower fine), so the overflow is injected.
  it("is left out with one unanalyzable note, counted in the stats, and its callers still analyzed", async () => {
    const { FactExtractor } = await import("../../analyzer/extract.js");
    const { vi } = await import("vitest");
    const extract = FactExtractor.prototype.extract;
    const spy = vi.spyOn(FactExtractor.prototype, "extract").mockImplementation(function (this: InstanceType<typeof FactExtractor>, unit) {
      if (unit.name === "tooDeep_mlw") throw new RangeError("Maximum call stack size exceeded");
      return extract.call(this, unit);
    });
    try {
      const result = await analyze({
        project: writeProject({
          "stores.ts": STORES,
          "deep.ts": [
            `import { members } from "./stores.js";`,
            `export async function tooDeep_mlw(): Promise<number> {`,
            `  return members.entries.runWrite(() => 1);`,
            `}`,
            `export async function caller(): Promise<number> {`,
            `  return members.entries.runWrite(() => 2);`,
            `}`,
          ].join("\n"),
        }, ["ml"]),
      });
      expect(result.stats.unanalyzableFunctions).toBe(1);
      expect(result.findings.map((finding) => (finding.ruleId === "suffix" ? `suffix → ${finding.fix?.to}` : `${finding.ruleId} ${finding.message}`))).toEqual([
        "unanalyzable tooDeep_mlw is nested too deeply to analyze; it counts as taking no lock",
        "suffix → caller_mlw",
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});
