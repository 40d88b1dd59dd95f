#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark, one after another, each in its own process.
 *   npm run bench               all of them
 *   npm run bench -- runtime    only the named ones (eslint, analyzer, engine, runtime)
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const all = ["eslint", "analyzer", "engine", "runtime"];
const chosen = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(", ")}; choose from ${all.join(", ")}`);
  process.exit(2);
}
let failed = false;
for (const name of chosen.length ? chosen : all) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(script)) {
    console.error(`bench: ${script} is missing`);
    failed = true;
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, ["--expose-gc", script], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
