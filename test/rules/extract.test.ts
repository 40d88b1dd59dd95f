/**
 * The ESLint front end below the rules: lock resolution (the API the `doc` and `key-source` rules use),
 * the step programs it builds for the core, and that it never fails on unusual code.
 */
import tsParser from "@typescript-eslint/parser";
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import { Linter } from "eslint";
import { describe, expect, it } from "vitest";
import { analyzeFileLocks } from "../../rules/lib/analysis.js";
import { lockEnvFor, resolveLock } from "../../rules/lib/resolve-lock.js";
import { extractFile, type LockStep } from "../../rules/lib/lowering.js";
import { policyFor } from "../../rules/lib/policy.js";
import { settings } from "./lock-rule-tester.js";

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;

/** Runs `probe` with a real rule context for `code` (linted as `filename`). */
function withContext(code: string, probe: (context: Context) => void, options: { filename?: string; settings?: Record<string, unknown> } = {}): void {
  let failure: unknown;
  const linter = new Linter({ configType: "flat", cwd: "/virtual" });
  const messages = linter.verify(
    code,
    [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tsParser as never },
        settings: options.settings ?? settings,
        plugins: {
          probe: {
            rules: {
              probe: {
                create: (context: Context) => ({
                  "Program:exit"() {
                    try {
                      probe(context);
                    } catch (error) {
                      failure = error;
                    }
                  },
                }),
              },
            },
          } as never,
        },
        rules: { "probe/probe": "error" },
      },
    ],
    options.filename ?? "/virtual/src/file.ts",
  );
  if (failure) throw failure;
  expect(messages.filter((message) => message.fatal)).toEqual([]);
}

function callsIn(ast: TSESTree.Node): TSESTree.CallExpression[] {
  const calls: TSESTree.CallExpression[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const record = node as Record<string, unknown>;
    if (typeof record.type !== "string") return;
    if (record.type === AST_NODE_TYPES.CallExpression) calls.push(node as TSESTree.CallExpression);
    for (const [key, value] of Object.entries(record)) if (key !== "parent") visit(value);
  };
  visit(ast);
  return calls.sort((a, b) => a.range[0] - b.range[0]);
}

/** The lock id each `.acquire()` call's receiver resolves to, in source order ("-" when none). */
function resolvedReceivers(code: string, options: { filename?: string; settings?: Record<string, unknown> } = {}): string[] {
  const ids: string[] = [];
  withContext(
    code,
    (context) => {
      const policy = policyFor(context)!;
      for (const call of callsIn(context.sourceCode.ast)) {
        if (call.callee.type !== AST_NODE_TYPES.MemberExpression || call.callee.computed) continue;
        if (call.callee.property.type !== AST_NODE_TYPES.Identifier || call.callee.property.name !== "acquire") continue;
        ids.push(resolveLock(context, policy, call.callee.object)?.lock.id ?? "-");
      }
    },
    options,
  );
  return ids;
}

const moduleSettings = {
  "lock-discipline": {
    policy: { locks: [{ id: "reg", target: "src/locks.ts#registry", kind: "mutex" }, ...(settings["lock-discipline"].policy as { locks: object[] }).locks] },
    lockOrder: "/virtual/lock-order.json",
  },
};

describe("resolveLock", () => {
  it("resolves this.member inside the class, aliases, destructuring, withTimeout, statics and subclasses", () => {
    const code = `class MemberList {
  entries = new RwLock();
  a() {
    this.entries.acquire();
    const alias = this.entries;
    alias.acquire();
    const { entries } = this;
    entries.acquire();
    withTimeout(this.entries, 500).acquire();
    const arrow = () => this.entries.acquire();
  }
}
class Members extends MemberList {
  b() { this.entries.acquire(); }
}
Server.member.acquire();`;
    expect(resolvedReceivers(code)).toEqual(["ml", "ml", "ml", "ml", "ml", "ml", "sm"]);
  });

  it("does not guess: other classes, object-literal and plain-function this, reassigned variables, undeclared members", () => {
    const code = `class Cache {
  entries = new RwLock();
  a() { this.entries.acquire(); }
}
const literal = { entries: new RwLock(), f() { this.entries.acquire(); } };
class MemberList {
  entries = new RwLock();
  a() {
    function inner(this: Cache) { this.entries.acquire(); }
    let lock = this.entries;
    lock = other;
    lock.acquire();
    this.other.acquire();
    list.entries.acquire();
  }
}`;
    expect(resolvedReceivers(code)).toEqual(["-", "-", "-", "-", "-", "-"]);
  });

  it("resolves module-level locks declared in the file or imported (named, namespace), relative to lock-order.json", () => {
    expect(
      resolvedReceivers(
        `export const registry = new Mutex();
registry.acquire();
const local = new Mutex();
local.acquire();`,
        { filename: "/virtual/src/locks.ts", settings: moduleSettings },
      ),
    ).toEqual(["reg", "-"]);
    expect(
      resolvedReceivers(
        `import { registry } from "../src/locks.js";
import { registry as renamed } from "./locks";
import * as locks from "./locks.js";
import { registry as elsewhere } from "./other.js";
registry.acquire();
renamed.acquire();
locks.registry.acquire();
elsewhere.acquire();`,
        { filename: "/virtual/src/service.ts", settings: moduleSettings },
      ),
    ).toEqual(["reg", "reg", "reg", "-"]);
  });

  it("given a lock-method call, returns the lock and, for a keyed lock, the key's source text", () => {
    const results: (object | undefined)[] = [];
    withContext(
      `class WorkflowLocks {
  locks = new KeyedMutex();
  async run(workflow: Workflow) {
    await this.locks.acquire(keyOf(workflow));
    await this.locks.runExclusive(workflow.key, async () => {});
    this.locks.release(keyOf(workflow));
    this.locks.size();
  }
}`,
      (context) => {
        const policy = policyFor(context)!;
        for (const call of callsIn(context.sourceCode.ast)) {
          if (call.callee.type !== AST_NODE_TYPES.MemberExpression) continue;
          const resolved = resolveLock(context, policy, call);
          if (call.callee.object.type === AST_NODE_TYPES.MemberExpression) results.push(resolved && { id: resolved.lock.id, keyText: resolved.keyText });
        }
      },
    );
    expect(results).toEqual([{ id: "wl", keyText: "keyOf(workflow)" }, { id: "wl", keyText: "workflow.key" }, { id: "wl", keyText: "keyOf(workflow)" }, undefined]);
  });
});

/** A step program as nested type names and the details that matter, for readable expectations. */
function shape(steps: readonly LockStep[]): unknown[] {
  return steps.map((step) => {
    switch (step.type) {
      case "acquire":
        return {
          acquire: `${step.lock.key}:${step.mode}:${step.form}`,
          ...(step.handle ? { handle: step.handle } : {}),
          ...(step.scoped ? { scoped: true } : {}),
          ...(step.owned === false ? { owned: false } : {}),
          ...(step.body ? { body: shape(step.body) } : {}),
        };
      case "release":
        return { release: step.handle ?? step.lock?.key };
      case "call":
        return step.callbacks.length ? { call: step.callee.name ?? "?", callbacks: step.callbacks.map((callback) => shape(callback.body)) } : { call: step.callee.name ?? "?" };
      case "branch":
        return { branch: step.arms.map(shape) };
      case "loop":
      case "scope":
      case "spawn":
        return { [step.type]: shape(step.body) };
      case "try":
        return {
          try: shape(step.block),
          ...(step.handler ? { catch: shape(step.handler) } : {}),
          ...(step.finalizer ? { finally: shape(step.finalizer) } : {}),
        };
      case "exit":
        return step.kind;
      case "await":
        return "await";
    }
  });
}

/** The steps of the first method of the first class in `code`, as the shared lowering builds them. */
function methodSteps(code: string): unknown[] {
  let result: unknown[] = [];
  withContext(code, (context) => {
    const env = lockEnvFor(context, policyFor(context)!);
    const ast = context.sourceCode.ast;
    const classNode = ast.body.find((node) => node.type === AST_NODE_TYPES.ClassDeclaration) as TSESTree.ClassDeclaration;
    const method = classNode.body.body.find((member) => member.type === AST_NODE_TYPES.MethodDefinition) as TSESTree.MethodDefinition;
    const unit = extractFile(env)?.functions.find((fn) => fn.node === method.value);
    expect(unit).toBeDefined();
    result = shape(unit!.steps);
  });
  return result;
}

describe("step programs", () => {
  it("guards, releasers and manual pairs, with try/finally, using and escaping releasers", () => {
    expect(
      methodSteps(`class MemberList {
  async m() {
    const release = await this.entries.acquire();
    try { await work(); } finally { release(); }
    using guard = await this.entries.write();
    await this.entries.read();
    this.entries.release();
    const kept = await this.entries.acquire();
    return kept;
  }
}`),
    ).toEqual([
      { acquire: "ml:w:guard", handle: "release" },
      { try: [{ call: "work" }, "await"], finally: [{ release: "release" }] },
      { acquire: "ml:w:guard", handle: "guard", scoped: true },
      { acquire: "ml:r:manual" },
      { release: "ml" },
      { acquire: "ml:w:guard", handle: "kept", owned: false },
      "return",
    ]);
  });

  it("callbacks: lock callbacks hold the lock, call arguments run during the call, task boundaries spawn", () => {
    expect(
      methodSteps(`class RumorStore {
  async m(items: Item[]) {
    await this.list.runWrite(async () => {
      await Promise.all(items.map((item) => this.add_rsw(item)));
    });
    await this.list.runRead(this.count_rsr);
    setTimeout(() => this.list.runWrite(() => {}), 10);
    void this.add_rsw(items[0]);
    emitter.on("x", this.add_rsw);
  }
}`),
    ).toEqual([
      { acquire: "rs:w:callback", body: [{ call: "map", callbacks: [[{ call: "add_rsw" }]] }, { call: "all" }, "await"] },
      "await",
      { acquire: "rs:r:callback", body: [{ call: "count_rsr" }] },
      "await",
      // Registering a timer or a handler runs none of it, and takes no lock: only the spawned task is a step.
      { spawn: [{ acquire: "rs:w:callback", body: [] }] },
      { spawn: [{ call: "add_rsw" }] },
      { spawn: [{ call: "add_rsw" }] },
    ]);
  });

  it("control flow: if, loops with break and continue, switch with fall-through, labeled blocks", () => {
    expect(
      methodSteps(`class Server {
  m(xs: number[], kind: string) {
    if (xs.length) a(); else b();
    for (const x of xs) { if (x) continue; if (x > 1) break; c(); }
    switch (kind) {
      case "a": d();
      case "b": { e(); break; }
      default: f();
    }
    block: { g(); break block; }
  }
}`),
    ).toEqual([
      { branch: [[{ call: "a" }], [{ call: "b" }]] },
      { loop: [{ scope: [{ branch: [["continue"], []] }, { branch: [["break"], []] }, { call: "c" }] }] },
      { branch: [[{ call: "d" }, { call: "e" }], [{ call: "e" }], [{ call: "f" }]] },
      { scope: [{ call: "g" }] },
    ]);
  });
});

describe("robustness", () => {
  it("analyzes unusual code without a single extraction failure", () => {
    const code = `@decorated
export default class Weird<T> extends Base implements Iface {
  static #count = 0;
  static { Weird.#count += 1; }
  declare readonly brand: string;
  accessor value = 1;
  [Symbol.iterator]() { return [][Symbol.iterator](); }
  get size_mlr() { return this.entries.runRead(() => 1); }
  set size_mlw(v: number) { void this.entries.runWrite(() => v); }
  constructor(private readonly entries: RwLock) { super(); new.target; }
  async *stream() { for await (const x of source()) yield x; }
  m = function* () { yield* inner(); };
}
enum Color { Red, Green = Red + 1 }
namespace NS { export const lock = new Mutex(); lock.acquire(); }
label: for (;;) { inner: while (true) { if (a) continue label; break inner; } break; }
const f = (a = this?.x?.[y]?.(z), ...rest: unknown[]) => a ?? rest;
const g = async () => { try { await x; } catch { } finally { } };
const t = tag\`a\${b}c\`;
const o = { ...spread, [computed]: 1, get x() { return 1; }, async *gen() {} };
(function iife() { this.entries.acquire(); })();
(async () => { const release = await Server.member.acquire(); release(); release(); })();
x ||= y; x &&= await z(); x ??= w();
do { q(); } while (false);
export { f as default2 };
import.meta.url;
`;
    withContext(code, (context) => {
      const analysis = analyzeFileLocks(context)!;
      expect(analysis.failures).toEqual([]);
      // It did look inside: the accessors that take ml, and the IIFE's double release at the top level.
      const names = analysis.functions.map((fn) => fn.name?.name).filter(Boolean);
      expect(names).toEqual(expect.arrayContaining(["size_mlr", "size_mlw"]));
      const findings = analysis.functions.flatMap((fn) => fn.flow.findings.map((finding) => `${finding.kind}@${finding.node.loc.start.line}`));
      expect(findings).toContain("double-release@22");
    });
  });
});
