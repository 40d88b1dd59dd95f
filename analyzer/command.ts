/**
 * The `lock-audit` command line: parses the flags (commander), runs `analyze`, optionally `--fix`,
 * writes the report. Exit codes: 0 no error-level findings, 1 error-level findings, 2 usage,
 * configuration or project problems (one line on stderr, never a stack trace).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { loadLockOrder } from "../core/config.js";
import { LockOrderConfigError } from "../core/policy.js";
import { analyze, type AnalyzeOptions } from "./analyze.js";
import { AuditError, auditErrorOf } from "./errors.js";
import { fixSuffixes } from "./fix.js";
import { createProgressReporter, progressEnabled, type ProgressStream } from "./progress.js";
import { FORMATS, REPORTERS, type Format } from "./reporters/index.js";
import { TOOL_NAME } from "./rule-catalog.js";
import type { AnalysisResult, FixReport } from "./types.js";
import { TOOL_VERSION } from "./version.js";

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

interface CliOptions {
  project: string;
  config?: string;
  format: Format;
  output?: string;
  fix?: boolean;
  dryRun?: boolean;
  progress: boolean;
  quiet?: boolean;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

function buildCommand(io: CliIo): Command {
  return new Command()
    .name(TOOL_NAME)
    .description("Whole-program lock analysis: which locks each function really takes, and where that breaks lock-order.json.")
    .version(TOOL_VERSION, "--version", "print the version")
    .helpOption("--help", "show this help")
    .option("--project <tsconfig>", "the tsconfig.json to analyze, or its folder", "tsconfig.json")
    .option("--config <lock-order.json>", "the lock order (default: the nearest lock-order.json from the project folder up)")
    .addOption(new Option("--format <format>", "report format").choices(FORMATS).default("text"))
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--fix", "rename every function whose suffix is wrong, across all files, then re-analyze")
    .option("--dry-run", "with --fix: print the renames and the unified diff, write nothing")
    .option("--no-progress", "never show progress on stderr")
    .option("--quiet", "report error-level findings only, and no progress")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // One line: commander's message without its "error:" prefix, its line breaks or its final period.
      outputError: (text, write) => write(`${TOOL_NAME}: ${text.replace(/^error: /, "").trim().replace(/\s*\n\s*/g, " ").replace(/\.$/, "")}; run ${TOOL_NAME} --help\n`),
    });
}

/** `old → new  file:line`, one line per rename: what --fix prints before it writes anything. */
export function formatFixPlan(plan: FixReport): string {
  const lines = [
    `${TOOL_NAME} --fix${plan.dryRun ? " --dry-run" : ""}: ${plan.dryRun ? "would rename" : "renaming"} ${plan.renamed.length} ${plan.renamed.length === 1 ? "function" : "functions"}${plan.dryRun ? " (nothing is written)" : ""}`,
    ...plan.renamed.map((rename) => `${rename.from} → ${rename.to}  ${rename.location.file}:${rename.location.line}`),
    ...plan.skipped.map((skip) => `not renamed: ${skip.from} → ${skip.to}  ${skip.location.file}:${skip.location.line}: ${skip.reason}`),
  ];
  return `${lines.join("\n")}\n${plan.diff ? `\n${plan.diff}` : ""}\n`;
}

/**
 * `--fix` rewrites code only on an order the program can verify: a target declared outside the
 * project means the program cannot tell which of that lock's tokens are right, so nothing is renamed.
 */
function refuseUnverifiableFix(result: AnalysisResult): void {
  if (result.outsideTargets.length === 0) return;
  throw auditErrorOf(
    "config",
    result.outsideTargets.map(
      (outside) =>
        `--fix: lock "${outside.id}" (${outside.target}) is declared in ${outside.declaredIn}, outside this project, so its suffix tokens cannot be verified here; nothing was renamed. Run --fix on a project that includes it, or remove the lock from ${result.configFile}`,
    ),
  );
}

/** File contents for the text report's code frames (files that cannot be read get no frame). */
function readSources(result: AnalysisResult): Map<string, string> {
  const sources = new Map<string, string>();
  for (const finding of result.findings) {
    const file = finding.location.file;
    if (sources.has(file)) continue;
    try {
      sources.set(file, readFileSync(resolve(result.root, file), "utf8"));
    } catch {
      // A vanished file only loses its frame.
    }
  }
  return sources;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** Runs the command; resolves to the exit code. Never throws and never calls `process.exit`. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const command = buildCommand(io);
  try {
    command.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CLEAN : EXIT_USAGE;
    throw error;
  }
  const options = command.opts<CliOptions>();
  if (options.dryRun && !options.fix) {
    io.stderr.write(`${TOOL_NAME}: --dry-run only works with --fix; run ${TOOL_NAME} --fix --dry-run\n`);
    return EXIT_USAGE;
  }
  const progress = createProgressReporter(io.stderr, progressEnabled(io.stderr, io.env, options.progress && !options.quiet));
  const analyzeOptions: AnalyzeOptions = {
    project: options.project,
    ...(options.config === undefined ? {} : { config: options.config }),
    root: io.cwd,
    cwd: io.cwd,
    onProgress: (event) => progress.update(event),
  };
  try {
    let result = await analyze(analyzeOptions);
    let fixes: FixReport | undefined;
    if (options.fix) {
      refuseUnverifiableFix(result);
      // The plan goes to stdout unless stdout carries a machine-readable report.
      const planStream = options.format === "text" || options.output !== undefined ? io.stdout : io.stderr;
      fixes = await fixSuffixes({
        projectFile: result.projectFile,
        root: result.root,
        findings: result.findings,
        policy: loadLockOrder(result.configFile),
        dryRun: options.dryRun ?? false,
        beforeWrite: (plan) => {
          progress.finish();
          if (plan.renamed.length > 0 || plan.skipped.length > 0) planStream.write(formatFixPlan(plan));
        },
      });
      if (fixes.renamed.length > 0 && !fixes.dryRun) result = await analyze(analyzeOptions);
    }
    progress.finish();
    if (options.quiet) result = { ...result, findings: result.findings.filter((finding) => finding.level === "error") };
    const color = options.output === undefined && options.format === "text" && io.stdout.isTTY === true && !io.env.NO_COLOR;
    const report = await REPORTERS[options.format](result, {
      color,
      ...(options.format === "text" || options.format === "html" ? { sources: readSources(result) } : {}),
      ...(fixes ? { fixes } : {}),
    });
    if (options.output === undefined) io.stdout.write(report);
    else {
      try {
        writeFileSync(resolve(io.cwd, options.output), report);
      } catch (error) {
        throw new AuditError("usage", `cannot write ${options.output} (${firstLine(error)}); check the --output path`);
      }
    }
    return result.findings.some((finding) => finding.level === "error") ? EXIT_FINDINGS : EXIT_CLEAN;
  } catch (error) {
    progress.finish();
    if (error instanceof AuditError) {
      for (const problem of error.problems) io.stderr.write(`${TOOL_NAME}: ${problem}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof LockOrderConfigError) {
      io.stderr.write(`${TOOL_NAME}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`${TOOL_NAME}: internal error: ${firstLine(error)}; please report it with the command that caused it\n`);
    return EXIT_USAGE;
  }
}
