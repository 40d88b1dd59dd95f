/** scripts/rule-table.js writes the README rule table from the built plugin (run after `npm run build`). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import plugin from "../../rules/index.js";

const repo = new URL("../../", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "lock-discipline-rule-table-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(process.execPath, [join(repo, "scripts/rule-table.js"), ...args], { cwd: repo, encoding: "utf8" });
}

/** A README in its own folder with an outdated table between the markers. */
function staleReadme(name: string): string {
  const readme = join(scratch, `${name}.md`);
  writeFileSync(readme, "# Title\n\n<!-- rules:start -->\nold table\n<!-- rules:end -->\n\nAfter.\n");
  return readme;
}

describe("scripts/rule-table.js", () => {
  it("writes one row per rule between the markers, keeping the rest", () => {
    const readme = staleReadme("writes");
    expect(run("--readme", readme).status).toBe(0);
    const text = readFileSync(readme, "utf8");
    expect(text.startsWith("# Title\n\n<!-- rules:start -->\n")).toBe(true);
    expect(text.endsWith("\n<!-- rules:end -->\n\nAfter.\n")).toBe(true);
    expect(text).not.toContain("old table");
    for (const [name, rule] of Object.entries(plugin.rules)) {
      const row = text.split("\n").find((line) => line.startsWith(`| [\`${name}\`](docs/rules/${name}.md) |`));
      expect(row, name).toBeDefined();
      expect(row).toContain(rule.meta.docs?.description);
      expect(row).toContain(rule.meta.docs?.recommended === "warn" ? "⚠️ warn" : "✅ error");
    }
  });

  it("--check passes on a fresh table and fails (exit 1) on a stale one", () => {
    const readme = staleReadme("check");
    expect(run("--readme", readme, "--check").status).toBe(1);
    expect(run("--readme", readme).status).toBe(0);
    expect(run("--readme", readme, "--check").status).toBe(0);
    writeFileSync(readme, readFileSync(readme, "utf8").replace("⚠️ warn", "✅ error"));
    const stale = run("--readme", readme, "--check");
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("is stale");
  });

  it("exits 2 when the markers are missing", () => {
    const readme = join(scratch, "no-markers.md");
    writeFileSync(readme, "# No markers\n");
    const result = run("--readme", readme);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("missing the markers");
  });
});
