/** Shared by the analyzer tests: fixture paths, expectation markers, a captured CLI. */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, type CliIo } from "../../analyzer/command.js";
import type { Finding } from "../../analyzer/types.js";
import { tempDir } from "../support/temp.js";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const AUDIT_FIXTURES = join(REPO_ROOT, "fixtures/audit");

/** Every case folder (one holding a tsconfig.json) under fixtures/audit. */
export function fixtureCases(): string[] {
  return readdirSync(AUDIT_FIXTURES)
    .filter((name) => statSync(join(AUDIT_FIXTURES, name)).isDirectory())
    .filter((name) => readdirSync(join(AUDIT_FIXTURES, name)).includes("tsconfig.json"))
    .sort();
}

function sourceFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFilesUnder(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

const MARKER = /\/\/ expect: ([a-z-]+(?:, *[a-z-]+)*)\s*$/;

/**
 * The findings a fixture expects, as `rule file:line` (paths relative to the repo root): each
 * `// expect: order` (or `// expect: order, suffix`) comment marks a finding on its own line.
 */
export function expectedFindings(caseName: string): string[] {
  const expected: string[] = [];
  for (const file of sourceFilesUnder(join(AUDIT_FIXTURES, caseName))) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, index) => {
        const match = MARKER.exec(line);
        if (!match) return;
        for (const rule of match[1].split(",")) expected.push(`${rule.trim()} ${relative(REPO_ROOT, file)}:${index + 1}`);
      });
  }
  return expected.sort();
}

export function findingKeys(findings: readonly Finding[]): string[] {
  return findings.map((finding) => `${finding.ruleId} ${finding.location.file}:${finding.location.line}`).sort();
}

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured streams (cwd: the repo root unless given). */
export async function runCaptured(argv: string[], options: { cwd?: string; env?: Record<string, string>; tty?: boolean } = {}): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? {},
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/**
 * Copies fixture cases (each with its own lock-order.json; fixtures/audit's tsconfig.base.json and
 * shared/ beside them, so relative paths still work) into a fresh temporary folder.
 */
export function copyFixtures(cases: readonly string[]): string {
  const dir = tempDir("lock-audit-");
  for (const entry of ["tsconfig.base.json", "shared", ...cases]) {
    cpSync(join(AUDIT_FIXTURES, entry), join(dir, entry), { recursive: true });
  }
  // As in the repository, the fixtures are ES modules.
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  return dir;
}
