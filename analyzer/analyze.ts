/**
 * `analyze({ project, config })`: load the program, find its functions, extract their lock steps,
 * compute summaries to a fixpoint, run the checks. Nothing of the analyzed project is ever executed.
 */
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { findLockOrder, loadLockOrder } from "../core/config.js";
import { isFatalLoweringError } from "../core/lowering.js";
import type { Policy } from "../core/policy.js";
import { ChainBuilder, flowFindings, suffixFindings, unanalyzableFindings } from "./checks.js";
import { AuditError } from "./errors.js";
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
import type { AnalysisResult } from "./types.js";

export interface AnalysisProgress {
  phase: "load" | "extract" | "summarize" | "check";
  done: number;
  total: number;
}

export interface AnalyzeOptions {
  /** tsconfig.json, or a folder holding one (relative paths are resolved against `cwd`). */
  project: string;
  /** lock-order.json, or an already built policy. Default: the nearest lock-order.json from the project folder up. */
  config?: string | Policy;
  /** Finding paths are relative to this folder. Default: the project folder. */
  root?: string;
  /** Base for relative `project`/`config` paths. Default: `process.cwd()`. */
  cwd?: string;
  onProgress?: (progress: AnalysisProgress) => void;
}

function loadPolicy(config: string | Policy | undefined, projectFile: string, cwd: string): Policy {
  if (config !== undefined && typeof config !== "string") return config;
  if (config !== undefined) return loadLockOrder(resolve(cwd, config));
  const found = findLockOrder(dirname(projectFile));
  if (!found) {
    throw new AuditError(
      "config",
      `no lock-order.json in ${dirname(projectFile)} or any parent folder; create one (see docs/lock-order.md) or pass --config path/to/lock-order.json`,
    );
  }
  return loadLockOrder(found);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

export async function analyze(options: AnalyzeOptions): Promise<AnalysisResult> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const progress = options.onProgress ?? (() => {});
  const projectFile = resolveProjectFile(options.project, cwd);
  const policy = loadPolicy(options.config, projectFile, cwd);
  const root = resolve(cwd, options.root ?? dirname(projectFile));
  // Module targets (`path/to/module.ts#name`) are relative to lock-order.json's folder.
  const configDir = policy.file.startsWith("<") ? root : dirname(policy.file);

  progress({ phase: "load", done: 0, total: 1 });
  const loaded = loadProject(projectFile);
  progress({ phase: "load", done: 1, total: 1 });

  const spans = new SourceSpans(root);
  const index = collectFunctions(loaded.sourceFiles, (fileName) => spans.relativePath(fileName));
  const hierarchy = new ClassHierarchy(loaded.checker, index.classes);
  const locks = new LockResolver(loaded.checker, policy, configDir, index.classesByName);
  const calls = new CallResolver(loaded.program, loaded.checker, index, hierarchy);
  const releaseNames = new Set([...policy.methods.release, ...policy.locks.flatMap((lock) => lock.methods.release)]);
  const extractor = new FactExtractor(locks, calls, releaseNames);

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
  const lockGraph = buildLockGraph(policy, index.units, summaries, spans, chains, reported);
  const findings = finalizeFindings([
    ...reported,
    ...suffixFindings(index.units, hierarchy.dispatchFamilies(), summaries, policy, spans),
    ...lockGraph.findings,
    ...unanalyzableFindings(loaded.unparsable, loaded.sourceFiles, index.units, loaded.checker, spans),
  ]);
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
      durationMs: Math.round(performance.now() - started),
    },
    root,
    projectFile,
    configFile: policy.file,
  };
}
