/**
 * Gradual rollout on copies of real fixtures: suppressions in code, a baseline matched by
 * fingerprint, per-rule severities from lock-order.json and the command line, --max-warnings.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toSarif } from "../../analyzer/reporters/sarif.js";
import { analyze } from "../../analyzer/analyze.js";
import { copyFixtures, runCaptured } from "./helpers.js";

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function copy(name: string): string {
  const dir = copyFixtures([name]);
  temporary.push(dir);
  return dir;
}

const ORDER_LINE = "      await refreshServices_msw(); // expect: order";

function insertBeforeOrderLine(dir: string, comment: string): void {
  const file = join(dir, "order-chain/src/gateway.ts");
  writeFileSync(file, readFileSync(file, "utf8").replace(ORDER_LINE, `      ${comment}\n${ORDER_LINE}`));
}

interface JsonFinding {
  ruleId: string;
  level: string;
  message: string;
  location: { line: number };
  suppressed?: { justification: string };
}

async function json(dir: string, ...flags: string[]): Promise<{ code: number; findings: JsonFinding[]; stats: Record<string, number>; stderr: string }> {
  const run = await runCaptured(["--project", "order-chain", "--format", "json", ...flags], { cwd: dir });
  if (run.stdout === "") return { code: run.code, findings: [], stats: {}, stderr: run.stderr };
  const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; stats: Record<string, number> };
  return { code: run.code, findings: report.findings, stats: report.stats, stderr: run.stderr };
}

describe("suppressions", () => {
  it("a suppression with a reason keeps the finding, marked, out of the exit code and the text report; SARIF marks it dismissed", async () => {
    const dir = copy("order-chain");
    insertBeforeOrderLine(dir, "// lock-audit-ignore-next-line order -- refresh is idempotent and never waits on gs");
    const run = await json(dir);
    expect(run.code).toBe(0);
    expect(run.findings).toHaveLength(1);
    expect(run.findings[0]).toMatchObject({ ruleId: "order", location: { line: 19 }, suppressed: { justification: "refresh is idempotent and never waits on gs" } });
    expect(run.stats.suppressedFindings).toBe(1);

    const text = await runCaptured(["--project", "order-chain", "--no-progress"], { cwd: dir });
    expect(text.stdout).not.toContain("error  order");
    expect(text.stdout).toMatch(/^✔ no findings · 1 suppressed · 5 files/m);

    const result = await analyze({ project: join(dir, "order-chain"), root: dir });
    const [sarifResult] = toSarif(result).runs[0].results!;
    expect(sarifResult.suppressions).toEqual([
      { kind: "inSource", justification: "refresh is idempotent and never waits on gs", location: { physicalLocation: expect.objectContaining({ region: expect.objectContaining({ startLine: 18 }) }) } },
    ]);
  });

  it.each([
    ["// lock-audit-ignore-next-line order", "a suppression needs a reason: // lock-audit-ignore-next-line order -- <why this is safe>; it suppresses nothing until it has one"],
    ["// lock-audit-ignore-next-line ordre -- typo", 'lock-audit-ignore-next-line names unknown rule "ordre"; use suffix, order, no-recursion, cycle, undeclared-lock, unused-lock, unanalyzable, suppression'],
    ["// lock-audit-ignore-next-line suffix -- there is no suffix finding here", "unused suppression: no suffix finding on line 19; remove the comment"],
  ])("%s is reported and suppresses nothing", async (comment, message) => {
    const dir = copy("order-chain");
    insertBeforeOrderLine(dir, comment);
    const run = await json(dir);
    expect(run.code).toBe(1);
    expect(run.findings.map(({ ruleId, level, message: text, location }) => `${ruleId} ${level} ${location.line} ${text}`).sort()).toEqual(
      [`order error 19 ${run.findings.find((finding) => finding.ruleId === "order")!.message}`, `suppression warning 18 ${message}`].sort(),
    );
  });
});

describe("baseline", () => {
  it("--update-baseline accepts today's findings; moving code keeps them accepted; a new finding is reported; fixed ones drop out", async () => {
    const dir = copy("order-chain");
    const baseline = join(dir, "baseline.json");
    const missing = await json(dir, "--baseline", baseline);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`lock-audit: ${baseline}: cannot read the baseline (no such file); create it with --baseline ${baseline} --update-baseline\n`);

    const update = await json(dir, "--baseline", baseline, "--update-baseline");
    expect(update.code).toBe(0);
    expect(update.findings).toEqual([]);
    expect(update.stats.baselinedFindings).toBe(1);
    expect((JSON.parse(readFileSync(baseline, "utf8")) as { findings: unknown[] }).findings).toHaveLength(1);

    // Lines added above the finding move it; its fingerprint does not change.
    const file = join(dir, "order-chain/src/gateway.ts");
    writeFileSync(file, `// moved\n// down\n${readFileSync(file, "utf8")}`);
    const moved = await runCaptured(["--project", "order-chain", "--baseline", baseline, "--no-progress"], { cwd: dir });
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^✔ no findings · 1 baselined · /m);

    // A second, new order violation in the same function is reported.
    writeFileSync(file, readFileSync(file, "utf8").replace(ORDER_LINE, `${ORDER_LINE}\n      await refreshServices_msw();`));
    const added = await json(dir, "--baseline", baseline);
    expect(added.code).toBe(1);
    expect(added.findings.map((finding) => `${finding.ruleId}:${finding.location.line}`)).toEqual(["order:21"]);

    // Both fixed: the next update empties the baseline.
    writeFileSync(file, readFileSync(file, "utf8").replaceAll("await refreshServices_msw();", "void 0;"));
    await json(dir, "--baseline", baseline, "--update-baseline");
    expect((JSON.parse(readFileSync(baseline, "utf8")) as { findings: unknown[] }).findings.filter((finding) => (finding as { ruleId: string }).ruleId === "order")).toEqual([]);
  });

  it("--update-baseline without --baseline, and a file that is no baseline, are usage errors", async () => {
    const dir = copy("order-chain");
    expect((await runCaptured(["--project", "order-chain", "--update-baseline"], { cwd: dir })).stderr).toBe(
      "lock-audit: --update-baseline needs the file: run lock-audit --baseline lock-audit-baseline.json --update-baseline\n",
    );
    writeFileSync(join(dir, "not-a-baseline.json"), "[]");
    const run = await json(dir, "--baseline", "not-a-baseline.json");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`lock-audit: ${join(dir, "not-a-baseline.json")}: not a lock-audit baseline (version 1); write it again with --baseline ${join(dir, "not-a-baseline.json")} --update-baseline\n`);
  });
});

describe("severities", () => {
  it("--rule order=warn makes the order finding a warning (exit 0), and --max-warnings 0 fails on it", async () => {
    const dir = copy("order-chain");
    const warned = await json(dir, "--rule", "order=warn");
    expect(warned.code).toBe(0);
    expect(warned.findings.map((finding) => `${finding.ruleId}:${finding.level}`)).toEqual(["order:warning"]);
    expect((await json(dir, "--rule", "order=warn", "--max-warnings", "1")).code).toBe(0);
    expect((await json(dir, "--rule", "order=warn", "--max-warnings", "0")).code).toBe(1);
    expect((await json(dir, "--rule", "order=off")).findings).toEqual([]);
  });

  it("lock-order.json's lockAudit.rules sets severities; the command line wins", async () => {
    const dir = copy("order-chain");
    const config = join(dir, "order-chain/lock-order.json");
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, "utf8")), lockAudit: { rules: { order: "note" } } }));
    expect((await json(dir)).findings.map((finding) => finding.level)).toEqual(["note"]);
    expect((await json(dir, "--rule", "order=error")).findings.map((finding) => finding.level)).toEqual(["error"]);
  });

  it.each([
    [["--rule", "order"], "lock-audit: --rule order: write --rule <id>=<error|warn|note|off>, e.g. --rule suffix=warn\n"],
    [["--rule", "ordr=warn"], 'lock-audit: --rule ordr=warn: unknown rule id "ordr"; use one of suffix, order, no-recursion, cycle, undeclared-lock, unused-lock, unanalyzable, suppression\n'],
    [["--max-warnings", "some"], "lock-audit: option '--max-warnings <n>' argument 'some' is invalid. write a whole number, e.g. --max-warnings 0; run lock-audit --help\n"],
  ])("%j is a usage error", async (flags, stderr) => {
    const dir = copy("order-chain");
    const run = await runCaptured(["--project", "order-chain", ...flags], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(stderr);
  });
});
