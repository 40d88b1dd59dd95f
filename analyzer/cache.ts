/**
 * `--cache`: the last run's result and its per-file facts (analyzer/engine.ts, `StoredFacts`). The
 * key is the tool version, the TypeScript version, the compiler options and file list of every
 * tsconfig (read with `parseJsonConfigFileContent`, no program built), the lock-order.json text, the
 * `--rule` flags; with it, the content hash of every file the program held (the tsconfigs' own
 * files and whatever they import: declaration files, packages). When nothing changed, the result is
 * reused and no program is built. When files changed under the same key, only the changed files
 * and those whose facts depend on them are extracted; the facts of the rest come from the cache,
 * each under the hash of the text it was extracted from. The program built is that of the changed
 * files and what they import when their declarations and classes did not change (see
 * `AnalysisEngine.partial`), else the whole program. A cache under another
 * key is ignored with one note, and so is a corrupt one; neither is ever trusted.
 */
import { AuditError, firstLine } from "./errors.js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ts } from "ts-morph";
import { findLockOrder } from "../core/config.js";
import type { AnalyzeOptions } from "./analyze.js";
import { AnalysisEngine, hashText, type StoredFacts } from "./engine.js";
import { expandProjects, resolveProjectFile } from "./project.js";
import type { AnalysisResult } from "./types.js";
import { TOOL_VERSION } from "./version.js";

export const DEFAULT_CACHE_LOCATION = ".lock-audit-cache.json";
/** Bumped whenever the cached result changes shape, so an older cache is ignored rather than misread. */
export const CACHE_FORMAT = 4;

interface CacheFile {
  format: number;
  key: string;
  /** Absolute path → sha256 of its content, for every file of the program. */
  files: Record<string, string>;
  result: AnalysisResult;
  /** Per-file facts, for a run after some files changed. */
  facts: StoredFacts;
}

function hashFile(path: string): string | undefined {
  try {
    return hashText(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** Everything but the files' contents: version, options, file lists, lock order, flags. */
function cacheKey(options: AnalyzeOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const projects = (typeof options.project === "string" ? [options.project] : options.project).map((project) => resolveProjectFile(project, cwd));
  const entries = expandProjects(projects);
  const config = typeof options.config === "string" ? resolve(cwd, options.config) : options.config === undefined ? findLockOrder(dirname(projects[0])) : undefined;
  return hashText(
    JSON.stringify({
      tool: TOOL_VERSION,
      typescript: ts.version,
      projects: entries.map((entry) => ({ config: entry.configFile, options: entry.parsed.options, files: [...entry.parsed.fileNames].sort() })),
      lockOrder: config ? { file: config, text: hashFile(config) ?? "<unreadable>" } : typeof options.config === "object" ? options.config.json : null,
      rules: options.rules ?? [],
      root: resolve(cwd, options.root ?? dirname(projects[0])),
    }),
  );
}

export interface CacheOutcome {
  result: AnalysisResult;
  hit: boolean;
  /** Files whose facts were extracted (not taken from the cache); 0 on a hit. */
  extracted: number;
  /** Whether the program built was the changed files' and what they import only, not the whole program. */
  partial: boolean;
}

/**
 * `analyze(options)` through the cache at `location`; `note` gets one line when a cache exists but
 * cannot be used. A key that cannot be computed (a broken tsconfig) falls through to `analyze`, which
 * reports the problem as usual.
 */
export async function analyzeCached(options: AnalyzeOptions, location: string, note: (line: string) => void): Promise<CacheOutcome> {
  let key: string;
  try {
    key = cacheKey(options);
  } catch {
    // Nothing is stored without a key: the engine that makes no later update is enough.
    const engine = new AnalysisEngine(options, { updates: false });
    return { result: engine.update(), hit: false, extracted: engine.info.extracted, partial: false };
  }
  let text: string | undefined;
  try {
    text = readFileSync(location, "utf8");
  } catch {
    // No cache yet.
  }
  let reusable: StoredFacts | undefined;
  let changedFiles: string[] = [];
  let cachedFiles: Record<string, string> = {};
  if (text !== undefined) {
    let cached: CacheFile | undefined;
    try {
      const parsed = JSON.parse(text) as Partial<CacheFile>;
      if (
        parsed.format === CACHE_FORMAT &&
        typeof parsed.key === "string" &&
        parsed.files &&
        typeof parsed.files === "object" &&
        parsed.result &&
        Array.isArray(parsed.result.findings) &&
        parsed.facts &&
        typeof parsed.facts.files === "object" &&
        Array.isArray(parsed.facts.functionNames) &&
        Array.isArray(parsed.facts.families)
      ) {
        cached = parsed as CacheFile;
      }
    } catch {
      // Corrupt: said below.
    }
    if (!cached) note(`the cache ${location} is corrupt or from another version; ignoring it and analyzing from scratch`);
    else if (cached.key !== key) note(`the cache ${location} is stale (the configuration, the file list or the tool changed); analyzing from scratch`);
    else {
      changedFiles = Object.entries(cached.files).filter(([path, hash]) => hashFile(path) !== hash).map(([path]) => path);
      const changed = changedFiles.length;
      if (changed === 0) return { result: { ...cached.result, stats: { ...cached.result.stats, durationMs: 0 } }, hit: true, extracted: 0, partial: false };
      note(`the cache ${location} is stale (${changed} ${changed === 1 ? "file" : "files"} changed); re-analyzing what depends on ${changed === 1 ? "it" : "them"}, the rest from the cache`);
      reusable = cached.facts;
      cachedFiles = cached.files;
    }
  }
  let programFiles: readonly string[] = [];
  const engineOptions = { ...options, onProgramFiles: (files: readonly string[]) => (programFiles = files) };
  let engine = new AnalysisEngine(engineOptions);
  let result: AnalysisResult;
  if (reusable) {
    engine.restore(reusable, changedFiles);
    try {
      result = engine.update();
    } catch (error) {
      // Facts that do not link (edited by hand, truncated) are not trusted; a configuration error is the project's.
      if (error instanceof AuditError) throw error;
      note(`the cache ${location} is corrupt (${firstLine(error)}); analyzing from scratch`);
      engine = new AnalysisEngine(engineOptions);
      result = engine.update();
    }
  } else {
    result = engine.update();
  }
  const files: Record<string, string> = {};
  // A run over the changed files' program alone: the other files of the program are the cache's, unchanged.
  if (engine.info.partial) Object.assign(files, cachedFiles);
  for (const file of programFiles) {
    const hash = hashFile(file);
    if (hash !== undefined) files[resolve(file)] = hash;
  }
  const entry: CacheFile = { format: CACHE_FORMAT, key, files, result, facts: engine.store()! };
  try {
    mkdirSync(dirname(location), { recursive: true });
    writeFileSync(location, JSON.stringify(entry));
  } catch (error) {
    note(`cannot write the cache ${location} (${firstLine(error)}); the next run starts from scratch`);
  }
  return { result, hit: false, extracted: engine.info.extracted, partial: engine.info.partial === true };
}
