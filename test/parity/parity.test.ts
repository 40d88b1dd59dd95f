/**
 * Parity: the ESLint rules and lock-audit give the same `suffix`, `order` and `no-recursion`
 * verdicts on every snippet of the corpus, and those are the expected ones; and they word each
 * finding in the same sentence (one message catalog, core/messages.ts). A front end listed in a
 * case's `known` still disagrees; its test is `it.fails`, so it turns red the day it starts agreeing
 * (then drop it from `known`).
 */
import { Linter } from "eslint";
import tseslint from "typescript-eslint";
import { beforeAll, describe, expect, it } from "vitest";
import plugin from "../../rules/index.js";
import { CORPUS } from "./corpus.js";
import { auditVerdicts, eslintSentences, eslintVerdicts, PARITY_LOCK_ORDER, type AuditRun } from "./harness.js";

let audit: AuditRun;

beforeAll(async () => {
  audit = await auditVerdicts(CORPUS);
});

describe("parity corpus", () => {
  it("has unique names and covers the four disagreements of issue 8", () => {
    expect(new Set(CORPUS.map((entry) => entry.name)).size).toBe(CORPUS.length);
    for (const name of ["returned-closure", "destructured-lock", "then-releaser", "keyed-reference-at-index-1"]) {
      expect(CORPUS.map((entry) => entry.name)).toContain(name);
    }
  });

  it("lock-audit reports nothing but the compared rules on it", () => {
    expect(audit.others.map((finding) => `${finding.ruleId} ${finding.location.file}:${finding.location.line} ${finding.message}`)).toEqual([]);
  });

  for (const entry of CORPUS) {
    const eslintTest = entry.known?.includes("eslint") ? it.fails : it;
    const auditTest = entry.known?.includes("audit") ? it.fails : it;
    eslintTest(`${entry.name}: ESLint — ${entry.title}`, () => {
      expect(eslintVerdicts(entry)).toEqual(entry.expected);
    });
    auditTest(`${entry.name}: lock-audit — ${entry.title}`, () => {
      expect(audit.verdicts.get(entry.name)).toEqual(entry.expected);
    });
  }

  // One message catalog (core/messages.ts): the same finding reads the same in both front ends.
  it("every compared finding has the same sentence in both front ends", () => {
    // A case whose verdicts still differ (`known`) cannot have the same sentences; every other case with findings is compared in full.
    const withFindings = CORPUS.filter((entry) => entry.expected.length > 0 && !entry.known);
    expect(withFindings.length).toBeGreaterThan(0);
    for (const entry of withFindings) {
      const sentences = eslintSentences(entry);
      expect(sentences, entry.name).toHaveLength(entry.expected.length);
      expect(audit.sentences.get(entry.name), entry.name).toEqual(sentences);
    }
  });
});

const linter = new Linter({ configType: "flat", cwd: "/virtual" });

function config(rules: readonly string[]): Linter.Config[] {
  return [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser as Linter.Parser },
      plugins: { "lock-discipline": plugin as never },
      settings: { "lock-discipline": { policy: PARITY_LOCK_ORDER, lockOrder: "/virtual/lock-order.json" } },
      rules: Object.fromEntries(rules.map((rule) => [`lock-discipline/${rule}`, "error"])),
    },
  ];
}

function lint(code: string, rules: readonly string[]): string[] {
  return linter.verify(code, config(rules), "/virtual/snippet.ts").map((message) => `${message.ruleId?.replace("lock-discipline/", "")} ${message.line}`);
}

/** The false alarms measured in issue 8, in the ESLint rules. */
describe("measured false alarms", () => {
  it("release: a lock acquired in a `while (true)` loop that leaves by `break` holding it, released after the loop", () => {
    const code = `import { Mutex } from "async-mutex";
export class S {
  readonly a = new Mutex();
  async k_sa(limit: number) {
    let tries = 0;
    while (true) {
      await this.a.acquire();
      if (++tries > limit) break;
      this.a.release();
    }
    this.a.release();
  }
}
`;
    expect(lint(code, ["release", "suffix"])).toEqual([]);
  });

  it("release: the same loop still reports a lock not released after it", () => {
    const code = `import { Mutex } from "async-mutex";
export class S {
  readonly a = new Mutex();
  async k_sa(limit: number) {
    let tries = 0;
    while (true) {
      await this.a.acquire();
      if (++tries > limit) break;
      this.a.release();
    }
  }
}
`;
    expect(lint(code, ["release"])).toEqual(["release 7"]);
  });

  it("suffix: reading a suffixed getter counts as calling it", () => {
    const code = `import { Mutex } from "async-mutex";
export class S {
  readonly a = new Mutex();
  get value_sa() {
    return this.a.runExclusive(() => 1);
  }
  k() {
    return this.value_sa;
  }
}
`;
    expect(lint(code, ["suffix"])).toEqual(["suffix 7"]);
  });

  it("suffix: no 'extra' token when the lock may be taken by an imported function the rule cannot see", () => {
    const code = `import { Mutex } from "async-mutex";
import { helper } from "./other.js";
export class S {
  readonly a = new Mutex();
  async k_sa() {
    await helper();
  }
}
`;
    expect(lint(code, ["suffix"])).toEqual([]);
  });

  it("suffix: still an 'extra' token when every callee is in the file or suffixed", () => {
    const code = `import { Mutex } from "async-mutex";
import { helper_sb } from "./other.js";
export class S {
  readonly a = new Mutex();
  async k_sa_sb() {
    await helper_sb();
    local();
  }
}
function local() {}
`;
    expect(lint(code, ["suffix"])).toEqual(["suffix 5"]);
  });
});

describe("under a parser without TypeScript nodes (espree on .js)", () => {
  it("reads the text with the typescript package and reports on ESTree nodes", () => {
    const code = `export class S {
  constructor() { this.a = new Mutex(); this.b = new Mutex(); }
  async k_sa_sb() {
    await this.b.runExclusive(async () => {
      await this.a.runExclusive(async () => 1);
    });
  }
  async wrong() {
    await this.a.runExclusive(async () => 1);
  }
}
export async function take_sb(s) {
  await s.a.runExclusive(async () => 1);
}
`;
    const espreeConfig: Linter.Config[] = [
      {
        files: ["**/*.js"],
        plugins: { "lock-discipline": plugin as never },
        settings: { "lock-discipline": { policy: PARITY_LOCK_ORDER, lockOrder: "/virtual/lock-order.json" } },
        rules: { "lock-discipline/order": "error", "lock-discipline/suffix": "error" },
      },
    ];
    const messages = linter.verify(code, espreeConfig, "/virtual/snippet.js");
    expect(messages.map((message) => `${message.ruleId?.replace("lock-discipline/", "")} ${message.line}:${message.column}`)).toEqual(["order 5:13", "suffix 8:9", "suffix 12:23"]);
  });
});
