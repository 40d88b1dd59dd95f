/** `--cache`: a hit on an unchanged project, a miss after a change, a corrupt cache ignored with one note. */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyFixtures, runCaptured } from "./helpers.js";
import { CACHE_FORMAT } from "../../analyzer/cache.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("lock-audit --cache", () => {
  it("reuses the result while nothing changed, and analyzes again after a change", async () => {
    const dir = copyFixtures(["order-chain"]);
    dirs.push(dir);
    const args = ["--project", "order-chain", "--cache", "--cache-location", "cache/audit.json", "--format", "json", "--no-progress"];
    const cold = await runCaptured(args, { cwd: dir });
    expect(cold.stderr).toBe("");
    const cache = readFileSync(join(dir, "cache/audit.json"), "utf8");
    const warm = await runCaptured(args, { cwd: dir });
    expect(warm.stderr).toBe("");
    expect(warm.code).toBe(cold.code);
    const findings = (run: { stdout: string }) => (JSON.parse(run.stdout) as { findings: unknown[] }).findings;
    expect(findings(warm)).toEqual(findings(cold));
    // A hit leaves the cache as it was.
    expect(readFileSync(join(dir, "cache/audit.json"), "utf8")).toBe(cache);

    // Every source of the case: make one of them clean and see the finding go.
    const file = join(dir, "order-chain", JSON.parse(cache).result.findings[0].location.file.replace(/^order-chain\//, ""));
    writeFileSync(file, `${readFileSync(file, "utf8")}\n// an edit\n`);
    const changed = await runCaptured(args, { cwd: dir });
    expect(changed.stderr).toMatch(/^lock-audit: the cache \S+ is stale \(1 file changed\); re-analyzing what depends on it, the rest from the cache\n$/);
    expect(findings(changed)).toEqual(findings(cold));
    expect(readFileSync(join(dir, "cache/audit.json"), "utf8")).not.toBe(cache);
  });

  it("ignores a corrupt cache with one note, and replaces it", async () => {
    const dir = copyFixtures(["order-chain"]);
    dirs.push(dir);
    writeFileSync(join(dir, ".lock-audit-cache.json"), "{ not json");
    const run = await runCaptured(["--project", "order-chain", "--cache", "--format", "json", "--no-progress"], { cwd: dir });
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("is corrupt");
    expect(JSON.parse(readFileSync(join(dir, ".lock-audit-cache.json"), "utf8")).format).toBe(CACHE_FORMAT);
    const again = await runCaptured(["--project", "order-chain", "--cache", "--format", "json", "--no-progress"], { cwd: dir });
    expect(again.stderr).toBe("");
  });

  it("--cache-location without --cache is a usage error", async () => {
    const run = await runCaptured(["--cache-location", "x.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^lock-audit: --cache-location only works with --cache/);
  });
});
