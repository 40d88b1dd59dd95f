/** `--watch`: the first report, then a new one after a change on disk, with the time it took. */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, type CliIo } from "../../analyzer/command.js";
import { watchRuns } from "../../analyzer/watch.js";
import { copyFixtures, runCaptured } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("lock-audit --watch", () => {
  it("reports again after a file changes, saying how long the update took", async () => {
    const dir = copyFixtures(["order-chain"]);
    dirs.push(dir);
    let stdout = "";
    let stderr = "";
    let wake: (() => void) | undefined;
    const io: CliIo = {
      stdout: { write: (text: string) => ((stdout += text), wake?.()), isTTY: false },
      stderr: { write: (text: string) => ((stderr += text), wake?.()), isTTY: false },
      cwd: dir,
      env: {},
    };
    const until = async (accept: () => boolean) => {
      while (!accept()) await new Promise<void>((resolveWait) => (wake = resolveWait));
    };
    const controller = new AbortController();
    const args = ["--project", "order-chain", "--format", "json", "--no-progress"];
    const done = watchRuns(() => runCli(args, io), ["order-chain"], io, { signal: controller.signal, debounceMs: 50 });
    await until(() => stderr.includes("watching"));
    expect(stderr).toMatch(/^lock-audit --watch: first report in \d+ ms \(exit 1\)\n/m);
    const first = JSON.parse(stdout) as { findings: { location: { file: string } }[] };
    expect(first.findings.length).toBeGreaterThan(0);
    stdout = "";
    const file = join(dir, first.findings[0].location.file);
    writeFileSync(file, `${readFileSync(file, "utf8")}\n// an edit\n`);
    await until(() => /updated in \d+ ms/.test(stderr));
    expect((JSON.parse(stdout) as { findings: unknown[] }).findings).toEqual(first.findings);
    controller.abort();
    expect(await done).toBe(1);
  });

  it("--watch with --fix is a usage error", async () => {
    const run = await runCaptured(["--watch", "--fix"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^lock-audit: --watch does not work with --fix/);
  });
});
