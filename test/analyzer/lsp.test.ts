/**
 * `lock-audit lsp --stdio`, the real server process (the built bin/lock-audit.js), driven over stdio
 * by a JSON-RPC client on a copy of fixtures/habitat.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TextDocument, type TextEdit } from "vscode-languageserver-textdocument";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers.js";

interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  source: string;
  code?: string;
  codeDescription?: { href: string };
  message: string;
  relatedInformation?: { location: { uri: string }; message: string }[];
  data?: unknown;
}

interface Published {
  uri: string;
  diagnostics: Diagnostic[];
}

const BIN = join(REPO_ROOT, "bin/lock-audit.js");

let dir: string;
let child: ChildProcessWithoutNullStreams;
let connection: MessageConnection;
const latest = new Map<string, Diagnostic[]>();
let waiters: (() => void)[] = [];

const uri = (file: string) => pathToFileURL(join(dir, file)).href;
const versions = new Map<string, number>();

/** Waits until the latest diagnostics pushed for `file` satisfy `accept`. */
async function pushed(file: string, accept: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
  for (;;) {
    const current = latest.get(uri(file));
    if (current && accept(current)) return current;
    await new Promise<void>((resolveWait) => waiters.push(resolveWait));
  }
}

function open(file: string): void {
  versions.set(file, 1);
  void connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri: uri(file), languageId: "typescript", version: 1, text: readFileSync(join(dir, file), "utf8") },
  });
}

function change(file: string, text: string): void {
  const version = (versions.get(file) ?? 1) + 1;
  versions.set(file, version);
  void connection.sendNotification("textDocument/didChange", { textDocument: { uri: uri(file), version }, contentChanges: [{ text }] });
}

function watched(file: string): void {
  void connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(file), type: 2 }] });
}

const rules = (diagnostics: Diagnostic[]) => diagnostics.map((diagnostic) => String(diagnostic.code)).sort();

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist/analyzer/server/lsp.js"))) throw new Error("build first: npm run build");
  dir = mkdtempSync(join(tmpdir(), "lock-audit-lsp-"));
  cpSync(join(REPO_ROOT, "fixtures/habitat/src"), join(dir, "src"), { recursive: true });
  const tsconfig = JSON.parse(readFileSync(join(REPO_ROOT, "fixtures/habitat/tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
  delete tsconfig.compilerOptions.types;
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  cpSync(join(REPO_ROOT, "lock-order.json"), join(dir, "lock-order.json"));
  child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: dir });
  connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.onNotification("textDocument/publishDiagnostics", (params: Published) => {
    latest.set(params.uri, params.diagnostics);
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  });
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("workspace/diagnostic/refresh", () => null);
  connection.listen();
  const init = (await connection.sendRequest("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "habitat" }],
    capabilities: { textDocument: { diagnostic: {} }, workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } },
  })) as { capabilities: { diagnosticProvider?: unknown; codeActionProvider?: unknown } };
  expect(init.capabilities.diagnosticProvider).toBeDefined();
  expect(init.capabilities.codeActionProvider).toBeDefined();
  void connection.sendNotification("initialized", {});
});

afterAll(async () => {
  if (connection) {
    await connection.sendRequest("shutdown").catch(() => {});
    void connection.sendNotification("exit");
    await new Promise<void>((resolveExit) => {
      if (child.exitCode !== null) resolveExit();
      child.once("exit", () => resolveExit());
      setTimeout(() => child.kill(), 5_000).unref();
    });
    connection.dispose();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("lock-audit lsp --stdio", () => {
  let baseline: string[];

  it("pushes the findings of an open document, as the CLI words them", async () => {
    open("src/rumor-store.ts");
    open("src/member-list.ts");
    const diagnostics = await pushed("src/rumor-store.ts", (list) => list.length > 0);
    baseline = rules(diagnostics);
    const order = diagnostics.find((diagnostic) => (diagnostic.relatedInformation?.length ?? 0) > 1)!;
    expect(order).toBeDefined();
    expect(order.source).toBe("lock-audit");
    expect(order.severity).toBe(1);
    expect(order.codeDescription?.href).toMatch(new RegExp(`cli\\.md#${order.code}$`));
    expect(order.relatedInformation!.length).toBeGreaterThan(1);
    expect(order.relatedInformation![0].location.uri).toBe(uri("src/rumor-store.ts"));
  });

  it("answers a pull request for a document", async () => {
    const report = (await connection.sendRequest("textDocument/diagnostic", { textDocument: { uri: uri("src/rumor-store.ts") } })) as { kind: string; items: Diagnostic[] };
    expect(report.kind).toBe("full");
    expect(rules(report.items)).toEqual(baseline);
  });

  it("follows an unsaved edit to a callee in another file, and its revert", async () => {
    const original = readFileSync(join(dir, "src/member-list.ts"), "utf8");
    const edited = original
      .replace('import type { Member } from "./types.js";', 'import type { Member } from "./types.js";\nimport type { ManagerServices } from "./manager-services.js";')
      .replace("readonly entries = new RwLock();", "readonly entries = new RwLock();\n  services!: ManagerServices;")
      .replace("  async touch_mlw(id: string): Promise<void> {\n", "  async touch_mlw(id: string): Promise<void> {\n    await this.services.inner.runRead(async () => {});\n");
    expect(edited).not.toBe(original);
    change("src/member-list.ts", edited);
    const after = await pushed("src/rumor-store.ts", (list) => rules(list).join() !== baseline.join());
    expect(after.some((diagnostic) => diagnostic.code === "order" && /ms/.test(diagnostic.message))).toBe(true);
    change("src/member-list.ts", original);
    const reverted = await pushed("src/rumor-store.ts", (list) => rules(list).join() === baseline.join());
    expect(rules(reverted)).toEqual(baseline);
  });

  it("offers the rename to the true suffix as a workspace edit that also rewrites its @acquires tag, and a suppression comment", async () => {
    const original = readFileSync(join(dir, "src/member-list.ts"), "utf8");
    const caller = readFileSync(join(dir, "src/rumor-store.ts"), "utf8");
    // touch's tag is the first in the file; the stale name and tag say read, the body writes.
    const stale = original.replace("@acquires ml:w", "@acquires ml:r").replace("async touch_mlw(", "async touch_mlr(");
    change("src/member-list.ts", stale);
    change("src/rumor-store.ts", caller.replace(".touch_mlw(", ".touch_mlr("));
    const diagnostics = await pushed("src/member-list.ts", (list) => list.some((diagnostic) => diagnostic.code === "suffix" && diagnostic.message.includes("touch_mlr")));
    const suffix = diagnostics.find((diagnostic) => diagnostic.code === "suffix" && diagnostic.message.includes("touch_mlr"))!;
    const actions = (await connection.sendRequest("textDocument/codeAction", {
      textDocument: { uri: uri("src/member-list.ts") },
      range: suffix.range,
      context: { diagnostics: [suffix] },
    })) as { title: string; edit: { changes: Record<string, TextEdit[]> } }[];
    const rename = actions.find((action) => action.title.startsWith("Rename"))!;
    expect(rename.title).toBe("Rename touch_mlr to touch_mlw");
    // The declaration and the call in rumor-store.ts.
    expect(Object.keys(rename.edit.changes).sort()).toEqual([uri("src/member-list.ts"), uri("src/rumor-store.ts")].sort());
    expect(rename.edit.changes[uri("src/rumor-store.ts")].map((edit) => edit.newText)).toEqual(["touch_mlw"]);
    const declarationEdits = rename.edit.changes[uri("src/member-list.ts")];
    expect(declarationEdits.map((edit) => edit.newText).filter((text) => text === "touch_mlw")).toHaveLength(1);
    const applied = TextDocument.applyEdits(TextDocument.create("file:///m.ts", "typescript", 0, stale), declarationEdits);
    expect(applied).toBe(original);
    const suppress = actions.find((action) => action.title.startsWith("Suppress"))!;
    expect(suppress.edit.changes[uri("src/member-list.ts")][0].newText).toMatch(/^\s*\/\/ lock-audit-ignore-next-line suffix -- /);
    change("src/member-list.ts", original);
    change("src/rumor-store.ts", caller);
    await pushed("src/member-list.ts", (list) => !list.some((diagnostic) => diagnostic.message.includes("touch_mlr")));
  });

  it("follows lock-order.json, and turns a broken one into one diagnostic on it", async () => {
    const config = readFileSync(join(dir, "lock-order.json"), "utf8");
    // Declaring ml before rs makes RumorStore's nesting of ml inside rs an order finding.
    const json = JSON.parse(config) as { locks: { id: string }[] };
    const ml = json.locks.findIndex((lock) => lock.id === "ml");
    const [moved] = json.locks.splice(ml, 1);
    json.locks.unshift(moved);
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify(json, null, 2));
    watched("lock-order.json");
    const reordered = await pushed("src/rumor-store.ts", (list) => rules(list).join() !== baseline.join());
    expect(reordered.some((diagnostic) => diagnostic.code === "order")).toBe(true);

    writeFileSync(join(dir, "lock-order.json"), "{ \"locks\": [ ");
    watched("lock-order.json");
    const broken = await pushed("lock-order.json", (list) => list.length > 0);
    expect(broken).toHaveLength(1);
    expect(broken[0].source).toBe("lock-audit");
    expect(broken[0].severity).toBe(1);
    expect(await pushed("src/rumor-store.ts", (list) => list.length === 0)).toEqual([]);

    writeFileSync(join(dir, "lock-order.json"), config);
    watched("lock-order.json");
    await pushed("lock-order.json", (list) => list.length === 0);
    expect(rules(await pushed("src/rumor-store.ts", (list) => rules(list).join() === baseline.join()))).toEqual(baseline);
  });
});
