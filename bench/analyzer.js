#!/usr/bin/env node
/**
 * lock-audit against `tsc --noEmit -p` on the generated benchmark project at 1×, 2× and 4× its
 * size, in one run: wall time and peak RSS of each, as separate child processes, and their ratios
 * against the budgets (issues 8 and 9: lock-audit ≤ 1.0× tsc in wall time and ≤ 1.1× in peak RSS).
 * lock-audit must report exactly the project's planted order violations. Needs the build
 * (`npm run build`).
 *
 *   node bench/analyzer.js [--modules 300] [--runs 3] [--out .bench/analyzer]
 *
 * Each measurement is a fresh `node` process started the same way for both tools; peak RSS is the
 * child's own `process.resourceUsage().maxRSS`, reported by a preloaded exit hook; wall time is
 * measured around the child from the parent (process start included, for both). Medians of --runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateProject } from "./generate-project.js";

const WALL_BUDGET = 1.0;
const RSS_BUDGET = 1.1;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const distIndex = join(repo, "dist/analyzer/index.js");
const tscBin = join(repo, "node_modules/typescript/bin/tsc");

/** Preloaded into each measured child: prints its peak RSS (KiB) on stderr as it exits. */
const RSS_HOOK =
  "data:text/javascript," +
  encodeURIComponent('import { writeSync } from "node:fs"; process.on("exit", () => writeSync(2, `\\n@@maxrss ${process.resourceUsage().maxRSS}\\n`));');

/** Child mode: analyze one project through the package's API, format the report, exit. */
async function auditChild(project, expected) {
  const { analyze, formatText } = await import(pathToFileURL(distIndex).href);
  const result = await analyze({ project });
  formatText(result);
  const reported = result.findings
    .filter((finding) => finding.level !== "note")
    .map((finding) => `${finding.location.file}:${finding.location.line} ${finding.ruleId}`)
    .sort();
  if (JSON.stringify(reported) !== expected) {
    process.stderr.write(`lock-audit should report exactly the planted violations ${expected}, but found:\n${formatText(result)}`);
    process.exitCode = 3;
  }
}

function measure(args) {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--import", RSS_HOOK, ...args], { cwd: repo, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = /@@maxrss (\d+)/.exec(child.stderr ?? "");
  if (child.status !== 0 || !rss) {
    throw new Error(`${args.join(" ")} failed (exit ${child.status}):\n${(child.stderr ?? "").replace(/@@maxrss \d+/, "")}${child.stdout ?? ""}`);
  }
  return { wallMs, rssKiB: Number(rss[1]) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measureMedian(args, runs) {
  const samples = Array.from({ length: runs }, () => measure(args));
  return { wallMs: median(samples.map((s) => s.wallMs)), rssKiB: median(samples.map((s) => s.rssKiB)) };
}

function pad(text, width) {
  return String(text).padStart(width);
}

async function main() {
  const { values } = parseArgs({
    options: {
      modules: { type: "string", default: "300" },
      runs: { type: "string", default: "3" },
      out: { type: "string", default: ".bench/analyzer" },
      child: { type: "string" },
      expect: { type: "string" },
    },
  });
  if (values.child) return auditChild(values.child, values.expect ?? "[]");
  if (!existsSync(distIndex)) {
    console.error("bench/analyzer: dist/analyzer/index.js is missing; run `npm run build` first");
    process.exitCode = 2;
    return;
  }
  const base = Number(values.modules);
  const runs = Number(values.runs);
  const rows = [];
  for (const factor of [1, 2, 4]) {
    const modules = base * factor;
    const project = generateProject({ dir: resolve(repo, values.out, `m${modules}`), modules });
    process.stderr.write(`${modules} modules (${project.lines} lines): tsc… `);
    const tsc = measureMedian([tscBin, "--noEmit", "-p", project.tsconfig], runs);
    process.stderr.write("lock-audit… ");
    const expected = JSON.stringify(project.planted.map((site) => `${site.file}:${site.line} ${site.ruleId}`).sort());
    const audit = measureMedian([fileURLToPath(import.meta.url), "--child", project.tsconfig, "--expect", expected], runs);
    process.stderr.write("done\n");
    rows.push({ factor, modules, lines: project.lines, tsc, audit, wall: audit.wallMs / tsc.wallMs, rss: audit.rssKiB / tsc.rssKiB });
  }

  console.log(
    `lock-audit vs tsc --noEmit -p (median of ${runs} run${runs === 1 ? "" : "s"}; budgets ≤ ${WALL_BUDGET.toFixed(1)}× wall time, ≤ ${RSS_BUDGET.toFixed(1)}× peak RSS)`,
  );
  console.log("");
  console.log(" size  modules   lines   tsc wall  audit wall  ratio   tsc RSS  audit RSS  ratio  budgets");
  let failed = false;
  for (const row of rows) {
    const pass = row.wall <= WALL_BUDGET && row.rss <= RSS_BUDGET;
    failed ||= !pass;
    console.log(
      [
        pad(`${row.factor}×`, 5),
        pad(row.modules, 8),
        pad(row.lines, 7),
        pad(`${(row.tsc.wallMs / 1000).toFixed(2)} s`, 10),
        pad(`${(row.audit.wallMs / 1000).toFixed(2)} s`, 11),
        pad(`${row.wall.toFixed(2)}×`, 6),
        pad(`${Math.round(row.tsc.rssKiB / 1024)} MB`, 9),
        pad(`${Math.round(row.audit.rssKiB / 1024)} MB`, 10),
        pad(`${row.rss.toFixed(2)}×`, 6),
        pass ? " met" : ` not met (${[row.wall > WALL_BUDGET ? "wall" : "", row.rss > RSS_BUDGET ? "RSS" : ""].filter(Boolean).join(", ")})`,
      ].join(" "),
    );
  }
  console.log("");
  console.log(failed ? "not met: lock-audit exceeds a budget at some size" : "met: lock-audit stays within both budgets at every size");
  console.log("lock-audit reported exactly the planted order violations at every size");
  process.exitCode = failed ? 1 : 0;
}

await main();
