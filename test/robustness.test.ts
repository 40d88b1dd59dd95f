/**
 * The plugin over code it was not written for: every `.ts` under node_modules/typescript/lib and
 * node_modules/@types/node (the largest declaration files around), plus real function bodies:
 * this repository's sources, ESLint's own lib/ and async-mutex (lock code, with a lock order that
 * declares its semaphore so that the lock rules engage). A parse error is fine (a fatal message); a
 * rule that throws is not: ESLint would stop the whole run.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import plugin from "../rules/index.js";

const repo = new URL("../", import.meta.url).pathname;

function filesUnder(dir: string, extension = ".ts"): string[] {
  if (!existsSync(dir)) return []; // a folder another part of the project has not created yet
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(extension))
    .map((name) => join(dir, name))
    .sort();
}

const habitatSettings = plugin.withLockOrder(join(repo, "lock-order.json")).settings;

/** async-mutex's own lock fields as declared locks, so its acquire/release/runExclusive code is analyzed as lock code. */
const asyncMutexSettings = {
  "lock-discipline": {
    policy: {
      locks: [
        { id: "mx", target: "Mutex._semaphore", kind: "mutex" },
        { id: "sem", target: "MutexInterface._semaphore", kind: "rwlock" },
        { id: "kl", target: "Semaphore._weightedQueues", kind: "keyed" },
      ],
    },
    lockOrder: "/virtual/lock-order.json",
  },
};

const corpora: Record<string, { files: string[]; settings: Linter.Config["settings"] }> = {
  "typescript/lib and @types/node (.ts)": {
    files: [...filesUnder(join(repo, "node_modules/typescript/lib")), ...filesUnder(join(repo, "node_modules/@types/node"))],
    settings: habitatSettings,
  },
  "this repository (.ts)": {
    files: ["core", "rules", "analyzer", "runtime", "test", "bench", "fixtures"].flatMap((dir) => filesUnder(join(repo, dir))),
    settings: habitatSettings,
  },
  "eslint/lib and async-mutex (.js)": {
    files: [...filesUnder(join(repo, "node_modules/eslint/lib"), ".js"), ...filesUnder(join(repo, "node_modules/async-mutex"), ".js")],
    settings: asyncMutexSettings,
  },
};

/** All six rules as errors, the lock order embedded in settings (no file reads per lint). */
function configWith(settings: Linter.Config["settings"]): Linter.Config[] {
  return [
    // ESLint ignores node_modules by default, and would answer "No matching configuration" instead of linting.
    { ignores: ["!**/node_modules/"] },
    {
      files: ["**/*.ts", "**/*.js"],
      // The corpus's own `eslint-disable` and `/* global */` comments are about other rules and other setups.
      linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: "off", reportUnusedInlineConfigs: "off" },
      languageOptions: { parser: tseslint.parser as Linter.Parser },
      plugins: { "lock-discipline": plugin as unknown as NonNullable<Linter.Config["plugins"]>[string] },
      rules: Object.fromEntries(Object.keys(plugin.rules).map((name) => [`lock-discipline/${name}`, "error"])),
      settings,
    },
  ];
}

describe("robustness: the rules never throw", () => {
  it("the configuration really lints files under node_modules", () => {
    const file = join(repo, "node_modules/@types/node/lock-discipline-sentinel.ts");
    const messages = new Linter({ cwd: repo }).verify("function insert_rsw() {}", configWith(habitatSettings), file);
    // It takes no lock, so its suffix is wrong, and it has no JSDoc.
    expect(messages.map((message) => message.ruleId).sort()).toEqual(["lock-discipline/doc", "lock-discipline/suffix"]);
  });

  for (const [corpus, { files, settings }] of Object.entries(corpora)) {
    it(`over ${corpus}`, () => {
      expect(files.length).toBeGreaterThan(10);
      const linter = new Linter({ cwd: repo });
      const config = configWith(settings);
      const crashes: string[] = [];
      const unlinted: string[] = [];
      for (const file of files) {
        try {
          const messages = linter.verify(readFileSync(file, "utf8"), config, file);
          if (messages.some((message) => message.message.startsWith("No matching configuration"))) unlinted.push(relative(repo, file));
        } catch (error) {
          crashes.push(`${relative(repo, file)}: ${(error as Error).stack ?? String(error)}`);
        }
      }
      expect(crashes).toEqual([]);
      expect(unlinted).toEqual([]);
    });
  }
});
