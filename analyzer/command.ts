/**
 * The `lock-audit` command line: parses the flags (commander), runs `analyze`, optionally `--fix`,
 * writes the report. Exit codes: 0 no error-level findings, 1 error-level findings, 2 usage,
 * configuration or project problems (one line on stderr, never a stack trace).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { LOCK_ORDER_FILE, loadLockOrder } from "../core/config.js";
import { buildPolicy, LockOrderConfigError } from "../core/policy.js";
import { analyze, type AnalyzeOptions } from "./analyze.js";
import { AnalysisEngine } from "./engine.js";
import { analyzeCached, DEFAULT_CACHE_LOCATION } from "./cache.js";
import { AuditError, auditErrorOf, firstLine } from "./errors.js";
import { fixSuffixes } from "./fix.js";
import { formatLockOrder, proposeLockOrder } from "./init.js";
import { resolveProjectFile } from "./project.js";
import { createProgressReporter, progressEnabled, type ProgressStream } from "./progress.js";
import { FORMATS, REPORTERS, type Format } from "./reporters/index.js";
import { TOOL_NAME } from "./rule-catalog.js";
import { applyBaseline, readBaseline, writeBaseline } from "./rollout.js";
import type { AnalysisResult, Finding, FixReport } from "./types.js";
import { TOOL_VERSION } from "./version.js";
import { watchRuns } from "./watch.js";

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** The default `--project`, replaced (not extended) by the first `--project` given. */
const DEFAULT_PROJECTS: string[] = ["tsconfig.json"];

export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

interface CliOptions {
  project: string[];
  config?: string;
  format: Format;
  output?: string;
  fix?: boolean;
  dryRun?: boolean;
  progress: boolean;
  quiet?: boolean;
  rule: string[];
  maxWarnings?: number;
  baseline?: string;
  updateBaseline?: boolean;
  watch?: boolean;
  cache?: boolean;
  cacheLocation?: string;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

function buildCommand(io: CliIo): Command {
  return configureIo(
    new Command()
    .name(TOOL_NAME)
    .description("Whole-program lock analysis: which locks each function really takes, and where that breaks lock-order.json.")
    .version(TOOL_VERSION, "--version", "print the version")
    .helpOption("--help", "show this help")
    .option("--project <tsconfig>", "the tsconfig.json to analyze, or its folder; repeat it to analyze several as one program (a solution tsconfig's references are followed)", (value: string, previous: string[]) => (previous === DEFAULT_PROJECTS ? [value] : [...previous, value]), DEFAULT_PROJECTS)
    .option("--config <lock-order.json>", "the lock order (default: the nearest lock-order.json from the project folder up)")
    .addOption(new Option("--format <format>", "report format").choices(FORMATS).default("text"))
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--fix", "rename every function whose suffix is wrong, across all files, then re-analyze")
    .option("--dry-run", "with --fix: print the renames and the unified diff, write nothing")
    .option("--no-progress", "never show progress on stderr")
    .option("--quiet", "report error-level findings only, and no progress")
    .option("--rule <id=level>", "set a finding's severity: error, warn, note or off (repeatable), e.g. --rule suffix=warn", (value: string, previous: string[]) => [...previous, value], [])
    .option("--max-warnings <n>", "exit 1 when there are more than n warnings", (value: string) => {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError("write a whole number, e.g. --max-warnings 0");
      return Number(value);
    })
    .option("--baseline <file>", "report only findings that the baseline file does not accept")
    .option("--update-baseline", "with --baseline: write every current finding into the baseline file")
    .option("--watch", "report, then report again after each change on disk, with the time the update took")
    .option("--cache", "reuse the last run's result while no file, option or lock-order.json changed")
    .option("--cache-location <path>", `with --cache: the cache file (default: ${DEFAULT_CACHE_LOCATION})`)
    .addHelpText("after", `\nWithout a lock-order.json it runs in discovery mode. ${TOOL_NAME} init [--project …] [--write] [--force] proposes one.`)
    .allowExcessArguments(false),
    io,
  );
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
  if (result.configFile === null) {
    throw new AuditError("config", `--fix: no lock-order.json, so no suffix can be checked; create one with ${TOOL_NAME} init --write, then run ${TOOL_NAME} --fix --dry-run`);
  }
  if (result.outsideTargets.length === 0) return;
  throw auditErrorOf(
    "config",
    result.outsideTargets.map(
      (outside) =>
        `--fix: lock "${outside.id}" (${outside.target}) is declared in ${outside.declaredIn}, outside this project, so its suffix tokens cannot be verified here; nothing was renamed. Run --fix on a project that includes it, or remove the lock from ${result.configFile}`,
    ),
  );
}

/** 1 for an error-level finding, or more warnings than `--max-warnings` allows; suppressed findings never count. */
export function exitCodeOf(findings: readonly Finding[], maxWarnings: number | undefined): number {
  const counted = findings.filter((finding) => !finding.suppressed);
  if (counted.some((finding) => finding.level === "error")) return EXIT_FINDINGS;
  if (maxWarnings !== undefined && counted.filter((finding) => finding.level === "warning").length > maxWarnings) return EXIT_FINDINGS;
  return EXIT_CLEAN;
}

/** File contents for the text and html reports' code frames (files that cannot be read get no frame). */
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

/** Parses `argv`; the exit code when parsing ended the run (`--help`, `--version`, a usage error), else undefined. */
function parseArguments(command: Command, argv: readonly string[]): number | undefined {
  try {
    command.parse([...argv], { from: "user" });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CLEAN : EXIT_USAGE;
    throw error;
  }
}

/** Output through `io`, and usage errors as one line: commander's message without its "error:" prefix, line breaks or final period. */
function configureIo(command: Command, io: CliIo): Command {
  return command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`${TOOL_NAME}: ${text.replace(/^error: /, "").trim().replace(/\s*\n\s*/g, " ").replace(/\.$/, "")}; run ${TOOL_NAME} --help\n`),
    });
}

interface InitOptions {
  project: string;
  write?: boolean;
  force?: boolean;
}

/**
 * `lock-audit init`: analyze with nothing declared and print the lock-order.json the code suggests
 * (see init.ts); `--write` creates it next to the tsconfig, never over an existing one without `--force`.
 */
async function runInit(argv: readonly string[], io: CliIo): Promise<number> {
  const command = configureIo(
    new Command()
      .name(`${TOOL_NAME} init`)
      .description("Print a lock-order.json built from the locks and nestings the program has.")
      .helpOption("--help", "show this help")
      .option("--project <tsconfig>", "the tsconfig.json to analyze, or its folder", "tsconfig.json")
      .option("--write", "create lock-order.json next to the tsconfig instead of printing it")
      .option("--force", "with --write: overwrite an existing lock-order.json")
      .allowExcessArguments(false),
    io,
  );
  const parsed = parseArguments(command, argv);
  if (parsed !== undefined) return parsed;
  const options = command.opts<InitOptions>();
  try {
    const projectFile = resolveProjectFile(options.project, io.cwd);
    const target = join(dirname(projectFile), LOCK_ORDER_FILE);
    if (options.write && existsSync(target) && !options.force) {
      throw new AuditError("usage", `${target} exists; pass --force to overwrite it, or run without --write to print the proposal`);
    }
    // Nothing declared, and module locks named relative to where the file will be.
    const result = await analyze({ project: projectFile, config: buildPolicy({ locks: [] }, target), root: io.cwd, cwd: io.cwd });
    const proposal = proposeLockOrder(result.graph);
    const text = formatLockOrder(proposal.json);
    for (const cycle of proposal.cycles) {
      io.stderr.write(
        `${TOOL_NAME} init: left out ${cycle.locks.join(", ")}: they are taken in a cycle (${cycle.edges
          .map((edge) => `${edge.from} → ${edge.to} at ${edge.site.file}:${edge.site.line}`)
          .join("; ")}), so no order agrees with the code; decide one, add them, and fix the sites that break it\n`,
      );
    }
    if (!options.write) {
      io.stdout.write(text);
      return EXIT_CLEAN;
    }
    writeFileSync(target, text);
    io.stdout.write(`wrote ${target} (${proposal.json.locks.length} ${proposal.json.locks.length === 1 ? "lock" : "locks"}); next: ${TOOL_NAME} --fix --dry-run\n`);
    return EXIT_CLEAN;
  } catch (error) {
    return reportError(error, io);
  }
}

/**
 * `lock-audit lsp --stdio`: the language server (server/lsp.ts) on this process's stdin and stdout.
 * It runs until the client sends `exit` (the library ends the process then).
 */
async function runLsp(argv: readonly string[], io: CliIo): Promise<number> {
  const command = configureIo(
    new Command()
      .name(`${TOOL_NAME} lsp`)
      .description("Run the Language Server Protocol server (diagnostics, rename and suppression code actions).")
      .helpOption("--help", "show this help")
      .option("--stdio", "talk LSP over stdin and stdout (the only transport)")
      .allowExcessArguments(false),
    io,
  );
  const parsed = parseArguments(command, argv);
  if (parsed !== undefined) return parsed;
  if (!command.opts<{ stdio?: boolean }>().stdio) {
    io.stderr.write(`${TOOL_NAME}: lsp needs a transport; run ${TOOL_NAME} lsp --stdio\n`);
    return EXIT_USAGE;
  }
  const { startServer } = await import("./server/lsp.js");
  const connection = startServer({ input: process.stdin, output: process.stdout });
  return new Promise<number>((resolveExit) => connection.onExit(() => resolveExit(EXIT_CLEAN)));
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof AuditError) {
    for (const problem of error.problems) io.stderr.write(`${TOOL_NAME}: ${problem}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof LockOrderConfigError) {
    for (const problem of error.errors) io.stderr.write(`${TOOL_NAME}: ${problem.line}\n`);
    return EXIT_USAGE;
  }
  io.stderr.write(`${TOOL_NAME}: internal error: ${firstLine(error)}; please report it with the command that caused it\n`);
  return EXIT_USAGE;
}

/** How a run analyzes: a fresh `analyze()`, or (`--watch`) an engine kept between runs. */
type Analyzer = (options: AnalyzeOptions) => Promise<AnalysisResult>;

/**
 * `--watch`'s analyzer: one engine for every run, told which files changed on disk; a change to a
 * JSON file (lock-order.json, a tsconfig) or a failed run starts a new one.
 */
function watchAnalyzer(): { analyzer: Analyzer; changed(paths: readonly string[]): void } {
  let engine: AnalysisEngine | undefined;
  return {
    analyzer: async (options) => {
      try {
        engine ??= new AnalysisEngine(options);
        return engine.update();
      } catch (error) {
        engine = undefined;
        throw error;
      }
    },
    changed: (paths) => {
      if (paths.some((path) => path.endsWith(".json"))) engine = undefined;
      else engine?.invalidate(paths);
    },
  };
}

/** Runs the command; resolves to the exit code. Never throws and never calls `process.exit`. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  return runWith(argv, io, analyze);
}

async function runWith(argv: readonly string[], io: CliIo, analyzer: Analyzer): Promise<number> {
  if (argv[0] === "init") return runInit(argv.slice(1), io);
  if (argv[0] === "lsp") return runLsp(argv.slice(1), io);
  const command = buildCommand(io);
  const parsed = parseArguments(command, argv);
  if (parsed !== undefined) return parsed;
  const options = command.opts<CliOptions>();
  if (options.dryRun && !options.fix) {
    io.stderr.write(`${TOOL_NAME}: --dry-run only works with --fix; run ${TOOL_NAME} --fix --dry-run\n`);
    return EXIT_USAGE;
  }
  if (options.updateBaseline && options.baseline === undefined) {
    io.stderr.write(`${TOOL_NAME}: --update-baseline needs the file: run ${TOOL_NAME} --baseline lock-audit-baseline.json --update-baseline\n`);
    return EXIT_USAGE;
  }
  if (options.cacheLocation !== undefined && !options.cache) {
    io.stderr.write(`${TOOL_NAME}: --cache-location only works with --cache; run ${TOOL_NAME} --cache --cache-location ${options.cacheLocation}\n`);
    return EXIT_USAGE;
  }
  if (options.watch) {
    if (options.fix) {
      io.stderr.write(`${TOOL_NAME}: --watch does not work with --fix (it would rewrite files on every change); run ${TOOL_NAME} --fix once, then --watch\n`);
      return EXIT_USAGE;
    }
    const once = argv.filter((arg) => arg !== "--watch");
    const incremental = watchAnalyzer();
    return watchRuns((changed) => (incremental.changed(changed), runWith(once, io, incremental.analyzer)), options.project, io, {
      ignore: [...(options.output === undefined ? [] : [options.output]), ...(options.cache ? [options.cacheLocation ?? DEFAULT_CACHE_LOCATION] : [])],
    });
  }
  const progress = createProgressReporter(io.stderr, progressEnabled(io.stderr, io.env, options.progress && !options.quiet));
  const analyzeOptions: AnalyzeOptions = {
    project: options.project,
    ...(options.config === undefined ? {} : { config: options.config }),
    root: io.cwd,
    cwd: io.cwd,
    rules: options.rule,
    onProgress: (event) => progress.update(event),
  };
  try {
    const baselinePath = options.baseline === undefined ? undefined : resolve(io.cwd, options.baseline);
    const baseline = baselinePath === undefined ? undefined : readBaseline(baselinePath, options.updateBaseline ?? false);
    let result =
      options.cache && analyzer === analyze
        ? (await analyzeCached(analyzeOptions, resolve(io.cwd, options.cacheLocation ?? DEFAULT_CACHE_LOCATION), (line) => io.stderr.write(`${TOOL_NAME}: ${line}\n`))).result
        : await analyzer(analyzeOptions);
    let fixes: FixReport | undefined;
    if (options.fix) {
      refuseUnverifiableFix(result);
      // The plan goes to stdout unless stdout carries a machine-readable report.
      const planStream = options.format === "text" || options.output !== undefined ? io.stdout : io.stderr;
      fixes = await fixSuffixes({
        projectFiles: result.projectFiles,
        root: result.root,
        findings: result.findings,
        policy: loadLockOrder(result.configFile!),
        dryRun: options.dryRun ?? false,
        beforeWrite: (plan) => {
          progress.finish();
          if (plan.renamed.length > 0 || plan.skipped.length > 0) planStream.write(formatFixPlan(plan));
        },
      });
      if (fixes.renamed.length > 0 && !fixes.dryRun) result = await analyze(analyzeOptions);
    }
    progress.finish();
    if (baselinePath !== undefined) {
      if (options.updateBaseline) writeBaseline(baselinePath, result.findings);
      // Fixed findings drop out of the file at its next update; new ones are all that is reported.
      const accepted = options.updateBaseline ? new Set(result.findings.map((finding) => `${finding.ruleId}\u0000${finding.fingerprint}`)) : baseline!;
      const { findings, baselined } = applyBaseline(result.findings, accepted);
      result = { ...result, findings, stats: { ...result.stats, baselinedFindings: baselined } };
    }
    if (options.quiet) result = { ...result, findings: result.findings.filter((finding) => finding.level === "error") };
    const color = options.output === undefined && options.format === "text" && io.stdout.isTTY === true && !io.env.NO_COLOR;
    const report = await REPORTERS[options.format](result, {
      color,
      ...(options.format === "text" || options.format === "html" ? { sources: readSources(result), locks: !options.quiet } : {}),
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
    return exitCodeOf(result.findings, options.maxWarnings);
  } catch (error) {
    progress.finish();
    return reportError(error, io);
  }
}
