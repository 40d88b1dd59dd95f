#!/usr/bin/env node
// Builds lock-audit-<version>.vsix here: installs the extension's dependency and @vscode/vsce in this
// folder (never in the repository root), then packages. Nothing is published.
const { execFileSync } = require("node:child_process");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (args) => execFileSync(npm, args, { cwd: __dirname, stdio: "inherit" });
run(["install", "--no-save", "--no-package-lock", "@vscode/vsce@^4"]);
run(["install", "--omit=dev", "--no-package-lock"]);
run(["exec", "--", "vsce", "package", "--allow-missing-repository", "--skip-license"]);
