// Starts `lock-audit lsp --stdio` for the workspace and hands its diagnostics and code actions to VS Code.
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverCommand(folder) {
  const configured = vscode.workspace.getConfiguration("lockAudit").get("path");
  if (configured) return configured;
  const local = join(folder, "node_modules", ".bin", process.platform === "win32" ? "lock-audit.cmd" : "lock-audit");
  return existsSync(local) ? local : "lock-audit";
}

async function activate(context) {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return;
  const command = serverCommand(folder);
  const run = { command, args: ["lsp", "--stdio"], transport: TransportKind.stdio, options: { cwd: folder, shell: process.platform === "win32" } };
  client = new LanguageClient("lockAudit", "lock-audit", { run, debug: run }, {
    documentSelector: [
      { scheme: "file", language: "typescript" },
      { scheme: "file", language: "typescriptreact" },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/{lock-order.json,tsconfig*.json,*.ts,*.tsx}") },
  });
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
