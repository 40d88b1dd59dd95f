/**
 * A three-package workspace (fixtures/workspace): a solution tsconfig with `references`, path-mapped
 * imports between packages, one lock-order.json at the root. The vault's lock (package vault) is held
 * while the keyring's (package keyring) is taken, in package app: an order violation across packages.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { createProgram, parsedConfig } from "../support/typecheck.js";
import { REPO_ROOT, runCaptured } from "./helpers.js";

const WORKSPACE = join(REPO_ROOT, "fixtures/workspace");
const EXPECTED = ["order fixtures/workspace/packages/app/src/main.ts:13"];

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

const keys = (findings: { ruleId: string; location: { file: string; line: number } }[]) => findings.map((finding) => `${finding.ruleId} ${finding.location.file}:${finding.location.line}`);

describe("a monorepo", () => {
  it("a solution tsconfig: every referenced project in one program, each file once, calls followed across packages", async () => {
    const result = await analyze({ project: WORKSPACE, root: REPO_ROOT });
    expect(keys(result.findings)).toEqual(EXPECTED);
    expect(result.stats.files).toBe(3);
    expect(result.configFile).toBe(join(WORKSPACE, "lock-order.json"));
    const [finding] = result.findings;
    expect(finding.chain.map((step) => `${step.location.file.replace("fixtures/workspace/packages/", "")}:${step.location.line} ${step.message}`)).toEqual([
      "app/src/main.ts:13 holds vv from here",
      "app/src/main.ts:13 calls KeyringController.persist_kc",
      "keyring/src/index.ts:22 takes kc",
    ]);
  });

  it("--project given more than once analyzes the projects as one program", async () => {
    const run = await runCaptured(["--project", "fixtures/workspace/packages/vault", "--project", "fixtures/workspace/packages/keyring", "--project", "fixtures/workspace/packages/app", "--format", "json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: { ruleId: string; location: { file: string; line: number } }[]; stats: { files: number } };
    expect(keys(report.findings)).toEqual(EXPECTED);
    expect(report.stats.files).toBe(3);
  });

  it("one package alone finds the root lock-order.json and reaches the others through its path mappings", async () => {
    const result = await analyze({ project: join(WORKSPACE, "packages/app"), root: REPO_ROOT });
    expect(keys(result.findings)).toEqual(EXPECTED);
    expect(result.configFile).toBe(join(WORKSPACE, "lock-order.json"));
  });

  it("every package type-checks on its own", () => {
    for (const name of ["vault", "keyring", "app"]) {
      const program = createProgram(parsedConfig(join(WORKSPACE, "packages", name, "tsconfig.json")));
      expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")), name).toEqual([]);
    }
  });

  it("--fix on the solution renames across packages", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-audit-workspace-"));
    temporary.push(dir);
    cpSync(WORKSPACE, join(dir, "workspace"), { recursive: true });
    cpSync(join(REPO_ROOT, "lock-order.schema.json"), join(dir, "lock-order.schema.json"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    const keyring = join(dir, "workspace/packages/keyring/src/index.ts");
    const main = join(dir, "workspace/packages/app/src/main.ts");
    writeFileSync(keyring, readFileSync(keyring, "utf8").replaceAll("persist_kc", "persist").replace("/** @acquires kc */\n  async persist(", "async persist("));
    writeFileSync(main, readFileSync(main, "utf8").replaceAll("persist_kc", "persist"));
    const run = await runCaptured(["--project", "workspace", "--fix", "--no-progress"], { cwd: dir });
    expect(run.stdout.split("\n").slice(0, 2)).toEqual(["lock-audit --fix: renaming 1 function", "persist → persist_kc  workspace/packages/keyring/src/index.ts:20"]);
    expect(readFileSync(main, "utf8")).toContain("keyring.persist_kc()");
    expect(readFileSync(keyring, "utf8")).toContain("  /**\n   * @acquires kc\n   */\n  async persist_kc(): Promise<void> {");
    expect(run.code).toBe(1); // the order violation remains
  });
});
