#!/usr/bin/env node
/**
 * Opens `lock-audit --format html` reports in a real headless Chromium and checks what a person
 * opening a CI artifact gets: the page renders, the findings table has its rows, the graph's SVG is
 * on the page and visible (laid out, not hidden, not covered), no request leaves the page (every
 * request Chromium sees is the page's own file, and no Content-Security-Policy violation fires), and
 * nothing from the analyzed code became an element or ran (no <img>, no dialog).
 *
 *   node scripts/check-html.js [--chromium PATH] [--screenshots DIR] [PAGE.html ...]
 *
 * Without pages it writes and checks two reports: fixtures/habitat, and scripts/hostile-project.js
 * (a file name with `<`, `|` and backticks, a lock key "<img src=x onerror=alert(1)>"). Run `npm run
 * build` first. Needs Chromium (Debian: `apt-get install chromium`), so it is not part of `npm test`.
 * It talks to Chromium over --remote-debugging-pipe (the DevTools protocol on file descriptors 3
 * and 4): no port is opened. Exit 0: every check passed; 1: a check failed; 2: it could not run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { HOSTILE_KEY, writeHostileProject } from "./hostile-project.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const PAGE_TIMEOUT_MS = 60_000;

function usageError(message) {
  console.error(`check-html: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { chromium: "/usr/bin/chromium", screenshots: undefined, pages: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--chromium" || arg === "--screenshots") {
      if (argv[i + 1] === undefined) usageError(`${arg} needs a value`);
      options[arg.slice(2)] = argv[++i];
    } else if (arg.startsWith("--")) usageError(`unknown option ${arg}; usage: node scripts/check-html.js [--chromium PATH] [--screenshots DIR] [PAGE.html ...]`);
    else options.pages.push(resolve(arg));
  }
  return options;
}

/** Writes one report with the built CLI; lock-audit exits 1 on findings, which is expected here. */
function writeReport(args, cwd, output) {
  const run = spawnSync(process.execPath, [join(repo, "bin/lock-audit.js"), ...args, "--format", "html", "--no-progress", "--output", output], { cwd, encoding: "utf8" });
  if (run.status !== 0 && run.status !== 1) usageError(`lock-audit ${args.join(" ")} failed (exit ${run.status}): ${run.stderr.trim().split("\n")[0]}`);
  return output;
}

/** A DevTools protocol client over Chromium's pipe: NUL-terminated JSON messages. */
function devtools(child) {
  const pending = new Map();
  const listeners = [];
  let nextId = 1;
  let buffer = "";
  child.stdio[4].on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let end;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined && pending.has(message.id)) {
        const { resolve: done, reject, method } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else done(message.result);
      } else for (const listener of listeners) listener(message);
    }
  });
  child.stdio[3].on("error", () => {});
  return {
    /** Rejects every request still waiting (Chromium went away). */
    fail(error) {
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
    },
    send(method, params = {}, sessionId) {
      const id = nextId++;
      child.stdio[3].write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
      return new Promise((done, reject) => pending.set(id, { resolve: done, reject, method }));
    },
    on(listener) {
      listeners.push(listener);
    },
  };
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${PAGE_TIMEOUT_MS / 1000} s`)), PAGE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Runs in the page before its own content: records what the page's policy blocked.
const RECORD_VIOLATIONS = `window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(event.violatedDirective + " " + event.blockedURI));`;

// Runs in the page after load: what a reader would see.
const INSPECT = `JSON.stringify((() => {
  const svg = document.querySelector("figure.graph svg");
  let graph = null;
  if (svg) {
    svg.scrollIntoView({ block: "start" });
    const box = svg.getBoundingClientRect();
    const style = getComputedStyle(svg);
    const atCenter = document.elementFromPoint(box.left + Math.min(box.width, innerWidth) / 2, box.top + Math.min(box.height, innerHeight) / 2);
    graph = { width: Math.round(box.width), height: Math.round(box.height), display: style.display, visibility: style.visibility, opacity: style.opacity, texts: svg.querySelectorAll("text").length, onTop: !!atCenter && svg.contains(atCenter) };
    scrollTo(0, 0);
  }
  return {
    title: document.title,
    rows: document.querySelectorAll("tbody tr:not(.frame)").length,
    frames: document.querySelectorAll("pre.frame").length,
    graph,
    foreign: [...document.querySelectorAll("img, script, iframe, object, embed, link, base, form, a")].map((element) => element.outerHTML.slice(0, 80)),
    text: document.body.innerText,
    violations: window.__violations,
  };
})())`;

async function checkPage(client, file, screenshots) {
  const url = pathToFileURL(file).href;
  const { targetId } = await client.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await client.send("Target.attachToTarget", { targetId, flatten: true });
  const requests = [];
  const dialogs = [];
  let loaded;
  const load = new Promise((done) => (loaded = done));
  client.on((message) => {
    if (message.sessionId !== sessionId) return;
    if (message.method === "Network.requestWillBeSent") requests.push(message.params.request.url);
    if (message.method === "Page.javascriptDialogOpening") {
      dialogs.push(message.params.message);
      void client.send("Page.handleJavaScriptDialog", { accept: false }, sessionId);
    }
    if (message.method === "Page.loadEventFired") loaded();
  });
  for (const domain of ["Page", "Network", "Runtime"]) await client.send(`${domain}.enable`, {}, sessionId);
  await client.send("Page.addScriptToEvaluateOnNewDocument", { source: RECORD_VIOLATIONS }, sessionId);
  await client.send("Emulation.setDeviceMetricsOverride", { width: 1280, height: 1000, deviceScaleFactor: 1, mobile: false }, sessionId);
  await client.send("Page.navigate", { url }, sessionId);
  await withTimeout(load, `loading ${url}`);
  const { result } = await client.send("Runtime.evaluate", { expression: INSPECT, returnByValue: true }, sessionId);
  const page = JSON.parse(result.value);
  if (screenshots) {
    const { cssContentSize } = await client.send("Page.getLayoutMetrics", {}, sessionId);
    const clip = { x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.min(Math.ceil(cssContentSize.height), 8000), scale: 1 };
    const { data } = await client.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip }, sessionId);
    mkdirSync(screenshots, { recursive: true });
    writeFileSync(join(screenshots, `${basename(file, ".html")}.png`), Buffer.from(data, "base64"));
  }
  await client.send("Target.closeTarget", { targetId });
  return { url, page, requests, dialogs };
}

/** The problems with one page, empty when a reader gets what the report promises. */
function problemsOf({ url, page, requests, dialogs }, expectText) {
  const problems = [];
  if (!page.title.startsWith("lock-audit: ")) problems.push(`title is ${JSON.stringify(page.title)}`);
  if (!page.graph) problems.push("no graph SVG in the page");
  else {
    const { width, height, display, visibility, opacity, texts, onTop } = page.graph;
    if (width < 100 || height < 100) problems.push(`graph SVG is ${width}×${height} px`);
    if (display === "none" || visibility !== "visible" || Number(opacity) < 1) problems.push(`graph SVG is hidden (display ${display}, visibility ${visibility}, opacity ${opacity})`);
    if (texts === 0) problems.push("graph SVG has no text");
    if (!onTop) problems.push("graph SVG is covered by another element");
  }
  const outside = requests.filter((request) => request !== url);
  if (outside.length > 0) problems.push(`requests beyond the page: ${outside.join(", ")}`);
  if (page.violations.length > 0) problems.push(`Content-Security-Policy blocked: ${page.violations.join(", ")}`);
  if (page.foreign.length > 0) problems.push(`elements the report never writes: ${page.foreign.join(" ")}`);
  if (dialogs.length > 0) problems.push(`a script ran and opened a dialog: ${dialogs.join(", ")}`);
  for (const text of expectText) if (!page.text.includes(text)) problems.push(`the page does not show ${JSON.stringify(text)} as text`);
  return problems;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(options.chromium)) usageError(`${options.chromium} not found; install Chromium (Debian: apt-get install chromium) or pass --chromium PATH`);
  if (options.pages.length === 0 && !existsSync(join(repo, "dist/analyzer/cli.js"))) usageError("dist/analyzer/cli.js is missing; run `npm run build` first");
  for (const page of options.pages) if (!existsSync(page)) usageError(`${page}: no such file`);

  const scratch = mkdtempSync(join(tmpdir(), "lock-audit-check-html-"));
  const cleanup = [scratch];
  const pages = options.pages.map((file) => ({ file, expectText: [] }));
  if (pages.length === 0) {
    const hostile = writeHostileProject();
    cleanup.push(hostile);
    pages.push({ file: writeReport(["--project", "fixtures/habitat/tsconfig.json"], repo, join(scratch, "habitat.html")), expectText: [] });
    pages.push({ file: writeReport(["--project", "."], hostile, join(scratch, "hostile.html")), expectText: [HOSTILE_KEY, "jobs<1>|`main`.ts"] });
  }

  const chromium = spawn(
    options.chromium,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--user-data-dir=${join(scratch, "profile")}`,
      "--remote-debugging-pipe",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  let chromiumErrors = "";
  chromium.stderr.on("data", (chunk) => (chromiumErrors += chunk));
  const client = devtools(chromium);
  const exited = new Promise((done) => chromium.on("close", done));
  chromium.on("error", (error) => client.fail(error));
  chromium.on("exit", (code, signal) => client.fail(new Error(`chromium exited (${signal ?? `exit ${code}`})`)));
  let failed = false;
  let broken;
  try {
    for (const { file, expectText } of pages) {
      const checked = await checkPage(client, file, options.screenshots);
      const problems = problemsOf(checked, expectText);
      const { graph, rows, frames } = checked.page;
      if (problems.length === 0) {
        console.log(`ok    ${basename(file)}: ${rows} finding rows, ${frames} code frames, graph SVG ${graph.width}×${graph.height} px visible, ${checked.requests.length} request (the page itself), no policy violation`);
      } else {
        failed = true;
        for (const problem of problems) console.log(`FAIL  ${basename(file)}: ${problem}`);
      }
    }
    await client.send("Browser.close");
  } catch (error) {
    broken = `${error instanceof Error ? error.message : String(error)}${chromiumErrors ? ` (chromium: ${chromiumErrors.trim().split("\n").pop()})` : ""}`;
    chromium.kill();
  } finally {
    await exited;
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }
  if (broken) usageError(broken);
  if (options.screenshots) console.log(`screenshots in ${resolve(options.screenshots)}`);
  process.exit(failed ? 1 : 0);
}

await main();
