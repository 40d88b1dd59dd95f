/**
 * Real ESLint (the `ESLint` class, flat config) over fixtures/habitat: the exact findings, untyped and
 * typed, and what a broken lock-order.json does to the API and to the CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";
import { afterAll, describe, expect, it } from "vitest";
import plugin from "../rules/index.js";

const repo = new URL("../", import.meta.url).pathname;
const fixture = join(repo, "fixtures/habitat");

/** What the rules find in fixtures/habitat without type information: `rule file:line`. */
const UNTYPED = [
  "lock-discipline/suffix src/gateway-state.ts:21",
  "lock-discipline/order src/member-list.ts:56",
  "lock-discipline/release src/rumor-heat.ts:33",
  "lock-discipline/no-recursion src/rumor-store.ts:45",
  "lock-discipline/release src/server.ts:52",
  "lock-discipline/doc src/server.ts:85",
  "lock-discipline/key-source src/workflow-locks.ts:37",
  "lock-discipline/key-source src/workflow-locks.ts:41",
];

/** Typed linting also resolves `stores[0].list` (an element of `stores: readonly RumorStore[]`) in Server.countWithSelf_sm. */
const TYPED = [...UNTYPED, "lock-discipline/suffix src/server.ts:94", "lock-discipline/order src/server.ts:96"];

const recommended = plugin.configs.recommended as unknown as Linter.Config;
const parser = tseslint.parser as Linter.Parser;

function key(ruleId: string | null, file: string, line: number): string {
  return `${ruleId} ${relative(fixture, file)}:${line}`;
}

/** Every finding as `rule file:line`; fatal messages (parse errors) and rule crashes fail the test. */
async function lint(eslint: ESLint): Promise<string[]> {
  const results = await eslint.lintFiles(["fixtures/habitat/"]);
  expect(results.map((result) => relative(fixture, result.filePath)).sort()).toEqual(
    readdirSync(join(fixture, "src"))
      .filter((name) => name.endsWith(".ts"))
      .map((name) => `src/${name}`)
      .sort(),
  );
  const fatal = results.flatMap((result) => result.messages.filter((message) => message.fatal).map((message) => `${result.filePath}: ${message.message}`));
  expect(fatal).toEqual([]);
  return results.flatMap((result) => result.messages.map((message) => key(message.ruleId, result.filePath, message.line))).sort();
}

/** The `// expect: lock-discipline/<rule>` markers in the fixture (`expect(typed):` for typed-only findings). */
function markers(typed: boolean): string[] {
  const found: string[] = [];
  for (const name of readdirSync(join(fixture, "src"))) {
    const file = join(fixture, "src", name);
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, index) => {
        for (const match of text.matchAll(/\/\/ expect(\(typed\))?: ([\w/-]+(?:, [\w/-]+)*)/g)) {
          if (match[1] && !typed) continue;
          for (const rule of match[2].split(", ")) found.push(key(rule, file, index + 1));
        }
      });
  }
  return found.sort();
}

describe("ESLint over fixtures/habitat", () => {
  it("the fixture's markers agree with the expected findings, and cover every rule", () => {
    expect(markers(false)).toEqual([...UNTYPED].sort());
    expect(markers(true)).toEqual([...TYPED].sort());
    // `target` reports a broken lock-order.json, which also stops lock-audit (exit 2) by design, so the
    // demo's order is sound; the rule has its own cases in test/rules/target.test.ts.
    const demonstrated = Object.keys(plugin.rules).filter((name) => name !== "target");
    expect(new Set(UNTYPED.map((finding) => finding.split(" ")[0]))).toEqual(new Set(demonstrated.map((name) => `lock-discipline/${name}`)));
  });

  it("untyped, with the nearest lock-order.json: exactly the marked findings", async () => {
    const eslint = new ESLint({
      cwd: repo,
      overrideConfigFile: true,
      overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser } }, recommended],
    });
    expect(await lint(eslint)).toEqual([...UNTYPED].sort());
  });

  it("typed, with withLockOrder: also what only types reveal", async () => {
    const eslint = new ESLint({
      cwd: repo,
      overrideConfigFile: true,
      overrideConfig: [
        { files: ["**/*.ts"], languageOptions: { parser, parserOptions: { project: "fixtures/habitat/tsconfig.json", tsconfigRootDir: repo } } },
        recommended,
        plugin.withLockOrder(join(repo, "lock-order.json")) as Linter.Config,
      ],
    });
    expect(await lint(eslint)).toEqual([...TYPED].sort());
  });

  it("the demo's fixtures/eslint.config.js (the built plugin, typed) finds the same", async () => {
    const eslint = new ESLint({ cwd: repo, overrideConfigFile: "fixtures/eslint.config.js" });
    expect(await lint(eslint)).toEqual([...TYPED].sort());
  });

  it("doc is a warning, the rest errors", async () => {
    const eslint = new ESLint({ cwd: repo, overrideConfigFile: true, overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser } }, recommended] });
    const results = await eslint.lintFiles(["fixtures/habitat/src/server.ts"]);
    const severities = Object.fromEntries(results[0].messages.map((message) => [message.ruleId, message.severity]));
    expect(severities).toEqual({ "lock-discipline/doc": 1, "lock-discipline/release": 2 });
  });
});

describe("a broken lock-order.json", () => {
  const scratch = mkdtempSync(join(tmpdir(), "lock-discipline-eslint-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const builtPlugin = pathToFileURL(join(repo, "dist/rules/index.js")).href;
  const eslintBin = join(repo, "node_modules/eslint/bin/eslint.js");

  /** A project whose lock-order.json declares `ms` twice; plain JS so the config needs no parser. */
  function brokenProject(name: string, config: string): string {
    const dir = join(scratch, name);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(
      join(dir, "lock-order.json"),
      JSON.stringify({
        locks: [
          { id: "ms", target: "ManagerServices.inner", kind: "rwlock" },
          { id: "ms", target: "RumorStore.list", kind: "rwlock" },
        ],
      }),
    );
    for (const file of ["a.js", "b.js", "c.js"]) writeFileSync(join(dir, "src", file), "export function register_msw() {}\n");
    writeFileSync(join(dir, "eslint.config.js"), config);
    return dir;
  }

  const expectedLine = (dir: string) => `lock-discipline: ${join(dir, "lock-order.json")}: locks[1].id: duplicate id "ms" (also locks[0]); give each lock its own id`;

  /** withLockOrder() finds lock-order.json from process.cwd(): right for the CLI run in `dir`, not for the API in this process. */
  const withLockOrderConfig = `import plugin from ${JSON.stringify(builtPlugin)};\nexport default [plugin.configs.recommended, plugin.withLockOrder()];\n`;
  const withLockOrderPathConfig = `import { fileURLToPath } from "node:url";
import plugin from ${JSON.stringify(builtPlugin)};
export default [plugin.configs.recommended, plugin.withLockOrder(fileURLToPath(new URL("lock-order.json", import.meta.url)))];
`;
  const discoveryConfig = `import plugin from ${JSON.stringify(builtPlugin)};\nexport default [plugin.configs.recommended];\n`;

  it("withLockOrder in the config file: lintFiles rejects with the one line, no stack", async () => {
    const dir = brokenProject("api-config", withLockOrderPathConfig);
    const error = await new ESLint({ cwd: dir }).lintFiles(["src"]).then(
      () => undefined,
      (rejection: unknown) => rejection as Error,
    );
    expect(error?.message).toBe(expectedLine(dir));
    expect(error?.stack).toBe(expectedLine(dir));
  });

  it("discovered by the rules: lintFiles rejects once, with the line as the error's whole stack", async () => {
    const dir = brokenProject("api-discovery", discoveryConfig);
    const error = await new ESLint({ cwd: dir }).lintFiles(["src"]).then(
      () => undefined,
      (rejection: unknown) => rejection as Error,
    );
    // ESLint prefixes the message of an error thrown while a rule starts ("Error while loading rule …",
    // "Occurred while linting …"); the stack, which is what the CLI prints, stays the one line.
    expect(error?.message).toContain(expectedLine(dir));
    expect(error?.stack).toBe(expectedLine(dir));
  });

  for (const [name, config] of [
    ["withLockOrder()", withLockOrderConfig],
    ["withLockOrder(path)", withLockOrderPathConfig],
    ["discovery", discoveryConfig],
  ] as const) {
    it(`the CLI exits 2 with the one line and no stack trace (${name})`, () => {
      const dir = brokenProject(`cli-${name}`, config);
      const run = spawnSync(process.execPath, [eslintBin, "src"], { cwd: dir, encoding: "utf8" });
      expect(run.status).toBe(2);
      const output = `${run.stdout}${run.stderr}`;
      expect(output).toContain(`\n${expectedLine(dir)}\n`);
      expect(output).not.toMatch(/^\s+at /m);
      // Once for the run, not once per file.
      expect(output.split(expectedLine(dir)).length - 1).toBe(1);
    });
  }
});

describe("eslint --cache with withLockOrder", () => {
  const scratch = mkdtempSync(join(tmpdir(), "lock-discipline-cache-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("re-lints when lock-order.json changes, because the order is part of the configuration", () => {
    const builtPlugin = pathToFileURL(join(repo, "dist/rules/index.js")).href;
    writeFileSync(join(scratch, "eslint.config.js"), `import plugin from ${JSON.stringify(builtPlugin)};\nexport default [plugin.configs.recommended, plugin.withLockOrder()];\n`);
    // `run_db` claims the mutex `db` but takes nothing: a suffix error and a missing-doc warning.
    writeFileSync(join(scratch, "pool.js"), "export function run_db() {}\n");
    const order = (id: string) => JSON.stringify({ locks: [{ id, target: "Pool.conn", kind: "mutex" }] });
    const lint = () => {
      const run = spawnSync(process.execPath, [join(repo, "node_modules/eslint/bin/eslint.js"), "--cache", "--format", "json", "pool.js"], { cwd: scratch, encoding: "utf8" });
      expect(run.stderr).toBe("");
      return (JSON.parse(run.stdout) as { messages: { ruleId: string }[] }[])[0].messages.map((message) => message.ruleId).sort();
    };
    writeFileSync(join(scratch, "lock-order.json"), order("db"));
    expect(lint()).toEqual(["lock-discipline/doc", "lock-discipline/suffix"]);
    // Renamed lock: `_db` is no longer a suffix, so nothing is wrong with `run_db`. A stale cache would repeat the two findings.
    writeFileSync(join(scratch, "lock-order.json"), order("pool"));
    expect(lint()).toEqual([]);
  });
});
