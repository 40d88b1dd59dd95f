/**
 * `lock-audit lsp --stdio`: the analysis as a Language Server. It keeps one analysis engine
 * (analyzer/engine.ts) over the workspace's tsconfig.json with the open documents' unsaved text as
 * overlays, and updates it with the documents and files that changed (debounced: edits in quick
 * succession cost one update); a change to lock-order.json or a tsconfig starts a new engine.
 * Findings are pushed for every open document after each analysis and answered to pull requests; a
 * broken lock-order.json or tsconfig.json becomes one diagnostic on that file, and the server keeps
 * running.
 */
import { existsSync } from "node:fs";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  DiagnosticSeverity,
  DidChangeWatchedFilesNotification,
  DocumentDiagnosticReportKind,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
  type TextEdit,
  type WorkspaceDiagnosticReport,
  type WorkspaceDocumentDiagnosticReport,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { findLockOrder, loadLockOrder } from "../../core/config.js";
import { LockOrderConfigError } from "../../core/policy.js";
import { AnalysisEngine } from "../engine.js";
import { AuditError, firstLine } from "../errors.js";
import { RULES_BY_ID, TOOL_NAME } from "../rule-catalog.js";
import type { AnalysisResult, ChainStep, Finding, SourceSpan } from "../types.js";
import { TOOL_VERSION } from "../version.js";
import { renameEdits } from "./rename.js";

export interface ServerOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Quiet time after an edit before the analysis starts (ms). */
  debounceMs?: number;
}

/** What a diagnostic carries for its code actions. */
interface DiagnosticData {
  ruleId: string;
  fix?: { from: string; to: string };
}

const LEVELS: Record<Finding["level"], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

function rangeOf(span: SourceSpan): Diagnostic["range"] {
  return {
    start: { line: span.line - 1, character: span.column - 1 },
    end: { line: span.endLine - 1, character: span.endColumn - 1 },
  };
}

function uriToPath(uri: string): string | undefined {
  return uri.startsWith("file:") ? resolve(fileURLToPath(uri)) : undefined;
}

function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

/** A problem that stops the analysis, placed on the file it is about. */
interface Blocker {
  file: string;
  messages: string[];
}

/** A heap this many times its size after the last collection is collected after an analysis. */
const HEAP_GROWTH_BEFORE_COLLECTING = 1.5;

/**
 * Called after each analysis: a full garbage collection once the heap has grown well past its live
 * size. Every update leaves the previous program and checker behind as garbage, and with edits in
 * quick succession V8 lets the heap grow to several times its live size before collecting
 * (measured on the 1,200-module bench project: 350–650 MB used after 20–100 edits against 231 MB
 * live); an editor keeps the server for hours. Collecting after every analysis instead cost each
 * edit about 0.25 s there.
 */
function garbageCollector(): () => void {
  let gc: (() => void) | undefined;
  try {
    setFlagsFromString("--expose-gc");
    const exposed: unknown = runInNewContext("gc");
    if (typeof exposed === "function") gc = exposed as () => void;
  } catch {
    // No collector to call: V8 collects on its own schedule.
  }
  if (!gc) return () => {};
  let live = 0;
  return () => {
    if (live > 0 && getHeapStatistics().used_heap_size < live * HEAP_GROWTH_BEFORE_COLLECTING) return;
    gc();
    live = getHeapStatistics().used_heap_size;
  };
}

export function startServer(options: ServerOptions): Connection {
  const collectGarbage = garbageCollector();
  const connection = createConnection(ProposedFeatures.all, options.input, options.output);
  const documents = new TextDocuments(TextDocument);
  const debounceMs = options.debounceMs ?? 150;

  let folder: string | undefined;
  let projectFile: string | undefined;
  let pullClient = false;
  let result: AnalysisResult | undefined;
  let blocker: Blocker | undefined;
  /** Files that got diagnostics last time: they are cleared when they have none now. */
  let published = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  /** Resolved after the next analysis that starts from now: pull requests wait for it. */
  let settled: Promise<void> = Promise.resolve();
  let settle: (() => void) | undefined;
  /** The engine, while the configuration it was built on holds. */
  let engine: AnalysisEngine | undefined;
  /** Files whose text (open document or disk) changed since the last update. */
  let changed = new Set<string>();

  const log = (message: string) => connection.console.log(`${TOOL_NAME}: ${message}`);

  function overlays(): Map<string, string> {
    const map = new Map<string, string>();
    for (const document of documents.all()) {
      const path = uriToPath(document.uri);
      if (path && /\.[cm]?tsx?$/.test(path) && folder && !path.startsWith(join(folder, "node_modules"))) map.set(path, document.getText());
    }
    return map;
  }

  function blockerOf(error: unknown): Blocker {
    if (error instanceof LockOrderConfigError) return { file: error.file, messages: error.errors.map((problem) => problem.line) };
    const messages = error instanceof AuditError ? [...error.problems] : [`internal error: ${firstLine(error)}; please report it`];
    // "path/to/file: what is wrong; what to do" names the file it is about.
    const named = /^([^:]+?\.json):/.exec(messages[0]);
    const file = named && isAbsolute(named[1]) ? named[1] : (findLockOrder(folder ?? ".") ?? projectFile ?? join(folder ?? ".", "tsconfig.json"));
    return { file, messages };
  }

  function diagnosticOf(finding: Finding, root: string): Diagnostic {
    const rule = RULES_BY_ID.get(finding.ruleId);
    const step = (chainStep: ChainStep) => ({
      location: { uri: pathToUri(resolve(root, chainStep.location.file)), range: rangeOf(chainStep.location) },
      message: chainStep.message,
    });
    const data: DiagnosticData = { ruleId: finding.ruleId, ...(finding.fix ? { fix: { from: finding.fix.from, to: finding.fix.to } } : {}) };
    return {
      range: rangeOf(finding.location),
      severity: LEVELS[finding.level],
      source: TOOL_NAME,
      code: finding.ruleId,
      ...(rule ? { codeDescription: { href: rule.helpUri } } : {}),
      message: finding.message,
      relatedInformation: [...finding.chain, ...finding.related].map(step),
      data,
    };
  }

  /** Absolute path → diagnostics, from the last analysis (or the problem that stopped it). */
  function diagnosticsByFile(): Map<string, Diagnostic[]> {
    const byFile = new Map<string, Diagnostic[]>();
    const add = (file: string, diagnostic: Diagnostic) => byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
    if (blocker) {
      add(blocker.file, {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
        severity: DiagnosticSeverity.Error,
        source: TOOL_NAME,
        message: blocker.messages.join("\n"),
      });
      return byFile;
    }
    if (!result) return byFile;
    for (const finding of result.findings) {
      if (finding.suppressed) continue;
      add(resolve(result.root, finding.location.file), diagnosticOf(finding, result.root));
    }
    return byFile;
  }

  function publish(): void {
    const byFile = diagnosticsByFile();
    const now = new Set<string>();
    for (const document of documents.all()) {
      const path = uriToPath(document.uri);
      if (!path) continue;
      now.add(path);
      void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: byFile.get(path) ?? [] });
    }
    // A configuration problem is shown on its file even when that file is not open.
    if (blocker && !now.has(blocker.file)) {
      now.add(blocker.file);
      void connection.sendDiagnostics({ uri: pathToUri(blocker.file), diagnostics: byFile.get(blocker.file) ?? [] });
    }
    for (const path of published) if (!now.has(path)) void connection.sendDiagnostics({ uri: pathToUri(path), diagnostics: [] });
    published = now;
  }

  async function runAnalysis(): Promise<void> {
    const done = settle;
    settle = undefined;
    try {
      if (!projectFile) {
        blocker = { file: join(folder ?? ".", "tsconfig.json"), messages: [`${folder ?? "the workspace"}: no tsconfig.json; open the folder that holds it`] };
        result = undefined;
      } else {
        const started = Date.now();
        const texts = overlays();
        const paths = changed;
        changed = new Set();
        if (!engine) {
          engine = new AnalysisEngine({ project: projectFile, root: folder, cwd: folder, overlays: texts });
        } else {
          for (const path of paths) engine.setOverlay(path, texts.get(path));
        }
        result = engine.update();
        blocker = undefined;
        const { extracted, cold } = engine.info;
        log(`${result.findings.length} findings in ${result.stats.files} files (${Date.now() - started} ms, ${cold ? "cold" : `${extracted} ${extracted === 1 ? "file" : "files"} extracted`})`);
      }
    } catch (error) {
      // The next analysis starts from a new engine, on whatever the configuration is then.
      engine = undefined;
      blocker = blockerOf(error);
      result = undefined;
      log(blocker.messages[0]);
    }
    publish();
    if (pullClient) connection.languages.diagnostics.refresh().catch(() => {});
    done?.();
    collectGarbage();
  }

  function schedule(): void {
    if (!settle) settled = new Promise<void>((resolvePromise) => (settle = resolvePromise));
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) {
        again = true;
        return;
      }
      running = runAnalysis().finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
    }, debounceMs);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const root = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? (params.rootPath ? pathToUri(params.rootPath) : undefined);
    folder = root ? uriToPath(root) : process.cwd();
    const tsconfig = folder ? join(folder, "tsconfig.json") : undefined;
    projectFile = tsconfig && existsSync(tsconfig) ? tsconfig : undefined;
    pullClient = params.capabilities.textDocument?.diagnostic !== undefined;
    const watchRegistration = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    connection.onInitialized(() => {
      if (watchRegistration) {
        void connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: "**/lock-order.json" }, { globPattern: "**/tsconfig*.json" }, { globPattern: "**/*.{ts,tsx,mts,cts}" }],
        });
      }
      schedule();
    });
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        ...(pullClient ? { diagnosticProvider: { identifier: TOOL_NAME, interFileDependencies: true, workspaceDiagnostics: true } } : {}),
      },
      serverInfo: { name: TOOL_NAME, version: TOOL_VERSION },
    };
  });

  const documentChanged = (uri: string) => {
    const path = uriToPath(uri);
    if (path) changed.add(path);
    schedule();
  };
  documents.onDidOpen((event) => documentChanged(event.document.uri));
  documents.onDidChangeContent((event) => documentChanged(event.document.uri));
  // Back to the text on disk; its diagnostics are cleared at the next publish.
  documents.onDidClose((event) => documentChanged(event.document.uri));
  connection.onDidChangeWatchedFiles((params) => {
    for (const change of params.changes) {
      const path = uriToPath(change.uri);
      if (!path) continue;
      // The lock order and the compiler options are what the engine is built on.
      if (/\.json$/.test(path)) engine = undefined;
      else changed.add(path);
    }
    schedule();
  });

  connection.languages.diagnostics.on(async (params) => {
    await settled;
    const path = uriToPath(params.textDocument.uri);
    return { kind: DocumentDiagnosticReportKind.Full, items: (path && diagnosticsByFile().get(path)) || [] };
  });
  connection.languages.diagnostics.onWorkspace(async (): Promise<WorkspaceDiagnosticReport> => {
    await settled;
    const items = [...diagnosticsByFile()].map(([path, diagnostics]): WorkspaceDocumentDiagnosticReport => {
      const uri = pathToUri(path);
      return { kind: DocumentDiagnosticReportKind.Full, uri, version: documents.get(uri)?.version ?? null, items: diagnostics };
    });
    return { items };
  });

  connection.onCodeAction(async (params) => {
    const document = documents.get(params.textDocument.uri);
    const actions: CodeAction[] = [];
    for (const diagnostic of params.context.diagnostics) {
      if (diagnostic.source !== TOOL_NAME) continue;
      const data = diagnostic.data as DiagnosticData | undefined;
      if (!data) continue;
      // A suffix finding exists only under a declared lock order, whose ids the new tags are written from.
      if (data.fix && projectFile && result?.configFile) {
        try {
          const changes = renameEdits({
            policy: loadLockOrder(result.configFile),
            projectFile,
            overlays: overlays(),
            file: uriToPath(params.textDocument.uri)!,
            line: diagnostic.range.start.line,
            character: diagnostic.range.start.character,
            from: data.fix.from,
            to: data.fix.to,
          });
          if (changes) {
            const edit: WorkspaceEdit = { changes: Object.fromEntries([...changes].map(([path, edits]) => [pathToUri(path), edits])) };
            actions.push({ title: `Rename ${data.fix.from} to ${data.fix.to}`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit });
          }
        } catch (error) {
          log(`rename ${data.fix.from} → ${data.fix.to}: ${firstLine(error)}`);
        }
      }
      if (document) {
        const line = diagnostic.range.start.line;
        const indent = /^\s*/.exec(document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }))?.[0].replace(/\n/g, "") ?? "";
        const insert: TextEdit = {
          range: { start: { line, character: 0 }, end: { line, character: 0 } },
          newText: `${indent}// ${TOOL_NAME}-ignore-next-line ${data.ruleId} -- TODO: why this is safe\n`,
        };
        actions.push({
          title: `Suppress ${data.ruleId} on this line (${TOOL_NAME}-ignore-next-line)`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          edit: { changes: { [document.uri]: [insert] } },
        });
      }
    }
    return actions;
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
