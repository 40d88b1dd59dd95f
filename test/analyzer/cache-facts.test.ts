/**
 * `--cache` keeps per-file facts: after one changed file only what depends on it is extracted, over
 * the program of the changed file and what it imports when its declarations did not change, the
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
    // A body edit: the program of m3.ts and what it imports (m0–m2, habitat, locks), not m4 and m5.
    expect(changed).toMatchObject({ hit: false, extracted: 1, partial: true });
    expect(changed.result.findings.some((finding) => finding.ruleId === "order" && finding.location.file === "src/m3.ts")).toBe(true);
    expect(comparable(changed.result)).toEqual(comparable(await analyze({ project: dir })));

    // The files that program did not hold are still in the cache: a change to one is seen.
    const m5 = join(dir, "src", "m5.ts");
    writeFileSync(m5, readFileSync(m5, "utf8").replace(/^( {2}async get_\w+\([^\n]*\{\n)/m, `$1    await this.state.runExclusive(async () => { await this.previous.get_m4("x"); });\n`));
    const outside = await analyzeCached({ project: dir }, cache, () => {});
    expect(outside).toMatchObject({ hit: false, extracted: 1, partial: true });
    expect(outside.result.findings.some((finding) => finding.ruleId === "order" && finding.location.file === "src/m5.ts")).toBe(true);
    expect(comparable(outside.result)).toEqual(comparable(await analyze({ project: dir })));

    // A declaration change reaches the importers, through the facts stored by the last run: m4.ts
    // calls m3's renamed method, and takes the lock of what it now resolves to (the whole program is built).
    writeFileSync(file, readFileSync(file, "utf8").replace(/\bget_m3r?\b/g, "get"));
    const renamed = await analyzeCached({ project: dir }, cache, () => {});
    expect(renamed).toMatchObject({ hit: false, partial: false });
    expect(renamed.extracted).toBeGreaterThan(1);
    expect(comparable(renamed.result)).toEqual(comparable(await analyze({ project: dir })));
    const suffixIn = (result: AnalysisResult, path: string) => result.findings.filter((finding) => finding.ruleId === "suffix" && finding.location.file === path).length;
    expect(suffixIn(renamed.result, "src/m3.ts") + suffixIn(renamed.result, "src/m4.ts")).toBeGreaterThan(0);

    // Two files changed, one body edit each: still the smaller program, and a cold run's result.
    const m1 = join(dir, "src", "m1.ts");
    writeFileSync(m1, readFileSync(m1, "utf8").replace(/^( {2}async get_\w+\([^\n]*\{\n)/m, '$1    await rumorHeat.bump_rh("x");\n'));
    writeFileSync(m5, `${readFileSync(m5, "utf8")}\n// an edit\n`);
    const two = await analyzeCached({ project: dir }, cache, () => {});
    expect(two).toMatchObject({ hit: false, extracted: 2, partial: true });
    expect(comparable(two.result)).toEqual(comparable(await analyze({ project: dir })));
  }, 120_000);

  it("builds the whole program when a changed file calls through a member that a file outside its imports implements", async () => {
    const { dir, cache } = project();
    writeFileSync(join(dir, "src", "store.ts"), "export interface Store {\n  save_rh(): Promise<void>;\n}\n");
    writeFileSync(
      join(dir, "src", "rh-store.ts"),
      'import type { Store } from "./store.js";\nimport { rumorHeat } from "./habitat.js";\n\nexport class RhStore implements Store {\n  async save_rh(): Promise<void> {\n    await rumorHeat.bump_rh("s");\n  }\n}\n',
    );
    // user.ts imports the interface only: the implementation is in no file it imports.
    const user = join(dir, "src", "user.ts");
    writeFileSync(user, 'import type { Store } from "./store.js";\n\nexport async function keep_rh(store: Store): Promise<void> {\n  await store.save_rh();\n}\n');
    await analyzeCached({ project: dir }, cache, () => {});
    writeFileSync(user, readFileSync(user, "utf8").replace("  await store.save_rh();\n", "  await store.save_rh();\n  await store.save_rh();\n"));
    const changed = await analyzeCached({ project: dir }, cache, () => {});
    const cold = await analyze({ project: dir });
    // keep_rh takes rh through RhStore: its suffix is right.
    expect(cold.findings.filter((finding) => finding.location.file === "src/user.ts")).toEqual([]);
    expect(comparable(changed.result)).toEqual(comparable(cold));
    expect(changed).toMatchObject({ hit: false, extracted: 1, partial: false });
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
