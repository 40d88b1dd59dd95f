#!/usr/bin/env node
/**
 * `node scripts/check-package.js`: the package as a user gets it. Packs the repository, installs the
 * tarball with its peers into a fresh folder, and checks: no install-time warning, one copy of
 * @typescript-eslint/utils (shared with typescript-eslint), and the three faces work from there —
 * the runtime import, `lock-audit init` + `lock-audit`, and ESLint with the plugin. Needs the npm
 * registry; not part of `npm test`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lock-discipline-consumer-"));
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const run = (command, args) => spawnSync(command, args, { cwd: dir, encoding: "utf8" });

try {
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: repo, stdio: ["ignore", "ignore", "pipe"] });
  const tarball = readdirSync(dir).find((name) => name.endsWith(".tgz"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const install = run("npm", ["install", "-D", `./${tarball}`, "eslint@^10", "typescript-eslint@^8", "typescript@~6.0.3", "--no-audit", "--no-fund"]);
  check(install.status === 0, "the tarball installs with its peers");
  check(!/npm warn/i.test(install.stderr + install.stdout), `no install-time warning${/npm warn/i.test(install.stderr) ? `: ${install.stderr.trim()}` : ""}`);
  const utils = run("npm", ["ls", "@typescript-eslint/utils", "--all", "--parseable"]).stdout.trim().split("\n").filter(Boolean);
  check(utils.length === 1, `one copy of @typescript-eslint/utils (found ${utils.length})`);

  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true }, include: ["src"] }));
  writeFileSync(join(dir, "src/mutex.ts"), "export class Mutex {\n  async runExclusive<T>(fn: () => T): Promise<T> { return fn(); }\n  acquire(): void {}\n  release(): void {}\n}\n");
  writeFileSync(join(dir, "src/store.ts"), 'import { Mutex } from "./mutex.js";\nexport class Store {\n  readonly lock = new Mutex();\n  async put(): Promise<void> { await this.lock.runExclusive(() => undefined); }\n}\n');
  writeFileSync(
    join(dir, "eslint.config.js"),
    'import tseslint from "typescript-eslint";\nimport lockDiscipline from "lock-discipline/eslint-plugin";\nexport default [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, lockDiscipline.configs.recommended, lockDiscipline.withLockOrder("./lock-order.json")];\n',
  );
  const runtime = run("node", ["--input-type=module", "-e", 'import { defineLockOrder } from "lock-discipline"; const m = defineLockOrder({ locks: [{ id: "s", target: "Store.lock", kind: "mutex" }] }).mutex("s"); console.log(await m.runExclusive(() => "ran"));']);
  check(runtime.stdout.trim() === "ran", "the runtime entry point imports and runs");
  const init = run("npx", ["lock-audit", "init", "--write"]);
  check(init.status === 0 && /wrote .*lock-order\.json \(1 lock\)/.test(init.stdout), "lock-audit init --write proposes the one lock");
  const audit = run("npx", ["lock-audit", "--no-progress"]);
  check(audit.status === 1 && audit.stdout.includes("'put' should be named 'put_s'"), "lock-audit reports the missing suffix (exit 1)");
  const eslint = run("npx", ["eslint", "src"]);
  check(eslint.status === 1 && eslint.stdout.includes("'put' should be named 'put_s'"), "ESLint with the plugin reports it too, in the same words (exit 1)");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
