// Typed ids: with literal ids, mutex(id) and rwlock(id) reject undeclared ids and the wrong kind at
// compile time. Runs the real tsc over a temporary consumer project and compares its errors with the
// `// error TSxxxx` marks in the consumer files.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { lockOrderDeclaration, LockOrderConfigError } from "../../runtime/index.js";

const REPO = resolve(import.meta.dirname, "../..");
const RUNTIME = join(REPO, "runtime/index.js");
const TSC = join(REPO, "node_modules/typescript/bin/tsc");

const ORDER = {
  locks: [
    { id: "rs", target: "RumorStore.list", kind: "rwlock" },
    { id: "sm", target: "Server.member", kind: "mutex" },
    { id: "wf", target: "src/sync.ts#workflowLocks", kind: "keyed" },
  ],
};

const CONSUMERS: Record<string, string> = {
  "inline.ts": `
import { defineLockOrder } from ${JSON.stringify(RUNTIME)};
const locks = defineLockOrder({
  locks: [
    { id: "rs", target: "RumorStore.list", kind: "rwlock" },
    { id: "sm", target: "Server.member", kind: "mutex" },
  ],
});
locks.mutex("sm");
locks.rwlock("rs");
locks.mutex("typo"); // error TS2345
locks.mutex("rs"); // error TS2345
locks.rwlock("sm"); // error TS2345
`,
  "satisfies.ts": `
import { defineLockOrder, type LockOrderDefinition } from ${JSON.stringify(RUNTIME)};
const order = {
  locks: [
    { id: "rs", target: "RumorStore.list", kind: "rwlock" },
    { id: "sm", target: "Server.member", kind: "mutex" },
    { id: "wf", target: "src/sync.ts#workflowLocks", kind: "keyed" },
  ],
} as const satisfies LockOrderDefinition;
const locks = defineLockOrder(order, { checks: "off" });
locks.mutex("sm");
locks.rwlock("rs");
locks.mutex("wf"); // error TS2345
locks.rwlock("typo"); // error TS2345
const wrongKind = { locks: [{ id: "x", target: "X.lock", kind: "semaphore" }] } as const satisfies LockOrderDefinition; // error TS2322
`,
  "typed-json.ts": `
import order from "./typed.json" with { type: "json" };
import { defineLockOrder } from ${JSON.stringify(RUNTIME)};
const locks = defineLockOrder(order);
locks.mutex("sm");
locks.rwlock("rs");
locks.mutex("typo"); // error TS2345
locks.rwlock("sm"); // error TS2345
`,
  "untyped.ts": `
import order from "./plain.json" with { type: "json" };
import { defineLockOrder } from ${JSON.stringify(RUNTIME)};
// A JSON import without a generated declaration, and an order of unknown type: string ids, as before.
const locks = defineLockOrder(order);
locks.mutex("typo");
locks.rwlock("sm");
const fromAnywhere: unknown = order;
defineLockOrder(fromAnywhere).mutex(String(Date.now()));
`,
};

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lock-discipline-typed-ids-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "typed.json"), JSON.stringify(ORDER, null, 2));
  writeFileSync(join(dir, "typed.d.json.ts"), lockOrderDeclaration(ORDER, "typed.json"));
  writeFileSync(join(dir, "plain.json"), JSON.stringify(ORDER, null, 2));
  for (const [name, text] of Object.entries(CONSUMERS)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        lib: ["es2023", "esnext.disposable"],
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        resolveJsonModule: true,
        allowArbitraryExtensions: true,
        allowImportingTsExtensions: false,
        types: ["node"],
        typeRoots: [join(REPO, "node_modules/@types")],
      },
      files: Object.keys(CONSUMERS),
    }),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `file:line code` for every `// error TSxxxx` mark in the consumers. */
function expectedErrors(): string[] {
  const marks: string[] = [];
  for (const [name, text] of Object.entries(CONSUMERS)) {
    text.split("\n").forEach((line, index) => {
      const mark = /\/\/ error (TS\d+)/.exec(line);
      if (mark) marks.push(`${name}:${index + 1} ${mark[1]}`);
    });
  }
  return marks.sort();
}

test("tsc reports exactly the marked lines: undeclared ids and ids of the other kind, inline, with satisfies and from a typed JSON import", () => {
  const run = spawnSync(process.execPath, [TSC, "-p", join(dir, "tsconfig.json"), "--pretty", "false"], { encoding: "utf8" });
  const reported = [...run.stdout.matchAll(/^(\S+?)\((\d+),\d+\): error (TS\d+):/gm)].map(([, file, line, code]) => `${basename(file)}:${line} ${code}`);
  expect(reported.sort(), run.stdout).toEqual(expectedErrors());
  expect(run.status).toBe(2);
  expect(run.stdout).toContain(`Argument of type '"typo"' is not assignable to parameter of type '"sm"'`);
});

test("the generated declaration is the JSON's literal type and rejects an invalid order", () => {
  const text = lockOrderDeclaration(ORDER, "typed.json");
  expect(text).toContain('readonly "id": "sm";');
  expect(text).toContain('readonly "kind": "rwlock";');
  expect(text).toMatch(/^export declare const locks: readonly \[$/m);
  expect(() => lockOrderDeclaration({ locks: [{ id: "Bad", target: "A.b", kind: "mutex" }] })).toThrow(LockOrderConfigError);
});

test("write-lock-order-types writes the declaration next to the JSON, and --check tells a stale one", () => {
  // Compiled from the sources into the temporary folder, so the test never runs a stale dist/.
  const out = join(dir, "compiled");
  execFileSync(process.execPath, [
    TSC,
    join(REPO, "runtime/write-lock-order-types.ts"),
    ...["--outDir", out, "--rootDir", REPO, "--module", "nodenext", "--target", "es2022", "--types", "node"],
    ...["--typeRoots", join(REPO, "node_modules/@types"), "--skipLibCheck", "--ignoreConfig"],
  ]);
  writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module" }));
  const script = join(out, "runtime/write-lock-order-types.js");
  const json = join(dir, "script.json");
  writeFileSync(json, JSON.stringify(ORDER));
  const check = () => spawnSync(process.execPath, [script, json, "--check"], { encoding: "utf8" });
  expect(check()).toMatchObject({ status: 1, stderr: expect.stringContaining("script.d.json.ts is missing") });
  execFileSync(process.execPath, [script, json]);
  expect(readFileSync(join(dir, "script.d.json.ts"), "utf8")).toBe(lockOrderDeclaration(ORDER, "script.json"));
  expect(check().status).toBe(0);
  writeFileSync(json, JSON.stringify({ locks: ORDER.locks.slice(1) }));
  expect(check()).toMatchObject({ status: 1, stderr: expect.stringContaining("is stale") });
});
