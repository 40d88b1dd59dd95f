/**
 * Progress on stderr: the phase and how far it is, on one line that is rewritten in place. Only on
 * a terminal, never in CI or with `--no-progress`, and only once the run has taken over a second,
 * so quick runs and logs stay clean.
 */
import type { AnalysisProgress } from "./analyze.js";

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressReporter {
  update(progress: AnalysisProgress): void;
  /** Clears the progress line, if one was written. */
  finish(): void;
}

const SHOW_AFTER_MS = 1000;
const REFRESH_MS = 100;
const PHASES: Record<AnalysisProgress["phase"], string> = {
  load: "loading the project",
  extract: "reading files",
  summarize: "computing summaries",
  check: "checking",
};

export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.CI;
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

export function progressEnabled(stream: ProgressStream, env: Readonly<Record<string, string | undefined>>, requested: boolean): boolean {
  return requested && stream.isTTY === true && !isCi(env);
}

export function createProgressReporter(stream: ProgressStream, enabled: boolean, now: () => number = Date.now): ProgressReporter {
  const started = now();
  let lastWrite = 0;
  let written = false;
  return {
    update(progress) {
      if (!enabled) return;
      const time = now();
      if (time - started < SHOW_AFTER_MS || time - lastWrite < REFRESH_MS) return;
      lastWrite = time;
      written = true;
      const unit = progress.phase === "extract" ? " files" : progress.phase === "summarize" ? " functions" : "";
      const count = progress.total > 1 ? ` ${progress.done}/${progress.total}${unit}` : "";
      stream.write(`\r\u001b[Klock-audit: ${PHASES[progress.phase]}${count}`);
    },
    finish() {
      if (written) stream.write("\r\u001b[K");
      written = false;
    },
  };
}
