/**
 * The benchmark project must be one lock-audit accepts: a lock order whose every target names
 * something, and code that the analysis reads as intended (its locks found, no finding).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
// @ts-expect-error: the generator is plain JavaScript without types
import { generateProject } from "../../bench/generate-project.js";
import { tempDir } from "../support/temp.js";

describe("bench/generate-project.js", () => {
  it("writes a project whose lock order lock-audit accepts, with every declared lock taken and no error or warning", async () => {
    const dir = join(tempDir("lock-bench-project-"), "m5");
    const project = generateProject({ dir, modules: 5 }) as { tsconfig: string };
    const result = await analyze({ project: project.tsconfig });
    expect(result.stats.lockSites).toBeGreaterThan(5);
    expect(result.findings.filter((finding) => finding.level !== "note")).toEqual([]);
    expect(result.findings.filter((finding) => finding.ruleId === "unused-lock")).toEqual([]);
  });
});
