/**
 * `--cache` keeps per-file facts: after one changed file only what depends on it is extracted, the
 * result equals a cold run's, and facts that do not hold together are not trusted.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { analyzeCached } from "../../analyzer/cache.js";
// @ts-expect-error: the generator is plain JavaScript without types
import { generateProject } from "../../bench/generate-project.js";
import type { AnalysisResult } from "../../analyzer/types.js";
import { tempDir } from "../support/temp.js";

function comparable(result: AnalysisResult): unknown {
  const { durationMs: _duration, ...stats } = result.stats;
  return { ...result, stats };
}

function project(): { dir: string; cache: string } {
  const root = tempDir("lock-audit-cache-facts-");
  const dir = join(root, "project");
  generateProject({ dir, modules: 6 });
  return { dir, cache: join(root, "cache.json") };
}

describe("--cache per-file facts", () => {
  it("after a body edit extracts that file alone, and reports what a cold run does", async () => {
    const { dir, cache } = project();
    const notes: string[] = [];
    const cold = await analyzeCached({ project: dir }, cache, (line) => notes.push(line));
    expect(cold).toMatchObject({ hit: false, extracted: cold.result.stats.files });
    const warm = await analyzeCached({ project: dir }, cache, (line) => notes.push(line));
    expect(warm).toMatchObject({ hit: true, extracted: 0 });
    expect(notes).toEqual([]);

    const file = join(dir, "src", "m3.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^( {2}async get_\w+\([^\n]*\{\n)/m, `$1    await this.state.runExclusive(async () => { await this.previous.get_m2("x"); });\n`));
    const changed = await analyzeCached({ project: dir }, cache, (line) => notes.push(line));
    expect(notes).toHaveLength(1);
    expect(changed).toMatchObject({ hit: false, extracted: 1 });
    expect(changed.result.findings.some((finding) => finding.ruleId === "order" && finding.location.file === "src/m3.ts")).toBe(true);
    expect(comparable(changed.result)).toEqual(comparable(await analyze({ project: dir })));

    // A declaration change reaches the importers, through the facts stored by the last run.
    writeFileSync(file, readFileSync(file, "utf8").replace(/\bget_m3r?\b/g, "get"));
    const renamed = await analyzeCached({ project: dir }, cache, () => {});
    expect(renamed.extracted).toBeGreaterThan(1);
    expect(comparable(renamed.result)).toEqual(comparable(await analyze({ project: dir })));
  }, 120_000);

  it("does not trust stored facts that do not link: one note, and a cold analysis", async () => {
    const { dir, cache } = project();
    await analyzeCached({ project: dir }, cache, () => {});
    const stored = JSON.parse(readFileSync(cache, "utf8")) as { facts: { files: Record<string, { facts: { units: { facts?: { steps: unknown[] } }[] } }> } };
    // Facts naming a lock the order does not declare, for a file that is then edited.
    for (const entry of Object.values(stored.facts.files)) {
      for (const unit of entry.facts.units) {
        if (unit.facts) unit.facts.steps = JSON.parse(JSON.stringify(unit.facts.steps).replace(/"declared":"m\d+"/g, '"declared":"nope"'));
      }
    }
    writeFileSync(cache, JSON.stringify(stored));
    const file = join(dir, "src", "m5.ts");
    writeFileSync(file, `${readFileSync(file, "utf8")}\n// an edit\n`);
    const notes: string[] = [];
    const run = await analyzeCached({ project: dir }, cache, (line) => notes.push(line));
    expect(notes).toHaveLength(2);
    expect(notes[1]).toContain("is corrupt");
    expect(comparable(run.result)).toEqual(comparable(await analyze({ project: dir })));
  }, 120_000);
});
