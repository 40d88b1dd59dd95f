import { readFileSync } from "node:fs";
import { RuleTester } from "@typescript-eslint/rule-tester";
import type { TSESLint } from "@typescript-eslint/utils";
import { Linter, type Rule } from "eslint";
import { afterAll, describe, expect, it } from "vitest";
import rule from "../../rules/key-source.js";

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

/** The root lock-order.json: the Habitat order plus the keyed `wl` (WorkflowLocks.locks). */
const policy = JSON.parse(readFileSync(new URL("../../lock-order.json", import.meta.url), "utf8"));

const ruleTester = new RuleTester({
  settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } },
});

// @typescript-eslint/rule-tester 8.72 carries its own @typescript-eslint/utils 8.72, whose RuleModule
// type differs only nominally from the 8.73 one the rules are built with; at runtime they are the same.
const testable = <M extends string>(module: TSESLint.RuleModule<M, []>) => module as unknown as Parameters<typeof ruleTester.run<M, []>>[1];

/** A method of `class WorkflowLocks` (whose `locks` is the keyed lock `wl`) with `body` inside. */
const inWorkflowLocks = (body: string) => `class WorkflowLocks {
  locks = new LockManager();
  async run(wf: Workflow, node: string, parts: string[]) {
${body}
  }
}`;

ruleTester.run("key-source", testable(rule), {
  valid: [
    // The key comes from one function, shared by acquire and release.
    inWorkflowLocks(`    await this.locks.acquire(keyOf(wf));
    try { await work(); } finally { this.locks.release(keyOf(wf)); }`),
    // …or from one variable (formatting it once, in one place, is the point).
    inWorkflowLocks(`    const key = \`\${wf.namespace}/\${wf.name}\`;
    await this.locks.acquire(key);
    this.locks.release(key);`),
    // Whitespace and type assertions do not make keys different.
    inWorkflowLocks(`    await this.locks.acquire(keyOf( wf ));
    this.locks.release(keyOf(wf) as string);`),
    // A template literal without expressions is a constant.
    inWorkflowLocks("    await this.locks.acquire(`global`);\n    this.locks.release(`global`);"),
    // The callback form: the key is the first argument, the function is not a key.
    inWorkflowLocks("    await this.locks.runExclusive(wf.key, async () => work());"),
    // Acquire and release in different functions: nothing to compare them with here.
    `class WorkflowLocks {
      locks = new LockManager();
      async start(wf: Workflow) { await this.locks.acquire(keyOf(wf)); }
      finish(wf: Workflow) { this.locks.release(wf.lockKey); }
    }`,
    // Not a keyed lock: RumorStore.list is an rwlock.
    "class RumorStore { list = new RwLock(); async f(a: string) { await this.list.write(`${a}/x`); } }",
    // A receiver the rule cannot tie to a declared lock (untyped, unannotated `other.locks`) is left alone.
    "async function f(other, a: string) { await other.locks.acquire(`${a}/x`); }",
    // A `join` with several arguments is not Array.prototype.join (path.join and friends).
    inWorkflowLocks("    await this.locks.acquire(path.join(wf.namespace, wf.name));\n    this.locks.release(path.join(wf.namespace, wf.name));"),
    // `format` that does not come from node:util is some function of the project.
    inWorkflowLocks("    await this.locks.acquire(format(wf));\n    this.locks.release(format(wf));"),
    // Other methods on the lock manager are not acquire or release.
    inWorkflowLocks("    this.locks.isLocked(`${wf.namespace}/${wf.name}`);"),
  ],
  invalid: [
    {
      // The Argo bug: acquire and release each format their own key.
      code: inWorkflowLocks(`    await this.locks.acquire(\`\${wf.namespace}/\${wf.name}/\${node}\`);
    try { await work(); } finally { this.locks.release(wf.namespace + "/" + wf.name); }`),
      errors: [
        { messageId: "formattedKey", line: 4, column: 11, endColumn: 67, data: { id: "wl", method: "acquire", form: "a template literal" } },
        { messageId: "formattedKey", line: 5, column: 37, data: { id: "wl", method: "release", form: "concatenation with `+`" } },
      ],
    },
    {
      code: inWorkflowLocks('    await this.locks.acquire([wf.namespace, wf.name].join("/"));'),
      errors: [{ messageId: "formattedKey", line: 4, column: 11, data: { id: "wl", method: "acquire", form: "`[…].join()`" } }],
    },
    {
      // Any `.join(separator)`: Array.prototype.join.
      code: inWorkflowLocks('    await this.locks.acquire(parts.join("/"));'),
      errors: [{ messageId: "formattedKey", line: 4, column: 11, data: { id: "wl", method: "acquire", form: "`.join()`" } }],
    },
    {
      code: inWorkflowLocks('    this.locks.release("wf:".concat(wf.name));\n    this.locks.release(wf.namespace.concat("/", wf.name));'),
      errors: [
        { messageId: "formattedKey", line: 4, column: 5, data: { id: "wl", method: "release", form: "`String.prototype.concat()`" } },
        { messageId: "formattedKey", line: 5, column: 5, data: { id: "wl", method: "release", form: "`String.prototype.concat()`" } },
      ],
    },
    {
      code: `import util from "node:util";
import { format } from "util";
${inWorkflowLocks('    await this.locks.acquire(util.format("%s/%s", wf.namespace, wf.name));\n    this.locks.release(format("%s/%s", wf.namespace, wf.name));')}`,
      errors: [
        { messageId: "formattedKey", line: 6, column: 11, data: { id: "wl", method: "acquire", form: "util.format()" } },
        { messageId: "formattedKey", line: 7, column: 5, data: { id: "wl", method: "release", form: "util.format()" } },
      ],
    },
    {
      code: inWorkflowLocks("    await this.locks.acquire(String.raw`${wf.namespace}\\${wf.name}`);"),
      errors: [{ messageId: "formattedKey", line: 4, column: 11, data: { id: "wl", method: "acquire", form: "String.raw" } }],
    },
    {
      // A type assertion does not hide the formatting; the callback form's key counts as well.
      code: inWorkflowLocks("    await this.locks.runExclusive(`${wf.name}` as string, async () => work());"),
      errors: [{ messageId: "formattedKey", line: 4, column: 11, data: { id: "wl", method: "runExclusive", form: "a template literal" } }],
    },
    {
      // Through a local alias and a static member reference.
      code: `class WorkflowLocks {
  static locks = new LockManager();
  static async run(wf: Workflow) {
    const locks = WorkflowLocks.locks;
    await locks.acquire("wf/" + wf.name);
  }
}`,
      errors: [{ messageId: "formattedKey", line: 5, column: 11, data: { id: "wl", method: "acquire", form: "concatenation with `+`" } }],
    },
    {
      // Both keys are plain, but the release does not use the one the acquire used.
      code: inWorkflowLocks(`    await this.locks.acquire(keyOf(wf));
    try { await work(); } finally { this.locks.release(holderKey(wf, node)); }`),
      errors: [
        {
          messageId: "keyMismatch",
          line: 5,
          column: 37,
          data: { id: "wl", method: "release", key: "holderKey(wf,node)", acquired: "`keyOf(wf)`" },
        },
      ],
    },
    {
      // A release inside a callback belongs to the named function around it.
      code: inWorkflowLocks(`    await this.locks.acquire(wf.key);
    setTimeout(() => this.locks.release(wf.name), 10);`),
      errors: [{ messageId: "keyMismatch", line: 5, column: 22, data: { id: "wl", method: "release", key: "wf.name", acquired: "`wf.key`" } }],
    },
  ],
});

// A lock order without keyed locks: the rule has nothing to check.
new RuleTester({
  settings: {
    "lock-discipline": {
      policy: { locks: [{ id: "wl", target: "WorkflowLocks.locks", kind: "mutex" }] },
      lockOrder: "/virtual/lock-order.json",
    },
  },
}).run("key-source without keyed locks", testable(rule), {
  valid: [inWorkflowLocks("    await this.locks.acquire(`${wf.namespace}/${wf.name}`);")],
  invalid: [],
});

// With typed linting, `.join()` without a separator and `.concat()` on a string variable are known for what they are.
const typedTester = new RuleTester({
  settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } },
  languageOptions: {
    parserOptions: {
      projectService: { allowDefaultProject: ["*.ts"] },
      tsconfigRootDir: "/virtual-typed",
    },
  },
});
typedTester.run("key-source (typed)", testable(rule), {
  valid: [
    {
      // A custom `concat` on a non-string receiver is some function of the project.
      code: `declare class Keys { concat(x: string): string }
declare class LockManager { acquire(key: string): Promise<void> }
class WorkflowLocks { locks = new LockManager(); async run(keys: Keys, name: string) { await this.locks.acquire(keys.concat(name)); } }`,
      filename: "/virtual-typed/valid.ts",
    },
  ],
  invalid: [
    {
      code: `declare class LockManager { acquire(key: string): Promise<void>; release(key: string): void }
class WorkflowLocks {
  locks = new LockManager();
  async run(parts: string[], prefix: string, name: string) {
    await this.locks.acquire(parts.join());
    this.locks.release(prefix.concat(name));
  }
}`,
      filename: "/virtual-typed/invalid.ts",
      errors: [
        { messageId: "formattedKey", line: 5, column: 11, data: { id: "wl", method: "acquire", form: "`.join()`" } },
        { messageId: "formattedKey", line: 6, column: 5, data: { id: "wl", method: "release", form: "`String.prototype.concat()`" } },
      ],
    },
  ],
});

describe("key-source under ESLint's default parser (plain .js, no TypeScript parser services)", () => {
  it("checks what it can read and never asks for types", () => {
    const code = `class WorkflowLocks {
  locks = new LockManager();
  async run(parts, prefix, name) {
    await this.locks.acquire(parts.join());
    this.locks.release(prefix.concat(name));
    await this.locks.acquire(\`\${prefix}/\${name}\`);
  }
}`;
    const messages = new Linter({ cwd: "/virtual" }).verify(
      code,
      [
        {
          plugins: { "lock-discipline": { rules: { "key-source": rule as unknown as Rule.RuleModule } } },
          rules: { "lock-discipline/key-source": "error" },
          settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } },
        },
      ],
      "/virtual/workflow-locks.js",
    );
    // Without types, `.join()` and `.concat(name)` might be anything (only their mismatch is certain);
    // the template literal is formatting whatever the types.
    expect(messages.map((message) => [message.ruleId, message.line, message.messageId])).toEqual([
      ["lock-discipline/key-source", 5, "keyMismatch"],
      ["lock-discipline/key-source", 6, "formattedKey"],
    ]);
  });
});
