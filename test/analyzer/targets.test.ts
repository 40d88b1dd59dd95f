/**
 * A lock-order.json whose targets name nothing is a configuration error, and `--fix` never rewrites
 * code on an order it cannot verify. fixtures/targets/project is one small project; each file in
 * fixtures/targets/orders/ is one case. Every run works on a temporary copy, and every test checks
 * that no file of the copy changed where nothing may change.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { applyPatch } from "diff";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { AuditError } from "../../analyzer/errors.js";
import { REPORTERS } from "../../analyzer/reporters/index.js";
import plugin from "../../rules/index.js";
import { typeErrors } from "../support/typecheck.js";
import { AUDIT_FIXTURES, copyFixtures, REPO_ROOT, runCaptured } from "./helpers.js";

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** fixtures/targets with the audit fixtures' shared locks and base tsconfig, at the same relative places. */
function copyTargets(): string {
  const dir = mkdtempSync(join(tmpdir(), "lock-audit-targets-"));
  temporary.push(dir);
  cpSync(join(REPO_ROOT, "fixtures/targets"), join(dir, "fixtures/targets"), { recursive: true });
  cpSync(join(AUDIT_FIXTURES, "shared"), join(dir, "fixtures/audit/shared"), { recursive: true });
  cpSync(join(AUDIT_FIXTURES, "tsconfig.base.json"), join(dir, "fixtures/audit/tsconfig.base.json"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  return dir;
}

/** Every file under `dir` with a hash of its content. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string): void => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  walk(dir);
  return files;
}

function audit(dir: string, order: string, ...flags: string[]) {
  return runCaptured(["--project", "fixtures/targets/project", "--config", `fixtures/targets/orders/${order}.json`, "--no-progress", ...flags], { cwd: dir });
}

describe("a target that names nothing", () => {
  const cases: [string, string][] = [
    [
      "misspelled-class",
      'locks[0].target: "RumorStor.list" (lock "rs") names no class of the project (no class RumorStor is declared); did you mean "RumorStore.list"? fix the class name or remove the lock',
    ],
    [
      "misspelled-member",
      'locks[0].target: "RumorStore.lsit" (lock "rs") names no field of class RumorStore (its fields: list, stale, #ids); did you mean "RumorStore.list"? fix the member name or remove the lock',
    ],
    [
      "missing-export",
      'locks[2].target: "../project/src/store.ts#auditLok" (lock "au") names no module-level variable of ../project/src/store.ts; did you mean "../project/src/store.ts#auditLock"? fix the export name or remove the lock',
    ],
    [
      "missing-module",
      `locks[2].target: "../project/src/stor.ts#auditLock" (lock "au") names no file of the project (../project/src/stor.ts does not exist; module targets are relative to lock-order.json's folder); did you mean "../project/src/store.ts#auditLock"? fix the path or remove the lock`,
    ],
    [
      "misspelled-type",
      'locks[1].target: "MemberLst" (lock "ml") names no class, interface or type of the project (no type MemberLst is declared); did you mean "MemberList"? fix the type name or remove the lock',
    ],
  ];

  it.each(cases)("%s: exit 2, one line naming lock-order.json, the lock, the target and the closest candidate; no file changes", async (order, problem) => {
    const dir = copyTargets();
    const before = snapshot(dir);
    for (const flags of [[], ["--fix"], ["--fix", "--dry-run"], ["--format", "sarif"]]) {
      const run = await audit(dir, order, ...flags);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`lock-audit: ${join(dir, "fixtures/targets/orders", `${order}.json`)}: ${problem}\n`);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it("reports every broken target together, one line each", async () => {
    const dir = copyTargets();
    const config = join(dir, "fixtures/targets/orders/two.json");
    writeFileSync(
      config,
      JSON.stringify({
        locks: [
          { id: "rs", target: "RumorStor.list", kind: "rwlock" },
          { id: "ml", target: "MemberList.entrie", kind: "rwlock" },
        ],
      }),
    );
    const run = await audit(dir, "two");
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n").filter(Boolean).map((line) => line.replace(`${config}: `, ""))).toEqual([
      'lock-audit: locks[0].target: "RumorStor.list" (lock "rs") names no class of the project (no class RumorStor is declared); did you mean "RumorStore.list"? fix the class name or remove the lock',
      'lock-audit: locks[1].target: "MemberList.entrie" (lock "ml") names no field of class MemberList (its fields: entries); did you mean "MemberList.entries"? fix the member name or remove the lock',
    ]);
  });

  it("throws an AuditError with each problem from analyze()", async () => {
    const dir = copyTargets();
    const error = await analyze({ project: join(dir, "fixtures/targets/project"), config: join(dir, "fixtures/targets/orders/misspelled-member.json") }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditError);
    expect((error as AuditError).kind).toBe("config");
    expect((error as AuditError).problems).toHaveLength(1);
  });

  it("accepts a lock the lock-discipline runtime creates by its id, without a declaration of the target", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-audit-runtime-id-"));
    temporary.push(dir);
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ["src"] }));
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify({ locks: [{ id: "cache", target: "Cache.lock", kind: "mutex" }] }));
    writeFileSync(
      join(dir, "src/cache.ts"),
      'declare const locks: { mutex(id: string): { runExclusive<T>(fn: () => T): Promise<T> } };\nexport const cacheLock = locks.mutex("cache");\n',
    );
    const result = await analyze({ project: dir });
    expect(result.outsideTargets).toEqual([]);
  });
});

describe("unused-lock", () => {
  it("notes a declared lock that nothing acquires, at its entry in lock-order.json, in every format", async () => {
    const dir = copyTargets();
    const run = await audit(dir, "unused", "--format", "json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { findings: { ruleId: string; level: string; message: string; location: { file: string; line: number } }[] };
    expect(report.findings.map(({ ruleId, level, message, location }) => ({ ruleId, level, message, file: location.file, line: location.line }))).toEqual([
      {
        ruleId: "unused-lock",
        level: "note",
        message: 'lock "st" (RumorStore.stale) is declared but never acquired in the program: remove the stale entry, or check that its target names the lock object',
        file: "fixtures/targets/orders/unused.json",
        line: 6,
      },
    ]);
    const result = await analyze({ project: join(dir, "fixtures/targets/project"), config: join(dir, "fixtures/targets/orders/unused.json"), root: dir });
    for (const [format, reporter] of Object.entries(REPORTERS)) {
      if (format === "dot" || format === "mermaid" || format === "svg") continue; // graphs draw locks and edges, not findings
      expect(await reporter(result, {}), format).toContain(["markdown", "text", "html"].includes(format) ? "unused-lock" : '"unused-lock"');
    }
  });

  it("says where a target outside the project lives, and --fix then refuses without touching a file", async () => {
    const dir = copyTargets();
    const before = snapshot(dir);
    const run = await audit(dir, "outside", "--format", "json");
    expect(run.code).toBe(0);
    const [note] = (JSON.parse(run.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
    expect(note).toMatchObject({
      ruleId: "unused-lock",
      message:
        'lock "gs" (GatewayState.inner) is declared in fixtures/targets/project/outside/gateway.ts, outside the analyzed project: nothing here acquires it, and its order is not checked here',
    });
    const fix = await audit(dir, "outside", "--fix");
    expect(fix.code).toBe(2);
    expect(fix.stderr).toBe(
      `lock-audit: --fix: lock "gs" (GatewayState.inner) is declared in fixtures/targets/project/outside/gateway.ts, outside this project, so its suffix tokens cannot be verified here; nothing was renamed. Run --fix on a project that includes it, or remove the lock from ${join(dir, "fixtures/targets/orders/outside.json")}\n`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("is silent on a sound order; a name that is all suffix in form is a plain name", async () => {
    const dir = copyTargets();
    const run = await audit(dir, "sound", "--fix");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n✔ no findings/);
  });
});

/** The `old → new  file:line` lines of a --fix plan. */
function planLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => / → .+ {2}\S+:\d+$/.test(line) && !line.startsWith("renamed "));
}

describe("--fix --dry-run", () => {
  it("prints the renames and the diff and writes nothing; --fix then writes exactly that; the result type-checks, audits clean and satisfies the doc rule", async () => {
    const dir = copyFixtures(["suffix"]);
    temporary.push(dir);
    const before = snapshot(dir);
    const originals = new Map([...before.keys()].map((file) => [file, readFileSync(join(dir, file), "utf8")]));

    const dry = await runCaptured(["--project", "suffix", "--fix", "--dry-run", "--no-progress"], { cwd: dir });
    expect(dry.code).toBe(1); // the findings of the unchanged code
    expect(snapshot(dir)).toEqual(before);
    expect(dry.stdout.split("\n")[0]).toBe("lock-audit --fix --dry-run: would rename 11 functions (nothing is written)");
    const plan = planLines(dry.stdout);
    expect(plan).toContain("count_mlw → count_mlr  suffix/src/members.ts:17");
    expect(plan).toContain("describe_gsw → describe  suffix/src/members.ts:73");
    expect(plan).toHaveLength(11);
    const diff = dry.stdout.slice(dry.stdout.indexOf("\n--- a/"));
    expect(diff).toContain("--- a/suffix/src/members.ts\n+++ b/suffix/src/members.ts\n");
    expect(diff).toContain("-  async count_mlw(): Promise<number> { // expect: suffix\n");
    expect(diff).toContain("+   * Wrong mode: only reads, but claims a write.\n+   * @acquires ml:r\n+   */\n+  async count_mlr(): Promise<number> { // expect: suffix\n");

    const fixed = await runCaptured(["--project", "suffix", "--fix", "--no-progress"], { cwd: dir });
    expect(fixed.code).toBe(0);
    expect(planLines(fixed.stdout)).toEqual(plan);
    // The written files are the originals with the dry run's diff applied, and nothing else changed.
    const patches = diff.split(/(?=^--- a\/)/m).filter((patch) => patch.startsWith("--- a/"));
    const patched = new Set<string>();
    for (const patch of patches) {
      const file = /^--- a\/(\S+)/.exec(patch)![1];
      patched.add(file);
      expect(readFileSync(join(dir, file), "utf8")).toBe(applyPatch(originals.get(file)!, patch));
    }
    for (const [file, hash] of before) if (!patched.has(file)) expect(snapshot(dir).get(file), file).toBe(hash);

    expect(typeErrors(join(dir, "suffix"))).toEqual([]);
    const again = await runCaptured(["--project", "suffix", "--no-progress"], { cwd: dir });
    expect(again.code).toBe(0);

    // The ESLint rules, `doc` included, agree with every new name and its @acquires tags (typed, so that
    // `list.entries` on a parameter `list: MemberList` is resolved as lock-audit resolves it).
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ["**/*.ts"],
          languageOptions: { parser: tseslint.parser as Linter.Parser, parserOptions: { project: join(dir, "suffix/tsconfig.json"), tsconfigRootDir: dir } },
        },
        plugin.configs.recommended as unknown as Linter.Config,
        { rules: { "lock-discipline/doc": "error" } },
        plugin.withLockOrder(join(dir, "suffix/lock-order.json")) as unknown as Linter.Config,
      ],
    });
    const results = await eslint.lintFiles(["suffix/src/"]);
    const messages = results.flatMap((result) => result.messages.map((message) => `${relative(dir, result.filePath)}:${message.line} ${message.ruleId} ${message.message}`));
    expect(messages.filter((message) => / lock-discipline\/(doc|suffix) /.test(message))).toEqual([]);
  });

  it("--dry-run without --fix is a usage error", async () => {
    const run = await runCaptured(["--project", "fixtures/audit/suffix", "--dry-run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("lock-audit: --dry-run only works with --fix; run lock-audit --fix --dry-run\n");
  });
});

describe("--fix, one function at a time", () => {
  it("skips a function whose new name is taken, and still renames the others", async () => {
    const dir = copyTargets();
    const store = join(dir, "fixtures/targets/project/src/store.ts");
    const original = readFileSync(store, "utf8");
    writeFileSync(
      store,
      original.replace(
        "  /** @acquires rs:r */\n  async size_rsr(): Promise<number> {",
        "  async size_rsr(): Promise<number> {\n    return 0;\n  }\n\n  async size(): Promise<number> {",
      ) + "\nexport async function join(list: MemberList): Promise<void> {\n  await list.join_mlw();\n}\n",
    );
    const run = await audit(dir, "sound", "--fix");
    // size_rsr (now taking nothing) and size (taking rs:r) would swap names: neither can be renamed.
    expect(run.stdout.split("\n").slice(0, 5)).toEqual([
      "lock-audit --fix: renaming 1 function",
      "join → join_mlw  fixtures/targets/project/src/store.ts:48",
      "not renamed: size_rsr → size  fixtures/targets/project/src/store.ts:20: size is already declared there",
      "not renamed: size → size_rsr  fixtures/targets/project/src/store.ts:24: size_rsr is already declared there",
      "",
    ]);
    const fixed = readFileSync(store, "utf8");
    expect(fixed).toContain("/**\n * @acquires ml:w\n */\nexport async function join_mlw(list: MemberList): Promise<void> {");
    expect(fixed).toContain("  async size(): Promise<number> {");
    expect(run.code).toBe(1); // `size` keeps its wrong name, so its finding remains
  });
});
