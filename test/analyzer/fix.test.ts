/**
 * `--fix` on temporary copies of fixture projects: every wrong suffix is renamed across all files
 * (declarations and references, private members, accessors, object-literal methods, fields), the
 * result type-checks, and re-auditing finds no suffix problem left.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { typeErrors } from "../support/typecheck.js";
import { copyFixtures, runCaptured } from "./helpers.js";

interface JsonReport {
  findings: { ruleId: string; fix?: { from: string; to: string } }[];
  fixes?: { renamed: { from: string; to: string; references: number }[]; skipped: unknown[] };
}

describe("--fix", () => {
  it("renames every wrong suffix in the suffix fixture; the result type-checks and audits clean", async () => {
    const dir = copyFixtures(["suffix"]);
    const fixed = await runCaptured(["--project", "suffix", "--fix", "--format", "json"], { cwd: dir });
    const report = JSON.parse(fixed.stdout) as JsonReport;
    expect(report.fixes?.skipped).toEqual([]);
    expect(report.fixes?.renamed.map((rename) => `${rename.from}->${rename.to}`).sort()).toEqual(
      [
        "#prune->#prune_mlw",
        "add->add_mlw",
        "announce_mlw_rsw->announce_rsw_mlw",
        "count_mlw->count_mlr",
        "create->create_mlw",
        "describe_gsw->describe",
        "evictAll_mlr->evictAll_mlw",
        "kick->kick_mlw",
        "onLeave->onLeave_mlw",
        "snapshot->snapshot_mlr",
        "touch_rsw_mlw->touch_mlw",
      ].sort(),
    );
    expect(report.findings).toEqual([]);
    expect(fixed.code).toBe(0);

    const members = readFileSync(join(dir, "suffix/src/members.ts"), "utf8");
    expect(members).toContain("await list.add_mlw(\"self\");"); // a reference in another method
    expect(members).toContain("await this.#prune_mlw();"); // a private method's reference
    expect(members).toContain("await list.onLeave_mlw(id);"); // a field's reference from an object-literal method
    expect(typeErrors(join(dir, "suffix"))).toEqual([]);

    const again = await runCaptured(["--project", "suffix"], { cwd: dir });
    expect(again.code).toBe(0);
  });

  it("renames across files in the resolution fixture", async () => {
    const dir = copyFixtures(["resolution"]);
    const fixed = await runCaptured(["--project", "resolution", "--fix", "--format", "json"], { cwd: dir });
    const report = JSON.parse(fixed.stdout) as JsonReport;
    expect(report.fixes?.renamed).toHaveLength(15);
    expect(report.findings).toEqual([]);
    // Derived.syncTwice is declared in manager.ts and called from callers.ts.
    expect(readFileSync(join(dir, "resolution/src/callers.ts"), "utf8")).toContain("await new Derived().syncTwice_msw();");
    expect(report.fixes?.renamed.find((rename) => rename.from === "syncTwice")?.references).toBe(2);
    expect(typeErrors(join(dir, "resolution"))).toEqual([]);
  });

  it("reports what it cannot fix: the re-take in the mutual-recursion fixture remains", async () => {
    const dir = copyFixtures(["mutual-recursion"]);
    const fixed = await runCaptured(["--project", "mutual-recursion", "--fix", "--format", "json"], { cwd: dir });
    const report = JSON.parse(fixed.stdout) as JsonReport;
    expect(report.fixes?.renamed.map((rename) => rename.to).sort()).toEqual(["expandChild_rsw", "expand_rsw"]);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(["no-recursion"]);
    expect(fixed.code).toBe(1);
    expect(typeErrors(join(dir, "mutual-recursion"))).toEqual([]);
  });

  it("prints the plan, then the renames in the text report", async () => {
    const dir = copyFixtures(["mutual-recursion"]);
    const fixed = await runCaptured(["--project", "mutual-recursion", "--fix"], { cwd: dir });
    // First the plan, printed before any file is written; then the report's list of what was done.
    expect(fixed.stdout).toMatch(/^lock-audit --fix: renaming 2 functions\nexpandChild → expandChild_rsw {2}mutual-recursion\/src\/expand-child\.ts:4\n/);
    expect(fixed.stdout).toMatch(/^renamed expandChild → expandChild_rsw {2}mutual-recursion\/src\/expand-child\.ts:4 \(\d references?\)$/m);
  });

  it("does nothing when every name is right", async () => {
    const dir = copyFixtures(["suffix-clean"]);
    const before = readFileSync(join(dir, "suffix-clean/src/members.ts"), "utf8");
    const run = await runCaptured(["--project", "suffix-clean", "--fix", "--format", "json"], { cwd: dir });
    expect(JSON.parse(run.stdout).fixes).toEqual({ renamed: [], skipped: [] });
    expect(readFileSync(join(dir, "suffix-clean/src/members.ts"), "utf8")).toBe(before);
  });
});
