#!/usr/bin/env node
/**
 * The incremental engine's budgets (issue 11) on the generated benchmark project (1,200 modules),
 * each as a ratio to a cold `lock-audit` run's wall time (or peak RSS), in one run:
 *
 * - server, one-file edit: `lock-audit lsp --stdio` gets a `didChange` to one module's method body
 *   (an order violation added, then removed); the time until it publishes that document's updated
 *   diagnostics (its 150 ms debounce included) ≤ 10%;
 * - server, an edit to a function called from 100 places (`hubTouch_rh` in src/hub.ts, which the
 *   bench adds and calls from modules 0–99): it starts or stops taking ml:r, so 100 callers' summaries
 *   change; until hub.ts's diagnostics are published ≤ 25%;
 * - `--cache` warm on an unchanged project ≤ 30%, and after one changed file (a module's method body)
 *   ≤ 70%: the program is built and only that file extracted, the other facts come from the cache;
 * - server memory (resident set, from /proc) after `--edits` one-file edits ≤ 1.5× the cold run's
 *   peak RSS.
 *
 *   node bench/engine.js [--modules 1200] [--runs 1] [--edits 200] [--out .bench/engine]
 *
 * Wall times are measured from the parent around each child process (process start included);
 * server times from the notification sent to the diagnostics received. Medians of --runs for the
 * CLI runs, of every edit for the server. Needs the build (`npm run build`).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { generateProject } from "./generate-project.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(repo, "bin/lock-audit.js");
const BUDGETS = { edit: 0.1, hub: 0.25, warm: 0.3, changed: 0.7, rss: 1.5 };
const HUB_CALLERS = 100;

const RSS_HOOK =
  "data:text/javascript," +
  encodeURIComponent('import { writeSync } from "node:fs"; process.on("exit", () => writeSync(2, `\\n@@maxrss ${process.resourceUsage().maxRSS}\\n`));');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One `lock-audit` CLI run: wall time and peak RSS. Exit 1 (findings) is expected. */
function cli(args, cwd) {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--import", RSS_HOOK, bin, ...args], { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = /@@maxrss (\d+)/.exec(child.stderr ?? "");
  if ((child.status !== 0 && child.status !== 1) || !rss) throw new Error(`lock-audit ${args.join(" ")} failed (exit ${child.status}):\n${child.stderr}`);
  return { wallMs, rssKiB: Number(rss[1]), stdout: child.stdout, stderr: child.stderr.replace(/\n?@@maxrss \d+\n?/, "") };
}

/** Adds src/hub.ts with `hubTouch_rh`, called from the first HUB_CALLERS modules' `publish_…_rh` (which take rh already). */
function addHub(dir, modules) {
  writeFileSync(
    join(dir, "src/hub.ts"),
    `import { memberList, rumorHeat } from "./habitat.js";\n\n/** Called from ${HUB_CALLERS} modules.\n * @acquires rh\n */\nexport async function hubTouch_rh(): Promise<void> {\n  await rumorHeat.bump_rh("hub");\n}\n\nexport const hubMembers = memberList;\n`,
  );
  for (let index = 0; index < Math.min(HUB_CALLERS, modules); index += 1) {
    const path = join(dir, `src/m${index}.ts`);
    const text = readFileSync(path, "utf8");
    const edited = text
      .replace(/^(import [^\n]*habitat\.js";\n)/m, `$1import { hubTouch_rh } from "./hub.js";\n`)
      .replace(/^( {2}async publish_\w+\(\)[^\n]*\{\n)/m, "$1    await hubTouch_rh();\n");
    if (edited === text) throw new Error(`bench/engine: cannot add the hub call to ${path}`);
    writeFileSync(path, edited);
  }
}

/** The language server as a child process, with a JSON-RPC client and the diagnostics it publishes. */
async function startServer(dir) {
  const child = spawn(process.execPath, [bin, "lsp", "--stdio"], { cwd: dir });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let waiters = [];
  const latest = new Map();
  connection.onNotification("textDocument/publishDiagnostics", (params) => {
    latest.set(params.uri, { diagnostics: params.diagnostics, at: performance.now() });
    if (process.env.BENCH_DEBUG) process.stderr.write(`[published] ${params.uri} ${params.diagnostics.map((d) => d.code).join(",")}\n`);
    const pending = waiters;
    waiters = [];
    for (const wake of pending) wake();
  });
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("workspace/diagnostic/refresh", () => null);
  connection.onNotification("window/logMessage", (params) => {
    if (process.env.BENCH_DEBUG) process.stderr.write(`[server] ${params.message}\n`);
  });
  connection.listen();
  await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "bench" }], capabilities: {} });
  await connection.sendNotification("initialized", {});
  const versions = new Map();
  const uri = (file) => pathToFileURL(join(dir, file)).href;
  return {
    child,
    open(file) {
      versions.set(file, 1);
      void connection.sendNotification("textDocument/didOpen", { textDocument: { uri: uri(file), languageId: "typescript", version: 1, text: readFileSync(join(dir, file), "utf8") } });
    },
    change(file, text) {
      const version = (versions.get(file) ?? 1) + 1;
      versions.set(file, version);
      void connection.sendNotification("textDocument/didChange", { textDocument: { uri: uri(file), version }, contentChanges: [{ text }] });
    },
    /** Resolves when `file`'s published diagnostics satisfy `accept`, with the time they arrived. */
    async published(file, accept) {
      for (;;) {
        const current = latest.get(uri(file));
        if (current && accept(current.diagnostics)) return current.at;
        await new Promise((wake) => waiters.push(wake));
      }
    },
    rssKiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    },
    async stop() {
      await connection.sendRequest("shutdown").catch(() => {});
      void connection.sendNotification("exit");
      connection.dispose();
      child.kill();
    },
  };
}

const count = (rule) => (diagnostics) => diagnostics.filter((diagnostic) => diagnostic.code === rule).length;

function row(label, value, cold, budget, unit = "s") {
  const ratio = value / cold;
  const shown = unit === "s" ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value / 1024)} MB`;
  console.log(`${label.padEnd(46)} ${shown.padStart(10)}  ${ratio.toFixed(3).padStart(6)}×  budget ≤ ${budget}×  ${ratio <= budget ? "met" : "NOT MET"}`);
  return ratio <= budget;
}

async function main() {
  const { values } = parseArgs({ options: { modules: { type: "string", default: "1200" }, runs: { type: "string", default: "1" }, edits: { type: "string", default: "200" }, out: { type: "string", default: ".bench/engine" } } });
  if (!existsSync(join(repo, "dist/analyzer/server/lsp.js"))) {
    console.error("bench/engine: dist/ is missing; run `npm run build` first");
    process.exitCode = 2;
    return;
  }
  const modules = Number(values.modules);
  const runs = Number(values.runs);
  const edits = Number(values.edits);
  const dir = resolve(repo, values.out, `m${modules}`);
  generateProject({ dir, modules });
  addHub(dir, modules);
  // A module without a planted violation of its own (those are every 50th).
  const middle = Math.floor(modules / 2) + 1;
  const target = `src/m${middle}.ts`;
  const targetText = readFileSync(join(dir, target), "utf8");
  // Under this module's lock, a call that takes the previous module's: one order finding in the file.
  const previousGet = [...readFileSync(join(dir, `src/m${middle - 1}.ts`), "utf8").matchAll(/^ {2}async (get_\w+)\(/gm)][0][1];
  const violating = targetText.replace(/^( {2}async get_\w+\([^\n]*\{\n)/m, `$1    await this.state.runExclusive(async () => { await this.previous.${previousGet}("bench"); });\n`);
  const hubText = readFileSync(join(dir, "src/hub.ts"), "utf8");
  const hubTakingMl = hubText.replace('  await rumorHeat.bump_rh("hub");\n', '  await rumorHeat.bump_rh("hub");\n  await memberList.get_mlr("hub");\n');

  process.stderr.write(`${modules} modules + src/hub.ts: cold lock-audit… `);
  const cold = Array.from({ length: runs }, () => cli(["--project", dir, "--format", "json", "--no-progress"], dir));
  const coldWall = median(cold.map((run) => run.wallMs));
  const coldRss = median(cold.map((run) => run.rssKiB));

  process.stderr.write("--cache… ");
  const cache = join(dir, ".bench-cache.json");
  rmSync(cache, { force: true });
  const cacheArgs = ["--project", dir, "--format", "json", "--no-progress", "--cache", "--cache-location", cache];
  cli(cacheArgs, dir);
  const warm = median(Array.from({ length: runs }, () => cli(cacheArgs, dir).wallMs));
  const changedRuns = [];
  for (let run = 0; run < runs; run += 1) {
    writeFileSync(join(dir, target), run % 2 === 0 ? violating : targetText);
    changedRuns.push(cli(cacheArgs, dir).wallMs);
  }
  writeFileSync(join(dir, target), targetText);
  const changed = median(changedRuns);

  process.stderr.write("server… ");
  const server = await startServer(dir);
  server.open(target);
  server.open("src/hub.ts");
  await server.published(target, () => true);
  await server.published("src/hub.ts", () => true);
  const editTimes = [];
  const hubTimes = [];
  for (let edit = 0; edit < edits; edit += 1) {
    const adding = edit % 2 === 0;
    const sent = performance.now();
    server.change(target, adding ? violating : targetText);
    const at = await server.published(target, (diagnostics) => count("order")(diagnostics) === (adding ? 1 : 0));
    editTimes.push(at - sent);
    if (edit < 10) {
      const hubSent = performance.now();
      server.change("src/hub.ts", adding ? hubTakingMl : hubText);
      const hubAt = await server.published("src/hub.ts", (diagnostics) => count("suffix")(diagnostics) === (adding ? 1 : 0));
      hubTimes.push(hubAt - hubSent);
    }
    if ((edit + 1) % 20 === 0) process.stderr.write(`${edit + 1} `);
  }
  const rssAfter = server.rssKiB();
  await server.stop();
  process.stderr.write("done\n");

  console.log(`lock-audit's incremental engine on the generated ${modules}-module project (+ src/hub.ts); cold lock-audit: ${(coldWall / 1000).toFixed(2)} s wall, ${Math.round(coldRss / 1024)} MB peak RSS (median of ${runs})`);
  console.log("");
  const met = [
    row(`server: one-file edit → diagnostics (median of ${edits})`, median(editTimes), coldWall, BUDGETS.edit),
    row(`server: edit to a function with ${HUB_CALLERS} callers (median of ${hubTimes.length})`, median(hubTimes), coldWall, BUDGETS.hub),
    row("--cache: warm, nothing changed", warm, coldWall, BUDGETS.warm),
    row("--cache: one changed file", changed, coldWall, BUDGETS.changed),
    row(`server: RSS after ${edits} edits vs cold peak RSS`, rssAfter, coldRss, BUDGETS.rss, "MB"),
  ];
  console.log("");
  console.log(met.every(Boolean) ? "met: every budget" : "not met: a budget above is exceeded");
  process.exitCode = met.every(Boolean) ? 0 : 1;
}

await main();
