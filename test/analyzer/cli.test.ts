/**
 * The lock-audit command line: every format, every exit code, one-line errors. Most cases run the
 * CLI in this process (`runCli` with captured streams); a few run the real `bin/lock-audit.js` on
 * the built package, to check the executable itself.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createProgressReporter, progressEnabled } from "../../analyzer/progress.js";
import { TOOL_VERSION } from "../../analyzer/version.js";
import { REPO_ROOT, runCaptured } from "./helpers.js";
import { tempDir } from "../support/temp.js";

const VIOLATING = "fixtures/audit/order-chain";
const CLEAN = "fixtures/audit/order-chain-clean";

describe("exit codes", () => {
  it("1 when there are error-level findings", async () => {
    const run = await runCaptured(["--project", `${VIOLATING}/tsconfig.json`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
  });

  it("0 when there are none", async () => {
    const run = await runCaptured(["--project", CLEAN]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^locks: 2 \(2 declared, 0 undeclared\)\n(?: {2}.+\n)+\n✔ no findings/);
  });

  it("0 when only notes remain (--quiet hides them)", async () => {
    const dir = tempDir("lock-audit-notes-");
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { types: [], noEmit: true }, include: ["src"] }));
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify({ locks: [] }));
    writeFileSync(join(dir, "src/a.ts"), 'import { gone } from "./gone.js";\nexport const value = gone;\n');
    const loud = await runCaptured(["--project", dir, "--format", "json"]);
    expect(loud.code).toBe(0);
    expect(JSON.parse(loud.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["unanalyzable"]);
    const quiet = await runCaptured(["--project", dir, "--format", "json", "--quiet"]);
    expect(JSON.parse(quiet.stdout).findings).toEqual([]);
  });

  it("--quiet keeps errors", async () => {
    const run = await runCaptured(["--project", "fixtures/audit/robust-syntax", "--quiet", "--format", "json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["no-recursion"]);
  });

  const usageErrors: [string, string[], RegExp][] = [
    ["an unknown option", ["--projct", CLEAN], /^lock-audit: unknown option '--projct' \(Did you mean --project\?\); run lock-audit --help\n$/],
    ["an unknown format", ["--project", CLEAN, "--format", "xml"], /^lock-audit: option '--format <format>' argument 'xml' is invalid\. Allowed choices are text, json, sarif, markdown, dot, mermaid, svg, html; run lock-audit --help\n$/],
    ["an extra argument", [CLEAN], /^lock-audit: too many arguments.*; run lock-audit --help\n$/],
    ["a missing tsconfig", ["--project", "no/such/tsconfig.json"], /^lock-audit: no\/such\/tsconfig\.json: no such file; pass --project path\/to\/tsconfig\.json\n$/],
    ["a folder without tsconfig.json", ["--project", "fixtures/audit/shared"], /^lock-audit: fixtures\/audit\/shared: the folder has no tsconfig\.json; pass --project path\/to\/tsconfig\.json\n$/],
    ["a missing --config file", ["--project", CLEAN, "--config", "nope.json"], /^lock-audit: .*nope\.json: cannot be read \(no such file\); create it or point to an existing lock-order\.json\n$/],
  ];

  it.each(usageErrors)("2 for %s, with one line on stderr", async (_, argv, message) => {
    const run = await runCaptured(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
  });

  it("2 for an invalid lock-order.json, naming the file, the JSON path and the fix", async () => {
    const dir = tempDir("lock-audit-config-");
    const config = join(dir, "lock-order.json");
    writeFileSync(config, JSON.stringify({ locks: [{ id: "Bad Id", target: "A.b", kind: "mutex" }] }));
    const run = await runCaptured(["--project", CLEAN, "--config", config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^lock-audit: ${config.replace(/[.]/g, "\\.")}: locks\\[0\\]\\.id: .+; .+\\n$`));
  });

  it("analyzes in discovery mode when no lock-order.json is found from the project folder up, and says how to create one", async () => {
    const dir = tempDir("lock-audit-noconfig-");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { types: [] }, files: ["a.ts"] }));
    writeFileSync(join(dir, "a.ts"), "export const a = 1;\n");
    const run = await runCaptured(["--project", dir]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^✔ no findings · 1 file,/);
    expect(run.stdout).toContain("no lock-order.json: nothing is declared");
    expect(run.stdout).toContain("`lock-audit init --write`");
  });

  it("2 for a tsconfig that includes no files, or that is not valid", async () => {
    const dir = tempDir("lock-audit-empty-");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ include: ["src"] }));
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify({ locks: [] }));
    const empty = await runCaptured(["--project", dir]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe(`lock-audit: ${join(dir, "tsconfig.json")}: the tsconfig includes no TypeScript files; check "include"/"files"\n`);
    writeFileSync(join(dir, "tsconfig.json"), "{ \"compilerOptions\": { \"target\": \"es1000\" }, \"files\": [] }");
    const invalid = await runCaptured(["--project", dir]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.split("\n")).toHaveLength(2);
    expect(invalid.stderr).toMatch(/^lock-audit: .*tsconfig\.json: .*; fix the tsconfig\n$/);
  });

  it("2, naming the file, for code nested deeper than TypeScript's parser can follow", async () => {
    const dir = tempDir("lock-audit-deep-");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ["src"] }));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/fine.ts"), "export const one = 1;\n");
    writeFileSync(join(dir, "src/deep.ts"), `export const deep = ${"(".repeat(5000)}1${")".repeat(5000)};\n`);
    const run = await runCaptured(["--project", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `lock-audit: ${join(dir, "src/deep.ts")}: code nested deeper than the TypeScript parser can follow (Maximum call stack size exceeded; tsc fails on it too); split the deepest expression, or leave the file out of the tsconfig\n`,
    );
  });

  it("--help and --version exit 0", async () => {
    const help = await runCaptured(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--project", "--config", "--format", "--output", "--fix", "--dry-run", "--no-progress", "--quiet", "--rule", "--max-warnings", "--baseline", "--update-baseline", "--help", "--version"]) expect(help.stdout).toContain(flag);
    const version = await runCaptured(["--version"]);
    expect(version).toEqual({ code: 0, stdout: `${TOOL_VERSION}\n`, stderr: "" });
  });
});

describe("formats", () => {
  it("text is the default", async () => {
    const run = await runCaptured(["--project", VIOLATING]);
    expect(run.stdout).toContain("fixtures/audit/order-chain/src/gateway.ts\n  18:13  error  order  ");
    expect(run.stdout).toContain("  > 18 |");
  });

  it.each([
    ["json", (out: string) => expect(JSON.parse(out).findings[0].ruleId).toBe("order")],
    ["sarif", (out: string) => expect(JSON.parse(out).runs[0].results[0].ruleId).toBe("order")],
    ["markdown", (out: string) => expect(out).toMatch(/^### lock-audit: 1 error \(order 1\)\n/)],
    ["dot", (out: string) => expect(out).toContain('"gs" -> "ms" [label="order violation\\nfixtures/audit/order-chain/src/gateway.ts:18\\n1 site"')],
    ["mermaid", (out: string) => expect(out).toMatch(/^flowchart TB\n/)],
    ["html", (out: string) => expect(out).toMatch(/^<!DOCTYPE html>\n[\s\S]*<span class="at">&gt; 18 \|[\s\S]*<svg [\s\S]*<\/html>\n$/)],
    ["svg", (out: string) => expect(out).toMatch(/^<\?xml [^>]*\?>\n[\s\S]*<svg [\s\S]*>order violation<\/text>[\s\S]*<\/svg>\n$/)],
  ] as const)("--format %s", async (format, check) => {
    const run = await runCaptured(["--project", VIOLATING, "--format", format]);
    expect(run.code).toBe(1);
    check(run.stdout);
  });

  it("--output writes the report to a file and nothing to stdout", async () => {
    const dir = tempDir("lock-audit-out-");
    const run = await runCaptured(["--project", VIOLATING, "--format", "sarif", "--output", join(dir, "audit.sarif")]);
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(JSON.parse(readFileSync(join(dir, "audit.sarif"), "utf8")).version).toBe("2.1.0");
  });

  it("--output into a missing folder is a usage error", async () => {
    const run = await runCaptured(["--project", CLEAN, "--output", "/no/such/dir/report.txt"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^lock-audit: cannot write \/no\/such\/dir\/report\.txt \(.+\); check the --output path\n$/);
  });

  it("paths are relative to the working directory", async () => {
    const run = await runCaptured(["--project", "order-chain", "--format", "json"], { cwd: join(REPO_ROOT, "fixtures/audit") });
    expect(JSON.parse(run.stdout).findings[0].location.file).toBe("order-chain/src/gateway.ts");
  });
});

describe("progress", () => {
  it("is shown only on a terminal, outside CI, when asked", () => {
    expect(progressEnabled({ write: () => true, isTTY: true }, {}, true)).toBe(true);
    expect(progressEnabled({ write: () => true, isTTY: false }, {}, true)).toBe(false);
    expect(progressEnabled({ write: () => true, isTTY: true }, { CI: "true" }, true)).toBe(false);
    expect(progressEnabled({ write: () => true, isTTY: true }, { CI: "false" }, true)).toBe(true);
    expect(progressEnabled({ write: () => true, isTTY: true }, {}, false)).toBe(false);
  });

  it("waits a second, then rewrites one line, and clears it at the end", () => {
    let time = 0;
    let output = "";
    const progress = createProgressReporter({ write: (text: string) => (output += text) }, true, () => time);
    progress.update({ phase: "extract", done: 1, total: 10 });
    expect(output).toBe("");
    time = 1500;
    progress.update({ phase: "extract", done: 5, total: 10 });
    expect(output).toBe("\r\u001b[Klock-audit: reading files 5/10 files");
    time = 1550; // within the refresh interval: not rewritten
    progress.update({ phase: "extract", done: 6, total: 10 });
    time = 1700;
    progress.update({ phase: "summarize", done: 3, total: 40 });
    expect(output.endsWith("\r\u001b[Klock-audit: computing summaries 3/40 functions")).toBe(true);
    progress.finish();
    expect(output.endsWith("\r\u001b[K")).toBe(true);
  });

  it("never writes when disabled", () => {
    let output = "";
    const progress = createProgressReporter({ write: (text: string) => (output += text) }, false, () => 5000);
    progress.update({ phase: "check", done: 0, total: 1 });
    progress.finish();
    expect(output).toBe("");
  });

  it("a fast run on a terminal prints no progress", async () => {
    const run = await runCaptured(["--project", CLEAN], { tty: true });
    expect(run.stderr).toBe("");
  });
});

describe("the executable", () => {
  const bin = join(REPO_ROOT, "bin/lock-audit.js");
  const built = join(REPO_ROOT, "dist/analyzer/cli.js");

  beforeAll(() => {
    // The bin runs the compiled CLI: build when dist/ is missing or older than the sources.
    const sources = ["analyzer", "analyzer/reporters", "core"].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, dir))
        .filter((name) => name.endsWith(".ts"))
        .map((name) => statSync(join(REPO_ROOT, dir, name)).mtimeMs),
    );
    if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
      execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "ignore" });
    }
  }, 120_000);

  it("is an executable ESM script", () => {
    expect(readFileSync(bin, "utf8")).toBe('#!/usr/bin/env node\nimport "../dist/analyzer/cli.js";\n');
    expect(statSync(bin).mode & 0o777).toBe(0o755);
  });

  it("exits 1 with findings and 0 without, like runCli", () => {
    const violating = spawnSync(process.execPath, [bin, "--project", VIOLATING, "--format", "json", "--no-progress"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(violating.status).toBe(1);
    expect(JSON.parse(violating.stdout).findings).toHaveLength(1);
    const clean = spawnSync(process.execPath, [bin, "--project", CLEAN], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(clean.status).toBe(0);
  });

  it("exits 2 with one line and no stack trace", () => {
    const run = spawnSync(process.execPath, [bin, "--project", "missing.json"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("lock-audit: missing.json: no such file; pass --project path/to/tsconfig.json\n");
  });
});
