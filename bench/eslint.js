#!/usr/bin/env node
/**
 * ESLint over the generated project with lock-discipline's recommended rules vs without them.
 * Budget (issue 8): against the same run with one inert core rule, overhead ≤ 5% untyped and ≤ 5%
 * typed. Every run with the plugin must report exactly the planted order violations (which reach
 * their locks through injected, annotated members) and nothing else.
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
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateProject } from "./generate-project.js";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));

/**
 * The configurations compared. ESLint with no rule at all skips work it does as soon as any rule is
 * on (measured: a rule with no listeners already costs ~20%), so besides the literal "without the
 * rules" baseline the bench reports two that isolate what lock-discipline adds: one inert core rule
 * (`no-debugger`, which the project never triggers: ESLint's own cost of running rules), and
 * typescript-eslint's recommended config (what a TypeScript project runs anyway).
 */
const VARIANTS = {
  none: { rules: "none" },
  inert: { rules: "inert" },
  plugin: { rules: "plugin" },
  tseslint: { rules: "tseslint" },
  "tseslint+plugin": { rules: "tseslint+plugin" },
};

async function child(variant, dir) {
  const { ESLint } = await import("eslint");
  const tsParser = (await import("@typescript-eslint/parser")).default;
  const tseslint = (await import("typescript-eslint")).default;
  const plugin = (await import(join(repo, "dist/rules/index.js"))).default;
  const typed = variant.endsWith("-typed");
  const name = typed ? variant.slice(0, -"-typed".length) : variant;
  const config = [
    {
      files: ["**/*.ts"],
      languageOptions: {
        parser: tsParser,
        parserOptions: typed ? { project: join(dir, "tsconfig.json"), tsconfigRootDir: dir } : {},
      },
    },
  ];
  if (name === "inert") config.push({ rules: { "no-debugger": "error" } });
  if (name.startsWith("tseslint")) config.push(...tseslint.configs.recommended.map((entry) => ({ ...entry, files: ["**/*.ts"] })));
  if (name.endsWith("plugin")) config.push(plugin.configs.recommended, plugin.withLockOrder(join(dir, "lock-order.json")));
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: config, cache: false });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const results = await eslint.lintFiles(["src/**/*.ts"]);
  const cpu = process.cpuUsage(cpuStarted);
  const ms = performance.now() - started;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const lockProblems = results.flatMap((result) =>
    result.messages
      .filter((m) => !m.ruleId || m.ruleId.startsWith("lock-discipline/"))
      .map((m) => ({ file: relative(dir, result.filePath).replace(/\\/g, "/"), line: m.line, ruleId: m.ruleId?.replace("lock-discipline/", "") ?? null, message: m.message })),
  );
  process.stdout.write(JSON.stringify({ ms, cpuMs, files: results.length, problems: lockProblems }));
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
  console.log("each run a fresh process; rounds interleave the configurations; medians of CPU and wall time around lintFiles");
  const comparisons = [
    // [label, baseline variant, with-plugin variant, budget (the allowed overhead) or undefined]
    ["recommended vs no rules at all", "none", "plugin", undefined],
    ["recommended vs one inert core rule", "inert", "plugin", 0.05],
    ["typescript-eslint recommended + ours vs without ours", "tseslint", "tseslint+plugin", undefined],
  ];
  const rows = [];
  const unexpected = [];
  const plantedKeys = project.planted.map((site) => `${site.file}:${site.line} ${site.ruleId}`).sort();
  console.log(`planted order violations: ${plantedKeys.length} (${plantedKeys.join(", ")})`);
  for (const [mode, rounds] of [
    ["untyped", Number(values.rounds)],
    ["typed", Number(values["typed-rounds"])],
  ]) {
    const suffix = mode === "typed" ? "-typed" : "";
    const times = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
    const cpuTimes = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
    runChild(`none${suffix}`, project.dir); // warm the file system cache
    for (let round = 0; round < rounds; round += 1) {
      for (const name of Object.keys(VARIANTS)) {
        const run = runChild(`${name}${suffix}`, project.dir);
        times[name].push(run.ms);
        cpuTimes[name].push(run.cpuMs);
        // With the plugin: exactly the planted violations; without it: nothing of ours.
        const expected = name.endsWith("plugin") ? plantedKeys : [];
        const reported = run.problems.map((p) => `${p.file}:${p.line} ${p.ruleId}`).sort();
        if (JSON.stringify(reported) !== JSON.stringify(expected)) {
          const missed = expected.filter((key) => !reported.includes(key));
          const extra = run.problems.filter((p) => !expected.includes(`${p.file}:${p.line} ${p.ruleId}`)).map((p) => `${p.file}:${p.line} ${p.ruleId} ${p.message}`);
          unexpected.push(`${mode} ${name}: missed [${missed.join(", ")}], unexpected [${extra.slice(0, 3).join("; ")}${extra.length > 3 ? `; … ${extra.length - 3} more` : ""}]`);
        }
      }
    }
    for (const [label, baseline, withPlugin, budget] of comparisons) {
      rows.push({
        mode,
        label,
        rounds,
        budget,
        baseline: median(times[baseline]),
        plugin: median(times[withPlugin]),
        baselineCpu: median(cpuTimes[baseline]),
        pluginCpu: median(cpuTimes[withPlugin]),
      });
    }
  }
  console.log("");
  // The budget is judged on wall time; CPU time (every thread, the garbage collector's included) is
  // shown beside it: allocation shows there even when a second core hides it from the wall clock.
  console.log("| run | comparison | rounds | baseline wall (median ms) | with lock-discipline wall (median ms) | wall ratio | CPU ratio | budget (wall) |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) {
    const ratio = row.plugin / row.baseline;
    const cpu = row.pluginCpu / row.baselineCpu;
    const budget = row.budget === undefined ? "—" : `≤ ${(1 + row.budget).toFixed(2)}× (${ratio <= 1 + row.budget ? "met" : "not met"})`;
    console.log(
      `| ${row.mode} | ${row.label} | ${row.rounds} | ${row.baseline.toFixed(0)} | ${row.plugin.toFixed(0)} | ${ratio.toFixed(3)}× | ${cpu.toFixed(3)}× | ${budget} |`,
    );
  }
  console.log("");
  if (unexpected.length) {
    for (const line of [...new Set(unexpected)]) console.log(`WRONG FINDINGS ${line}`);
    process.exitCode = 1;
  } else {
    console.log(`every run with the plugin reported exactly the ${plantedKeys.length} planted violations`);
  }
}

await main();
