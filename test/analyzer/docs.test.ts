/**
 * docs/cli.md is the contract: real `--format json` reports validate against the JSON schema it
 * documents, and it documents every flag and every finding id the SARIF rules link to.
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { RULES } from "../../analyzer/rule-catalog.js";
import { copyFixtures, fixtureCases, runCaptured } from "./helpers.js";

const doc = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

function documentedSchema(): object {
  const match = /<!-- json-report-schema -->\s*```json\n([\s\S]*?)\n```/.exec(doc);
  if (!match) throw new Error("docs/cli.md has no schema block after <!-- json-report-schema -->");
  return JSON.parse(match[1]) as object;
}

describe("docs/cli.md", () => {
  const validate = new Ajv({ allErrors: true }).compile(documentedSchema());

  it.each(fixtureCases())("the JSON report of %s matches the documented schema", async (name) => {
    const run = await runCaptured(["--project", `fixtures/audit/${name}`, "--format", "json"]);
    expect(validate(JSON.parse(run.stdout))).toBe(true);
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
