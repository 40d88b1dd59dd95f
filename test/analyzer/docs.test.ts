/**
 * docs/cli.md is the contract: real `--format json` reports validate against the JSON schema it
 * documents, and it documents every flag and every finding id the SARIF rules link to. Every
 * fixture's report is validated in fixtures.test.ts, on the analysis that file already holds; here
 * the CLI's output is shown to be exactly that report.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { REPORTERS } from "../../analyzer/reporters/index.js";
import { RULES } from "../../analyzer/rule-catalog.js";
import { CLI_DOC as doc, documentedReportValidator } from "../support/report-schema.js";
import { AUDIT_FIXTURES, copyFixtures, REPO_ROOT, runCaptured } from "./helpers.js";

describe("docs/cli.md", () => {
  const validate = documentedReportValidator();

  it("--format json prints the JSON reporter's report of analyze(), which fixtures.test.ts validates for every fixture", async () => {
    const run = await runCaptured(["--project", "fixtures/audit/cycles", "--format", "json"]);
    const report = JSON.parse(run.stdout) as { stats: { durationMs: number } };
    const direct = JSON.parse(await REPORTERS.json(await analyze({ project: join(AUDIT_FIXTURES, "cycles"), root: REPO_ROOT }), { color: false })) as { stats: { durationMs: number } };
    expect(report.stats.durationMs).toEqual(expect.any(Number));
    expect({ ...report, stats: { ...report.stats, durationMs: 0 } }).toEqual({ ...direct, stats: { ...direct.stats, durationMs: 0 } });
    expect(validate(report)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it("the JSON report with --fix matches the documented schema", async () => {
    const dir = copyFixtures(["suffix"]);
    const run = await runCaptured(["--project", "suffix", "--fix", "--format", "json"], { cwd: dir });
    const report = JSON.parse(run.stdout) as { fixes: { renamed: unknown[] } };
    expect(report.fixes.renamed.length).toBeGreaterThan(0);
    expect(validate(report)).toBe(true);
  });

  it("the schema rejects a report that drifts from it", async () => {
    const run = await runCaptured(["--project", "fixtures/audit/order-chain", "--format", "json"]);
    const renamed = JSON.parse(run.stdout.replace('"ruleId": "order"', '"ruleId": "deadlock"')) as unknown;
    expect(validate(renamed)).toBe(false);
    const extra = JSON.parse(run.stdout) as { stats: Record<string, unknown> };
    extra.stats.undocumented = 1;
    expect(validate(extra)).toBe(false);
  });

  it("documents the command line contract", () => {
    expect(doc).toContain(
      "lock-audit [--project tsconfig.json] [--config lock-order.json]\n           [--format text|json|sarif|markdown|dot|mermaid|svg|html]\n           [--output FILE] [--fix [--dry-run]] [--no-progress] [--quiet] [--help] [--version]\n           [--rule ID=LEVEL]... [--max-warnings N] [--baseline FILE [--update-baseline]]\n           [--watch] [--cache [--cache-location PATH]]",
    );
    for (const code of ["`0`", "`1`", "`2`"]) expect(doc).toContain(`| ${code} |`);
  });

  it("has a section for every finding id the SARIF rules link to", () => {
    for (const rule of RULES) {
      expect(rule.helpUri.endsWith(`cli.md#${rule.id}`)).toBe(true);
      expect(doc).toContain(`\n### ${rule.id}\n`);
    }
  });
});
