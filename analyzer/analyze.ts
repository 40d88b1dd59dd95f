/**
 * `analyze({ project, config })`: load the program, find its functions, extract their lock steps,
 * compute summaries to a fixpoint, run the checks. Nothing of the analyzed project is ever executed.
 */
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { findLockOrder, loadLockOrder } from "../core/config.js";
import { isFatalLoweringError } from "../core/lowering.js";
import { buildPolicy, releaseMethodNames, type Policy } from "../core/policy.js";
import { ChainBuilder, flowFindings, suffixFindings, unanalyzableFindings } from "./checks.js";
import { AuditError, auditErrorOf, firstLine } from "./errors.js";
import { FactExtractor } from "./extract.js";
import { finalizeFindings } from "./findings.js";
import { collectFunctions } from "./functions.js";
import { ClassHierarchy } from "./hierarchy.js";
import { SourceSpans } from "./locations.js";
import { buildLockGraph } from "./lock-graph.js";
import { LockResolver } from "./locks.js";
import { loadProject, resolveProjectFile } from "./project.js";
import { CallResolver } from "./resolve.js";
import { computeSummaries } from "./summaries.js";
import { applySeverities, applySuppressions, findSuppressions, ruleSeverities } from "./rollout.js";
import { resolveTargets, unusedLockFindings } from "./targets.js";
import { lockInventory } from "./inventory.js";
import type { AnalysisResult } from "./types.js";

export interface AnalysisProgress {
  phase: "load" | "extract" | "summarize" | "check";
  done: number;
  total: number;
}

export interface AnalyzeOptions {
  /**
   * tsconfig.json, or a folder holding one (relative paths are resolved against `cwd`); several are
   * analyzed as one program, and a solution tsconfig's `references` are followed.
   */
  project: string | readonly string[];
  /**
   * lock-order.json, or an already built policy. Default: the nearest lock-order.json from the
   * project folder up; without one, discovery mode (no lock declared, every lock found is reported).
   */
  config?: string | Policy;
  /** Finding paths are relative to this folder. Default: the project folder. */
  root?: string;
  /** Base for relative `project`/`config` paths. Default: `process.cwd()`. */
  cwd?: string;
  onProgress?: (progress: AnalysisProgress) => void;
  /** `--rule id=level` overrides (`suffix=warn`, `cycle=off`), applied over lock-order.json's `lockAudit.rules`. */
  rules?: readonly string[];
  /** Absolute path → text that replaces the file on disk (an editor's unsaved documents). */
  overlays?: ReadonlyMap<string, string>;
  /** Called once the program is built, with the path of every file in it but the default libraries (`--cache` keys on them). */
  onProgramFiles?: (files: readonly string[]) => void;
}

/** The lock order of discovery mode: none is declared, so every lock found is an undeclared lock class. */
export const DISCOVERY_POLICY_FILE = "<discovery>";

function loadPolicy(config: string | Policy | undefined, projectFile: string, cwd: string): Policy {
  if (config !== undefined && typeof config !== "string") return config;
  if (config !== undefined) return loadLockOrder(resolve(cwd, config));
  const found = findLockOrder(dirname(projectFile));
  return found ? loadLockOrder(found) : buildPolicy({ locks: [] }, DISCOVERY_POLICY_FILE);
}

export async function analyze(options: AnalyzeOptions): Promise<AnalysisResult> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const progress = options.onProgress ?? (() => {});
  const projectFiles = (typeof options.project === "string" ? [options.project] : options.project).map((project) => resolveProjectFile(project, cwd));
  if (projectFiles.length === 0) throw new AuditError("usage", "no project to analyze; pass --project path/to/tsconfig.json");
  const projectFile = projectFiles[0];
  const policy = loadPolicy(options.config, projectFile, cwd);
  // Checked before the program loads: a mistyped rule id fails fast.
  const severities = ruleSeverities(policy.json.lockAudit?.rules, policy.file, options.rules ?? []);
  const root = resolve(cwd, options.root ?? dirname(projectFile));
  // Module targets (`path/to/module.ts#name`) are relative to lock-order.json's folder.
  const configDir = policy.file.startsWith("<") ? root : dirname(policy.file);

  progress({ phase: "load", done: 0, total: 1 });
  const loaded = loadProject(projectFiles, options.overlays);
  progress({ phase: "load", done: 1, total: 1 });
  options.onProgramFiles?.(loaded.program.getSourceFiles().filter((file) => !loaded.program.isSourceFileDefaultLibrary(file)).map((file) => file.fileName));

  const spans = new SourceSpans(root);
  const index = collectFunctions(loaded.sourceFiles, (fileName) => spans.relativePath(fileName));
  const targets = resolveTargets({
    policy,
    configDir,
    projectDir: dirname(projectFile),
    program: loaded.program,
    sourceFiles: loaded.sourceFiles,
    classesByName: index.classesByName,
    root,
  });
  // A target that names nothing makes every finding about its lock wrong: stop before reporting any.
  if (targets.errors.length > 0) throw auditErrorOf("config", targets.errors.map((error) => error.message));
  const hierarchy = new ClassHierarchy(loaded.checker, index.classes);
  const locks = new LockResolver(loaded.checker, policy, configDir, index.classesByName);
  const calls = new CallResolver(loaded.program, loaded.checker, index, hierarchy);
  const extractor = new FactExtractor(locks, calls, releaseMethodNames(policy));

  let lastFile: unknown;
  let filesDone = 0;
  for (const unit of index.units) {
    if (unit.sourceFile !== lastFile) {
      lastFile = unit.sourceFile;
      filesDone += 1;
      progress({ phase: "extract", done: filesDone, total: loaded.sourceFiles.length });
    }
    try {
      unit.facts = extractor.extract(unit);
    } catch (error) {
      if (isFatalLoweringError(error)) throw error;
      // Code nested deeper than the stack allows (or that the checker trips over): note it, analyze the rest.
      unit.unanalyzable = error instanceof RangeError ? "nested too deeply to analyze" : `not analyzable (${firstLine(error)})`;
    }
  }

  const summaries = computeSummaries(index.units, (done, total) => progress({ phase: "summarize", done, total }));

  progress({ phase: "check", done: 0, total: 1 });
  const chains = new ChainBuilder(summaries, spans);
  const reported = flowFindings(index.units, summaries, spans, chains, loaded.checker);
  const inventory = lockInventory(index.units, spans, summaries.summaries);
  const lockGraph = buildLockGraph(policy, index.units, summaries, spans, chains, reported, inventory);
  const drafts = [
    ...reported,
    ...suffixFindings(index.units, hierarchy.dispatchFamilies(), summaries, policy, spans),
    ...lockGraph.findings,
    ...unusedLockFindings(
      policy,
      targets,
      new Set([...inventory.values()].flatMap((entry) => (entry.lock.declared ? [entry.lock.declared.id] : []))),
      root,
      (node) => spans.of(node),
    ),
    ...unanalyzableFindings(loaded.unparsable, loaded.sourceFiles, index.units, loaded.checker, spans),
  ];
  const findings = finalizeFindings(
    applySuppressions(
      applySeverities(drafts, severities),
      findSuppressions(loaded.sourceFiles, (fileName) => spans.relativePath(fileName)),
    ),
  );
  progress({ phase: "check", done: 1, total: 1 });

  return {
    findings,
    graph: lockGraph.graph,
    stats: {
      files: loaded.sourceFiles.length,
      functions: index.units.filter((unit) => unit.kind !== "module").length,
      lockSites: extractor.lockSites,
      calls: calls.counts.calls,
      resolvedCalls: calls.counts.resolved,
      externalCalls: calls.counts.external,
      unresolvedCalls: calls.counts.unresolved,
      unanalyzableFiles: loaded.unparsable.length,
      unanalyzableFunctions: index.units.filter((unit) => unit.unanalyzable !== undefined).length,
      suppressedFindings: findings.filter((finding) => finding.suppressed).length,
      baselinedFindings: 0,
      durationMs: Math.round(performance.now() - started),
    },
    root,
    projectFile,
    projectFiles,
    configFile: policy.file === DISCOVERY_POLICY_FILE ? null : policy.file,
    outsideTargets: [...targets.outside].map(([lock, declaredIn]) => ({ id: lock.id, target: lock.target, declaredIn })),
  };
}
