import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ESLint, Linter } from "eslint";
import tseslint from "typescript-eslint";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import plugin, { withLockOrder } from "../../rules/index.js";

const repo = new URL("../../", import.meta.url).pathname;
const rootLockOrder = join(repo, "lock-order.json");
const packageJson = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };

const RULE_NAMES = ["suffix", "order", "no-recursion", "release", "doc", "key-source", "target"];

const scratch = mkdtempSync(join(tmpdir(), "lock-discipline-plugin-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Writes files under a fresh folder of the scratch dir and returns its path. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const lockOrderText = (locks: object[]) => JSON.stringify({ locks });

describe("plugin shape", () => {
  it("names itself and carries the package version", () => {
    expect(plugin.meta).toEqual({ name: "lock-discipline", version: packageJson.version });
  });

  it("has exactly the seven rules, each with a description and a docs URL", () => {
    expect(Object.keys(plugin.rules).sort()).toEqual([...RULE_NAMES].sort());
    for (const [name, rule] of Object.entries(plugin.rules)) {
      expect(rule.meta.docs?.url, name).toBe(`https://github.com/lock-discipline/lock-discipline/blob/main/docs/rules/${name}.md`);
      expect(rule.meta.docs?.description, name).toMatch(/\S/);
    }
  });

  it("has the page each docs URL points to, docs/rules/<rule>.md", () => {
    const missing = Object.keys(plugin.rules).filter((name) => !existsSync(join(repo, "docs/rules", `${name}.md`)));
    expect(missing).toEqual([]);
  });

  it("exports withLockOrder both on the plugin and by name", () => {
    expect(plugin.withLockOrder).toBe(withLockOrder);
  });
});

describe("configs.recommended", () => {
  const recommended = plugin.configs.recommended;

  it("is a flat config that registers the plugin under its namespace", () => {
    expect(recommended.name).toBe("lock-discipline/recommended");
    expect(recommended.plugins?.["lock-discipline"]).toBe(plugin);
    expect(Object.keys(recommended).sort()).toEqual(["name", "plugins", "rules"]);
  });

  it("enables all seven rules as errors, doc as a warning", () => {
    expect(recommended.rules).toEqual({
      "lock-discipline/suffix": "error",
      "lock-discipline/order": "error",
      "lock-discipline/no-recursion": "error",
      "lock-discipline/release": "error",
      "lock-discipline/doc": "warn",
      "lock-discipline/key-source": "error",
      "lock-discipline/target": "error",
    });
  });

  it("agrees with each rule's meta.docs.recommended (the README table reads that)", () => {
    for (const [name, rule] of Object.entries(plugin.rules)) {
      expect(recommended.rules?.[`lock-discipline/${name}`], name).toBe(rule.meta.docs?.recommended);
    }
  });
});

describe("withLockOrder", () => {
  it("embeds the absolute path and the validated JSON in settings", () => {
    const config = withLockOrder(rootLockOrder);
    expect(config).toEqual({
      name: "lock-discipline/lock-order",
      settings: { "lock-discipline": { lockOrder: rootLockOrder, policy: JSON.parse(readFileSync(rootLockOrder, "utf8")) } },
    });
  });

  it("resolves a relative path against the current directory", () => {
    const dir = project("relative", { "config/lock-order.json": lockOrderText([{ id: "db", target: "Pool.conn", kind: "mutex" }]) });
    vi.spyOn(process, "cwd").mockReturnValue(dir);
    expect(withLockOrder("config/lock-order.json").settings["lock-discipline"].lockOrder).toBe(join(dir, "config/lock-order.json"));
  });

  it("without a path, finds the nearest lock-order.json from the current directory up", () => {
    const dir = project("discover", { "lock-order.json": lockOrderText([{ id: "db", target: "Pool.conn", kind: "mutex" }]), "packages/app/.keep": "" });
    vi.spyOn(process, "cwd").mockReturnValue(join(dir, "packages/app"));
    const settings = withLockOrder().settings["lock-discipline"];
    expect(settings.lockOrder).toBe(join(dir, "lock-order.json"));
    expect(settings.policy.locks.map((lock) => lock.id)).toEqual(["db"]);
  });

  it("reads the file again after it changes (a config reload sees the new order)", () => {
    const dir = project("changes", { "lock-order.json": lockOrderText([{ id: "db", target: "Pool.conn", kind: "mutex" }]) });
    expect(withLockOrder(join(dir, "lock-order.json")).settings["lock-discipline"].policy.locks).toHaveLength(1);
    writeFileSync(
      join(dir, "lock-order.json"),
      lockOrderText([
        { id: "db", target: "Pool.conn", kind: "mutex" },
        { id: "q", target: "Queue.lock", kind: "rwlock" },
      ]),
    );
    expect(withLockOrder(join(dir, "lock-order.json")).settings["lock-discipline"].policy.locks).toHaveLength(2);
  });

  /** The error withLockOrder throws, checked to be one line without a stack. */
  function configError(run: () => unknown): Error {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    const error = caught as Error;
    expect(error.message).not.toContain("\n");
    expect(error.stack).toBe(error.message);
    return error;
  }

  it("throws one line naming the file, the JSON path and the fix for an invalid file", () => {
    const file = join(
      project("invalid", {
        "lock-order.json": lockOrderText([
          { id: "ms", target: "ManagerServices.inner", kind: "rwlock" },
          { id: "ms", target: "RumorStore.list", kind: "rwlock" },
        ]),
      }),
      "lock-order.json",
    );
    expect(configError(() => withLockOrder(file)).message).toBe(
      `lock-discipline: ${file}: locks[1].id: duplicate id "ms" (also locks[0]); give each lock its own id`,
    );
  });

  it("reports schema errors the same way", () => {
    const file = join(project("schema", { "lock-order.json": lockOrderText([{ id: "ms", target: "ManagerServices.inner", kind: "semaphore" }]) }), "lock-order.json");
    expect(configError(() => withLockOrder(file)).message).toBe(
      `lock-discipline: ${file}: locks[0].kind: must be one of "mutex", "rwlock", "keyed"; use one of those values`,
    );
  });

  it("reports a missing file, given or not found", () => {
    const missing = join(scratch, "nowhere", "lock-order.json");
    expect(configError(() => withLockOrder(missing)).message).toBe(
      `lock-discipline: ${missing}: cannot be read (no such file); create it or point to an existing lock-order.json`,
    );
    // `/` has no lock-order.json above it (a stray one there would make this test meaningless).
    expect(existsSync("/lock-order.json")).toBe(false);
    vi.spyOn(process, "cwd").mockReturnValue("/");
    expect(configError(() => withLockOrder()).message).toMatch(/^lock-discipline: \/lock-order\.json: not found in this folder or any parent; /);
  });
});

describe("settings discovery in the rules", () => {
  const parserConfig: Linter.Config = { files: ["**/*.ts"], languageOptions: { parser: tseslint.parser as Linter.Parser } };
  const recommended = plugin.configs.recommended as unknown as Linter.Config;
  /** `run_db` takes the mutex `db` only in the "discovered" lock order; `run_q` the mutex `q` only in the "override" one. */
  const code = "class Pool {\n  conn = new Mutex();\n  queue = new Mutex();\n  async run_db() { await this.conn.runExclusive(() => 1); }\n  async run_q() { await this.queue.runExclusive(() => 1); }\n}\n";
  const dir = project("settings", {
    "lock-order.json": lockOrderText([{ id: "db", target: "Pool.conn", kind: "mutex" }]),
    "other/lock-order.json": lockOrderText([{ id: "q", target: "Pool.queue", kind: "mutex" }]),
    "src/pool.ts": code,
  });

  /** (rule, line) of what the recommended rules report for src/pool.ts with extra `settings`. */
  function findings(settings: Linter.Config["settings"] | undefined): string[] {
    const linter = new Linter({ cwd: dir });
    const config: Linter.Config[] = [parserConfig, recommended, ...(settings ? [{ settings }] : [])];
    return linter.verify(code, config, join(dir, "src/pool.ts")).map((message) => `${message.ruleId}:${message.line}`);
  }

  it("uses the nearest lock-order.json above the linted file", () => {
    // Only `db` is declared: run_db needs its @acquires tag; run_q's name is an ordinary name.
    expect(findings(undefined)).toEqual(["lock-discipline/doc:4"]);
  });

  it("lets settings.lockOrder (relative to ESLint's cwd) override discovery", () => {
    expect(findings({ "lock-discipline": { lockOrder: "other/lock-order.json" } })).toEqual(["lock-discipline/doc:5"]);
  });

  it("one long-running ESLint (the editor's) sees an edit to lock-order.json at the next lint, without a config reload", async () => {
    const live = project("live", {
      "lock-order.json": lockOrderText([{ id: "db", target: "Pool.conn", kind: "mutex" }]),
      "src/pool.ts": code,
    });
    const eslint = new ESLint({
      cwd: live,
      overrideConfigFile: true,
      overrideConfig: [parserConfig, recommended, withLockOrder(join(live, "lock-order.json")) as unknown as Linter.Config],
    });
    const lint = async () => (await eslint.lintFiles(["src/pool.ts"]))[0].messages.map((message) => `${message.ruleId}:${message.line}`);
    expect(await lint()).toEqual(["lock-discipline/doc:4"]);
    writeFileSync(join(live, "lock-order.json"), lockOrderText([{ id: "q", target: "Pool.queue", kind: "mutex" }]));
    expect(await lint()).toEqual(["lock-discipline/doc:5"]);
    writeFileSync(join(live, "lock-order.json"), "{ not json");
    const broken = await eslint.lintFiles(["src/pool.ts"]).catch((error: unknown) => error);
    // Through the Node API, ESLint puts "Error while loading rule …" before the one-line message.
    expect(String((broken as Error).message).split("\n")[0]).toMatch(/lock-discipline: .*lock-order\.json: line 1, column 3: is not valid JSON/);
  });

  it("follows the file withLockOrder read; its embedded copy stands in only when the file is gone", () => {
    const embedded = withLockOrder(join(dir, "other/lock-order.json"));
    // The settings name the root lock-order.json (db): the file wins over the embedded copy (q).
    expect(findings({ "lock-discipline": { ...embedded.settings["lock-discipline"], lockOrder: join(dir, "lock-order.json") } })).toEqual([
      "lock-discipline/doc:4",
    ]);
    expect(findings({ "lock-discipline": { ...embedded.settings["lock-discipline"], lockOrder: join(dir, "gone/lock-order.json") } })).toEqual([
      "lock-discipline/doc:5",
    ]);
  });

  it("reports nothing without any lock order", () => {
    const linter = new Linter({ cwd: "/" });
    // A virtual file in a folder with nothing above it: no policy, no findings, no error.
    vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(linter.verify(code, [parserConfig, recommended], "/virtual-no-lock-order/pool.ts")).toEqual([]);
  });

  it("warns once per run, on stderr, when no file has a lock order (the real ESLint CLI)", () => {
    const dir = project("no-lock-order", {
      "a.ts": "export class Pool { conn = 1; }\n",
      "b.ts": "export const b = 2;\n",
      "eslint.config.js": `import tseslint from ${JSON.stringify(join(repo, "node_modules/typescript-eslint/dist/index.js"))};
import plugin from ${JSON.stringify(join(repo, "dist/rules/index.js"))};
export default [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, plugin.configs.recommended];
`,
    });
    const run = spawnSync(process.execPath, [join(repo, "node_modules/eslint/bin/eslint.js"), "a.ts", "b.ts"], { cwd: dir, encoding: "utf8" });
    expect(run.stdout).toBe("");
    // One line for the run, naming whichever file ESLint linted first.
    const lines = run.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect([join(dir, "a.ts"), join(dir, "b.ts")].map((file) => lines[0] === `lock-discipline: no lock-order.json for ${file} (none in settings, none in its folder or any parent), so the lock-discipline rules check nothing; create one (docs/lock-order.md) or add lockDiscipline.withLockOrder("path/to/lock-order.json") to eslint.config.js`)).toContain(true);
    expect(run.status).toBe(0);
  });
});
