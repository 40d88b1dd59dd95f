/**
 * `analyze({ project, config })`: load the program, find its functions, extract their lock steps,
 * compute summaries to a fixpoint, run the checks. Nothing of the analyzed project is ever executed.
 * It is the first update of an analysis engine (analyzer/engine.ts): every file changed.
 */
import type { Policy } from "../core/policy.js";
import { AnalysisEngine } from "./engine.js";
import type { AnalysisResult } from "./types.js";

export { DISCOVERY_POLICY_FILE } from "./engine.js";

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

export async function analyze(options: AnalyzeOptions): Promise<AnalysisResult> {
  return new AnalysisEngine(options, { updates: false }).update();
}
