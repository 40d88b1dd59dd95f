/**
 * The real async-mutex package (a devDependency): its `Mutex`, `Semaphore` and `withTimeout` types
 * are recognized as locks without any declaration, and its releasers and callbacks are understood.
 * The project is written under node_modules/.cache so that it resolves the installed package.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { REPO_ROOT } from "./helpers.js";

const written: string[] = [];
afterAll(() => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

function writeProject(source: string): string {
  const parent = join(REPO_ROOT, "node_modules/.cache/lock-audit-tests");
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, "async-mutex-"));
  written.push(dir);
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "es2022", module: "nodenext", strict: true, noEmit: true, types: [] }, files: ["main.ts"] }));
  writeFileSync(join(dir, "lock-order.json"), JSON.stringify({ locks: [{ id: "cfg", target: "Settings.lock", kind: "mutex" }] }));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "main.ts"), source);
  return dir;
}

describe("async-mutex", () => {
  it("recognizes Mutex, Semaphore and withTimeout members, and reports re-takes and cycles among them", async () => {
    const dir = writeProject(`import { Mutex, Semaphore, withTimeout } from "async-mutex";

export class Settings {
  readonly lock = new Mutex();
}

export class Store {
  readonly #mutex = new Mutex();
  readonly slots = new Semaphore(2);
  readonly limited = withTimeout(new Mutex(), 1000);

  async save(): Promise<void> {
    await this.#mutex.runExclusive(async () => {
      await this.flush();
    });
  }

  async flush(): Promise<void> {
    const release = await this.#mutex.acquire();
    release();
  }

  async borrow(): Promise<void> {
    const [, release] = await this.slots.acquire();
    try {
      await this.limited.runExclusive(() => undefined);
    } finally {
      release();
    }
  }

  async lend(): Promise<void> {
    await this.limited.runExclusive(async () => {
      const [, release] = await this.slots.acquire();
      release();
    });
  }

  /** The declared lock (cfg) from lock-order.json, taken under an undeclared one. */
  async configure_cfg(settings: Settings): Promise<void> {
    await this.limited.runExclusive(() => settings.lock.runExclusive(() => undefined));
  }
}
`);
    const result = await analyze({ project: dir });
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.location.line}`)).toEqual([
      "no-recursion 14",
      "cycle 34",
      "undeclared-lock 41",
    ]);
    expect(result.findings[1].message).toMatch(/^lock cycle Store\.limited → Store\.slots → Store\.limited: /);
    expect(result.findings[2].message).toMatch(/^Store\.limited is held while taking cfg, /);
    expect(result.graph.locks.map((lock) => lock.key).sort()).toEqual(["Store.#mutex", "Store.limited", "Store.slots", "cfg"]);
  });
});
