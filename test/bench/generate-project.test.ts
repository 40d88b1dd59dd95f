/**
 * The benchmark project must be one lock-audit accepts: a lock order whose every target names
 * something, and code that the analysis reads as intended (its locks found), with exactly the
 * planted order violations reported — by lock-audit and by the ESLint rules without type
 * information, which reach those locks only through the injected members' annotations.
 */
import { join, relative } from "node:path";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";
import plugin from "../../rules/index.js";
import { describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
// @ts-expect-error: the generator is plain JavaScript without types
import { generateProject } from "../../bench/generate-project.js";
import { tempDir } from "../support/temp.js";

interface Project {
  dir: string;
  tsconfig: string;
  lockOrder: string;
  planted: { file: string; line: number; ruleId: string }[];
}

describe("bench/generate-project.js", () => {
  const dir = join(tempDir("lock-bench-project-"), "m5");
  const project = generateProject({ dir, modules: 5, plantEvery: 2 }) as Project;
  const planted = project.planted.map((site) => `${site.file}:${site.line} ${site.ruleId}`);

  it("plants an order violation in every plantEvery-th module", () => {
    expect(planted).toEqual(["src/m2.ts:109 order", "src/m4.ts:109 order"]);
  });

  it("writes a project whose lock order lock-audit accepts, every declared lock taken, only the planted violations reported", async () => {
    const result = await analyze({ project: project.tsconfig });
    expect(result.stats.lockSites).toBeGreaterThan(5);
    expect(result.findings.filter((finding) => finding.level !== "note").map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}`)).toEqual(planted);
    expect(result.findings.filter((finding) => finding.ruleId === "unused-lock")).toEqual([]);
  });

  it("ESLint's recommended rules, untyped, report exactly the planted violations", async () => {
    const eslint = new ESLint({
      cwd: project.dir,
      overrideConfigFile: true,
      overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser as Linter.Parser } }, plugin.configs.recommended, plugin.withLockOrder(project.lockOrder)] as Linter.Config[],
    });
    const results = await eslint.lintFiles(["src/**/*.ts"]);
    const reported = results.flatMap((result) => result.messages.map((m) => `${relative(project.dir, result.filePath).replace(/\\/g, "/")}:${m.line} ${m.ruleId?.replace("lock-discipline/", "")}`));
    expect(reported.sort()).toEqual(planted);
  });
});
