#!/usr/bin/env node
/**
 * `npm run demo`: the main job on the bundled example. ESLint with the plugin's recommended rules,
 * then lock-audit, both over fixtures/habitat (described by the root lock-order.json). The fixture
 * has violations on purpose, so findings are the expected result; the demo fails only when a tool
 * itself fails (exit code 2: usage, configuration or crash).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
// Node itself exits 1 when an entry point is missing, which would read as "findings": check first.
for (const built of ["dist/rules/index.js", "dist/analyzer/cli.js"]) {
  if (!existsSync(new URL(`../${built}`, import.meta.url))) {
    console.error(`demo: ${built} is missing; run \`npm install\` (or \`npm run build\`) first`);
    process.exit(2);
  }
}
const steps = [
  {
    title: "ESLint with lock-discipline's recommended rules (fixtures/eslint.config.js)",
    args: ["node_modules/eslint/bin/eslint.js", "--config", "fixtures/eslint.config.js", "fixtures/habitat"],
  },
  {
    title: "lock-audit: whole-program analysis",
    args: ["bin/lock-audit.js", "--project", "fixtures/habitat/tsconfig.json", "--no-progress"],
  },
];
let toolFailed = false;
for (const step of steps) {
  console.log(`\n\u25b6 ${step.title}\n  $ node ${step.args.join(" ")}\n`);
  const result = spawnSync(process.execPath, step.args, { cwd: repo, stdio: "inherit" });
  const status = result.status ?? 2;
  console.log(`  exit code ${status}${status === 1 ? " (findings, as the fixture intends)" : status === 0 ? " (clean)" : " (tool error)"}`);
  if (status !== 0 && status !== 1) toolFailed = true;
}
process.exit(toolFailed ? 1 : 0);
