#!/usr/bin/env node
/**
 * Writes `<name>.d.json.ts` next to a lock-order.json (see lock-order-types.ts):
 *   node node_modules/lock-discipline/dist/runtime/write-lock-order-types.js [lock-order.json] [--check]
 * `--check` writes nothing and exits 1 when the file is missing or stale (for CI).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { LockOrderConfigError } from "../core/policy.js";
import { lockOrderDeclaration } from "./lock-order-types.js";

const args = process.argv.slice(2);
const check = args.includes("--check");
const jsonPath = args.find((arg) => !arg.startsWith("-")) ?? "lock-order.json";
if (!jsonPath.endsWith(".json")) {
  console.error(`write-lock-order-types: ${jsonPath} is not a .json file`);
  process.exit(2);
}
const outPath = `${jsonPath.slice(0, -".json".length)}.d.json.ts`;
let text: string;
try {
  text = lockOrderDeclaration(JSON.parse(readFileSync(jsonPath, "utf8")), basename(jsonPath));
} catch (error) {
  const reason = error instanceof LockOrderConfigError || error instanceof SyntaxError ? error.message : String(error);
  console.error(`write-lock-order-types: ${jsonPath}: ${reason}`);
  process.exit(2);
}
if (check) {
  const current = existsSync(outPath) ? readFileSync(outPath, "utf8") : undefined;
  if (current === text) process.exit(0);
  console.error(`write-lock-order-types: ${outPath} is ${current === undefined ? "missing" : "stale"}; run without --check to write it`);
  process.exit(1);
}
writeFileSync(outPath, text);
console.log(`wrote ${outPath}`);
