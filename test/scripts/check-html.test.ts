/**
 * scripts/check-html.js needs Chromium, so `npm test` does not run its checks (run it by hand or in a
 * job that installs Chromium); what it does before starting Chromium is tested here.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const repo = new URL("../../", import.meta.url).pathname;

function run(...args: string[]) {
  return spawnSync(process.execPath, [join(repo, "scripts/check-html.js"), ...args], { cwd: repo, encoding: "utf8" });
}

describe("scripts/check-html.js", () => {
  it("without Chromium it says where to get it, on one line, exit 2", () => {
    const result = run("--chromium", "/no/such/chromium");
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("check-html: /no/such/chromium not found; install Chromium (Debian: apt-get install chromium) or pass --chromium PATH\n");
  });

  it("an unknown option or a missing page is a usage error, exit 2", () => {
    expect(run("--chrome").stderr).toMatch(/^check-html: unknown option --chrome; usage: node scripts\/check-html\.js .*\n$/);
    const missing = run("--chromium", process.execPath, "no-such-report.html");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^check-html: .*no-such-report\.html: no such file\n$/);
  });
});
