#!/usr/bin/env node
// Builds lock-audit-<version>.vsix here: installs the extension's dependency and, as its dev
// dependency, @vscode/vsce in this folder (never in the repository root), then packages (dev
// dependencies stay out of the .vsix). Nothing is published.
const { execFileSync } = require("node:child_process");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (args) => execFileSync(npm, args, { cwd: __dirname, stdio: "inherit" });
run(["install", "--no-package-lock", "--no-audit", "--no-fund"]);
run(["exec", "--", "vsce", "package", "--allow-missing-repository", "--skip-license"]);
