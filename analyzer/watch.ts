/**
 * `--watch`: run, then run again after each change on disk under the project folders (and to
 * lock-order.json), with the time each update took on stderr. Changes close together (a save that
 * writes several files, a branch switch) make one run. It runs until the process is stopped.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { findLockOrder } from "../core/config.js";
import { resolveProjectFile } from "./project.js";
import { TOOL_NAME } from "./rule-catalog.js";

export interface WatchIo {
  stderr: { write(text: string): unknown };
  cwd: string;
}

const IGNORED = /(^|[\\/])(node_modules|\.git|dist)([\\/]|$)/;
const RELEVANT = /\.([cm]?tsx?|json)$/;

/**
 * `run` is one whole lock-audit run (report included) that resolves to its exit code, given the
 * files that changed since the last run (none the first time; the command line's run keeps an
 * analysis engine and updates it with them). Resolves only when `signal` aborts (tests); the
 * command line waits for Ctrl-C.
 */
export async function watchRuns(run: (changed: readonly string[]) => Promise<number>, projects: readonly string[], io: WatchIo, options: { debounceMs?: number; signal?: AbortSignal; ignore?: readonly string[] } = {}): Promise<number> {
  const ignored = new Set((options.ignore ?? []).map((path) => resolve(io.cwd, path)));
  const dirs = new Set<string>();
  const files = new Set<string>();
  for (const project of projects) {
    try {
      const projectFile = resolveProjectFile(project, io.cwd);
      dirs.add(dirname(projectFile));
      const lockOrder = findLockOrder(dirname(projectFile));
      if (lockOrder && !dirs.has(dirname(lockOrder))) files.add(lockOrder);
    } catch {
      // The first run has said what is wrong; watch the folder it was run in.
      dirs.add(io.cwd);
    }
  }
  let code = await timed(() => run([]), io, "first report");
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let pending = false;
  const trigger = (path?: string) => {
    if (path) changed.add(path);
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      timer = undefined;
      if (running) {
        pending = true;
        return;
      }
      running = true;
      const paths = [...changed];
      changed = new Set();
      code = await timed(() => run(paths), io, "updated");
      running = false;
      if (pending) {
        pending = false;
        trigger();
      }
    }, options.debounceMs ?? 100);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    watchers.push(
      watch(dir, { recursive: true }, (_event, name) => {
        // Without a name nothing says what changed: the next run starts over.
        if (!name) return trigger(join(dir, "tsconfig.json"));
        const path = resolve(dir, name.toString());
        if (IGNORED.test(name.toString()) || ignored.has(path) || !RELEVANT.test(path)) return;
        trigger(path);
      }),
    );
  }
  for (const file of files) {
    watchers.push(watch(dirname(file), (_event, name) => (name?.toString() === basename(file) ? trigger(file) : undefined)));
  }
  io.stderr.write(`${TOOL_NAME} --watch: watching ${[...dirs, ...files].join(", ")}; press Ctrl-C to stop\n`);
  await new Promise<void>((resolveStop) => options.signal?.addEventListener("abort", () => resolveStop(), { once: true }));
  for (const watcher of watchers) watcher.close();
  if (timer) clearTimeout(timer);
  return code;
}

async function timed(run: () => Promise<number>, io: WatchIo, what: string): Promise<number> {
  const started = performance.now();
  const code = await run();
  io.stderr.write(`${TOOL_NAME} --watch: ${what} in ${Math.round(performance.now() - started)} ms (exit ${code})\n`);
  return code;
}
