#!/usr/bin/env node
/**
 * ESLint over the generated project with lock-discipline's recommended rules vs without them.
 * Budget (issue 2): overhead ≤ 10% untyped, ≤ 5% typed.
 *
 * Each measured run is a fresh child process (typescript-eslint caches programs in-process, which
 * would flatter every typed run after the first); rounds alternate baseline and plugin so machine
 * noise hits both alike. The time is measured inside the child around `lintFiles`, so process
 * start-up is not counted. The median of the rounds is compared.
 *
 *   node bench/eslint.js [--modules 300] [--rounds 5] [--typed-rounds 3]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateProject } from "./generate-project.js";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));

async function child(variant, dir) {
  const { ESLint } = await import("eslint");
  const tsParser = (await import("@typescript-eslint/parser")).default;
  const plugin = (await import(join(repo, "dist/rules/index.js"))).default;
  const typed = variant.endsWith("-typed");
  const withRules = variant.startsWith("plugin");
  const config = [
    {
      files: ["**/*.ts"],
      languageOptions: {
        parser: tsParser,
        parserOptions: typed ? { project: join(dir, "tsconfig.json"), tsconfigRootDir: dir } : {},
      },
    },
  ];
  if (withRules) {
    config.push(plugin.configs.recommended, plugin.withLockOrder(join(dir, "lock-order.json")));
  }
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: config, cache: false });
  const started = performance.now();
  const results = await eslint.lintFiles(["src/**/*.ts"]);
  const ms = performance.now() - started;
  const problems = results.reduce((sum, result) => sum + result.messages.length, 0);
  const firstProblem = results.flatMap((result) => result.messages.map((m) => `${result.filePath}:${m.line} ${m.ruleId} ${m.message}`))[0];
  process.stdout.write(JSON.stringify({ ms, files: results.length, problems, firstProblem }));
}

function runChild(variant, dir) {
  const output = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", variant, "--dir", dir], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(output);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main() {
  const { values } = parseArgs({
    options: {
      child: { type: "string" },
      dir: { type: "string" },
      modules: { type: "string", default: "300" },
      rounds: { type: "string", default: "5" },
      "typed-rounds": { type: "string", default: "3" },
    },
  });
  if (values.child) return child(values.child, resolve(values.dir));

  const project = generateProject({ dir: join(repo, ".bench", "eslint-project"), modules: Number(values.modules) });
  console.log(`ESLint benchmark: ${project.files} files, ${project.lines} lines (${project.dir})`);
  const rows = [];
  for (const [mode, rounds, budget] of [
    ["untyped", Number(values.rounds), 0.1],
    ["typed", Number(values["typed-rounds"]), 0.05],
  ]) {
    const suffix = mode === "typed" ? "-typed" : "";
    runChild(`baseline${suffix}`, project.dir); // warm the file system cache
    const baseline = [];
    const plugin = [];
    let problems = 0;
    let firstProblem;
    for (let round = 0; round < rounds; round += 1) {
      baseline.push(runChild(`baseline${suffix}`, project.dir).ms);
      const run = runChild(`plugin${suffix}`, project.dir);
      plugin.push(run.ms);
      problems = run.problems;
      firstProblem ??= run.firstProblem;
    }
    const ratio = median(plugin) / median(baseline);
    rows.push({ mode, baseline: median(baseline), plugin: median(plugin), ratio, budget, problems, firstProblem, rounds });
  }
  console.log("");
  console.log("| run | rounds | without rules (median ms) | with recommended (median ms) | ratio | budget | result |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) {
    const verdict = row.ratio <= 1 + row.budget ? "PASS" : "FAIL";
    console.log(
      `| ${row.mode} | ${row.rounds} | ${row.baseline.toFixed(0)} | ${row.plugin.toFixed(0)} | ${row.ratio.toFixed(3)}× | ≤ ${(1 + row.budget).toFixed(2)}× | ${verdict} |`,
    );
  }
  for (const row of rows) {
    // The generated project is clean: any problem means a false alarm worth looking at.
    if (row.problems) console.log(`${row.mode}: ${row.problems} problems reported on the clean project, e.g. ${row.firstProblem}`);
  }
}

await main();
