/**
 * From zero to a lock order: discovery mode (no lock-order.json) and `lock-audit init`, on a
 * generated project whose locks nest in a known order, plus one cycle that no order can satisfy.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLockOrder } from "../../core/config.js";
import { lockIdFor } from "../../analyzer/init.js";
import { AUDIT_FIXTURES, runCaptured } from "./helpers.js";

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** Vault is taken inside Keyring (Keyring → Vault); Cache and Index take each other's lock (a cycle). */
const FILES: Record<string, string> = {
  "src/vault.ts": `import { Mutex } from "./locks.js";
export class Vault {
  readonly #vaultMutex = new Mutex();
  async unlock(): Promise<void> {
    await this.#vaultMutex.runExclusive(() => undefined);
  }
}
`,
  "src/keyring.ts": `import { Mutex } from "./locks.js";
import { Vault } from "./vault.js";
export class KeyringController {
  readonly #controllerMutex = new Mutex();
  constructor(private readonly vault: Vault) {}
  async submitPassword(): Promise<void> {
    await this.#controllerMutex.runExclusive(async () => {
      await this.vault.unlock();
    });
  }
}
`,
  "src/cache.ts": `import { Mutex } from "./locks.js";
export class Cache {
  readonly lock = new Mutex();
  index?: SearchIndex;
  async refresh(): Promise<void> {
    await this.lock.runExclusive(async () => {
      await this.index?.rebuild();
    });
  }
}
export class SearchIndex {
  readonly lock = new Mutex();
  cache?: Cache;
  async rebuild(): Promise<void> {
    await this.lock.runExclusive(async () => {
      await this.cache?.refresh();
    });
  }
}
`,
};

function writeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "lock-audit-adoption-"));
  temporary.push(dir);
  mkdirSync(join(dir, "app/src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "app/tsconfig.json"), JSON.stringify({ extends: "../tsconfig.base.json", include: ["src"] }));
  cpSync(join(AUDIT_FIXTURES, "tsconfig.base.json"), join(dir, "tsconfig.base.json"));
  cpSync(join(AUDIT_FIXTURES, "shared/locks.ts"), join(dir, "app/src/locks.ts"));
  for (const [path, text] of Object.entries(FILES)) writeFileSync(join(dir, "app", path), text);
  return dir;
}

describe("discovery mode", () => {
  it("analyzes without a lock-order.json: every lock found is listed, re-entry and cycles are reported, and it says how to go on", async () => {
    const dir = writeProject();
    const run = await runCaptured(["--project", "app", "--no-progress"], { cwd: dir });
    expect(run.code).toBe(1); // the cycle and the re-entries it implies are errors
    expect(run.stderr).toBe("");
    const lines = run.stdout.split("\n");
    const list = lines.slice(lines.indexOf("locks: 4 (0 declared, 4 undeclared)"));
    expect(list.slice(0, 5)).toEqual([
      "locks: 4 (0 declared, 4 undeclared)",
      "  Cache.lock                          (undeclared)  mutex  1 site  first app/src/cache.ts:6",
      "  KeyringController.#controllerMutex  (undeclared)  mutex  1 site  first app/src/keyring.ts:7",
      "  SearchIndex.lock                    (undeclared)  mutex  1 site  first app/src/cache.ts:15",
      "  Vault.#vaultMutex                   (undeclared)  mutex  1 site  first app/src/vault.ts:5",
    ]);
    expect(run.stdout).toMatch(/ {2}\d+:\d+ {2}error {2}cycle {2}/);
    expect(lines.at(-2)).toMatch(/^ {2}no lock-order\.json: .*`lock-audit init --write`.*`lock-audit --fix --dry-run`/);

    const json = await runCaptured(["--project", "app", "--format", "json"], { cwd: dir });
    const report = JSON.parse(json.stdout) as { configFile: string | null; graph: { locks: { key: string; sites: number }[]; edges: { from: string; to: string }[] } };
    expect(report.configFile).toBeNull();
    expect(report.graph.edges.map((edge) => `${edge.from} > ${edge.to}`)).toContain("KeyringController.#controllerMutex > Vault.#vaultMutex");
  });
});

describe("lock-audit init", () => {
  it("prints a valid lock-order.json in the observed order, and leaves the locks of a cycle out with their sites", async () => {
    const dir = writeProject();
    const run = await runCaptured(["init", "--project", "app"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`{
  "$schema": "./node_modules/lock-discipline/lock-order.schema.json",
  "locks": [
    {"id": "kcc", "target": "KeyringController.#controllerMutex", "kind": "mutex", "description": "1 acquisition site, first at app/src/keyring.ts:7"},
    {"id": "vv", "target": "Vault.#vaultMutex", "kind": "mutex", "description": "1 acquisition site, first at app/src/vault.ts:5"}
  ]
}
`);
    expect(parseLockOrder(run.stdout, "proposal.json").locks.map((lock) => lock.id)).toEqual(["kcc", "vv"]);
    expect(run.stderr).toBe(
      "lock-audit init: left out Cache.lock, SearchIndex.lock: they are taken in a cycle (Cache.lock → SearchIndex.lock at app/src/cache.ts:7; SearchIndex.lock → Cache.lock at app/src/cache.ts:16), so no order agrees with the code; decide one, add them, and fix the sites that break it\n",
    );
    expect(existsSync(join(dir, "app/lock-order.json"))).toBe(false);
  });

  it("--write creates the file next to the tsconfig, never over one without --force; then --fix --dry-run shows the renames", async () => {
    const dir = writeProject();
    const target = join(dir, "app/lock-order.json");
    const first = await runCaptured(["init", "--project", "app", "--write"], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`wrote ${target} (2 locks); next: lock-audit --fix --dry-run\n`);
    writeFileSync(target, readFileSync(target, "utf8").replace('"vv"', '"vault"'));
    const again = await runCaptured(["init", "--project", "app", "--write"], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`lock-audit: ${target} exists; pass --force to overwrite it, or run without --write to print the proposal\n`);
    expect(readFileSync(target, "utf8")).toContain('"vault"');
    const forced = await runCaptured(["init", "--project", "app", "--write", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(target, "utf8")).not.toContain('"vault"');

    const dry = await runCaptured(["--project", "app", "--fix", "--dry-run", "--no-progress"], { cwd: dir });
    expect(dry.stdout.split("\n").slice(0, 4)).toEqual([
      "lock-audit --fix --dry-run: would rename 2 functions (nothing is written)",
      "submitPassword → submitPassword_kcc_vv  app/src/keyring.ts:6",
      "unlock → unlock_vv  app/src/vault.ts:4",
      "",
    ]);
  });

  it("derives short ids from the names", () => {
    expect(lockIdFor("KeyringController.#vaultMutex")).toBe("kcv");
    expect(lockIdFor("RumorStore.list")).toBe("rsl");
    expect(lockIdFor("Server.member")).toBe("sm");
    expect(lockIdFor("Pool.lock")).toBe("p");
    expect(lockIdFor("src/db-pool.ts#connectionLock")).toBe("dpc");
  });
});

describe("a package analyzed without its dependencies installed", () => {
  it("gets one note for all the modules that do not resolve, not one per import", async () => {
    const dir = writeProject();
    writeFileSync(join(dir, "app/src/uses.ts"), 'import { a } from "@scope/missing-a";\nimport { b } from "missing-b";\nexport { c } from "./missing-c.js";\nexport const both = [a, b];\n');
    writeFileSync(join(dir, "app/src/more.ts"), 'import { a } from "@scope/missing-a";\nexport const again = a;\n');
    const result = await runCaptured(["--project", "app", "--format", "json"], { cwd: dir });
    const notes = (JSON.parse(result.stdout) as { findings: { ruleId: string; message: string; location: { file: string; line: number } }[] }).findings.filter(
      (finding) => finding.ruleId === "unanalyzable",
    );
    expect(notes).toEqual([
      expect.objectContaining({
        message:
          'cannot resolve 3 modules ("@scope/missing-a", "missing-b", "./missing-c.js"), imported by 4 statements in 2 files: calls into them are not analyzed; install the dependencies or fix the imports',
        location: expect.objectContaining({ file: "app/src/more.ts", line: 1 }),
      }),
    ]);
  });
});
