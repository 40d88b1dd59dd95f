/**
 * `--format html`: one self-contained page to open from a CI artifact — the summary, the findings
 * table (level, rule, location, message with its code frame, chain) and the lock graph as inline
 * SVG. Inline CSS, no script, no URL: its Content-Security-Policy forbids every request, so a page
 * that is tampered with still cannot load anything. All text from the code is escaped (escape.ts).
 */
import { relative } from "node:path";
import { codeFrameColumns } from "@babel/code-frame";
import { TOOL_NAME } from "../rule-catalog.js";
import type { AnalysisResult, ChainStep, Finding, FixReport, SourceSpan } from "../types.js";
import { TOOL_VERSION } from "../version.js";
import { acceptedSummary, countFindings, levelSummary, plural, ruleSummary } from "./counts.js";
import { escapeHtml as h } from "./escape.js";
import { renderGraphSvg } from "./svg.js";

export interface HtmlReportOptions {
  /** File contents by finding path, for code frames; files not given get no frame. */
  sources?: ReadonlyMap<string, string>;
  /** What `--fix` renamed before this (re-)analysis. */
  fixes?: FixReport;
  toolVersion?: string;
}

export const HTML_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
:root { color-scheme: light; --error: #c62828; --warning: #a15c00; --note: #1565c0; --line: #d0d7de; --muted: #57606a; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; margin: 24px auto; max-width: 1280px; padding: 0 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); }
code, pre { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
col.level { width: 68px; } col.rule { width: 108px; } col.location { width: 210px; } col.chain { width: 32%; }
td { overflow-wrap: anywhere; }
tr.frame td { border-top: none; padding-top: 0; }
.level { font-weight: 600; text-transform: uppercase; font-size: 11px; letter-spacing: .04em; }
.level.error { color: var(--error); } .level.warning { color: var(--warning); } .level.note { color: var(--note); }
tr.error:not(.frame) td:first-child { border-left: 4px solid var(--error); }
tr.warning:not(.frame) td:first-child { border-left: 4px solid var(--warning); }
tr.note:not(.frame) td:first-child { border-left: 4px solid var(--note); }
pre.frame { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; margin: 0; overflow-x: auto; overflow-wrap: normal; }
pre.frame .at { background: #fff1c2; display: inline-block; min-width: 100%; }
ol.chain { margin: 0; padding-left: 20px; }
ol.chain li { margin-bottom: 2px; }
.function { color: var(--muted); }
figure.graph { margin: 0; overflow-x: auto; }
figure.graph svg { max-width: 100%; height: auto; }
`;

function where(span: SourceSpan): string {
  return `${span.file}:${span.line}:${span.column}`;
}

function frame(finding: Finding, sources: ReadonlyMap<string, string> | undefined): string {
  const source = sources?.get(finding.location.file);
  if (source === undefined) return "";
  const { line, column } = finding.location;
  const text = codeFrameColumns(source, { start: { line, column } }, { highlightCode: false, linesAbove: 1, linesBelow: 1 });
  // The marked line and the caret under it are the finding's own.
  const lines = text.split("\n").map((frameLine) => (/^\s*>|^\s+\|\s+\^/.test(frameLine) ? `<span class="at">${h(frameLine)}</span>` : h(frameLine)));
  return `<pre class="frame">${lines.join("\n")}</pre>`;
}

function chainStep(step: ChainStep): string {
  return `<li><code>${path(where(step.location))}</code> ${h(step.message)}${step.function ? ` <span class="function">(${h(step.function)})</span>` : ""}</li>`;
}

/** A path that may wrap after each `/` (paths are long, table columns are not). */
function path(text: string): string {
  return h(text).replace(/\//g, "/<wbr>");
}

/** One row per finding, and under it, when the source is given, its code frame across the last three columns. */
function findingRows(finding: Finding, sources: ReadonlyMap<string, string> | undefined): string {
  const level = h(finding.level);
  const code = frame(finding, sources);
  const span = code ? ' rowspan="2"' : "";
  const chain = finding.chain.length > 0 ? `<ol class="chain">${finding.chain.map(chainStep).join("")}</ol>` : "";
  const row = [
    `<tr class="${level}">`,
    `<td${span}><span class="level ${level}">${level}</span></td>`,
    `<td class="rule"${span}><code>${h(finding.ruleId)}</code></td>`,
    `<td class="location"><code>${path(where(finding.location))}</code>${finding.function ? `<br><span class="function">${h(finding.function)}</span>` : ""}</td>`,
    `<td class="message">${h(finding.message)}</td>`,
    `<td class="chain">${chain}</td>`,
    "</tr>",
  ].join("");
  return code ? `${row}\n<tr class="${level} frame"><td colspan="3">${code}</td></tr>` : row;
}

function fixesSection(fixes: FixReport | undefined): string[] {
  if (!fixes || (fixes.renamed.length === 0 && fixes.skipped.length === 0)) return [];
  const verb = fixes.dryRun ? "would rename" : "renamed";
  return [
    `<h2>--fix${fixes.dryRun ? " --dry-run" : ""}</h2>`,
    "<ul>",
    ...fixes.renamed.map((rename) => `<li>${verb} <code>${h(rename.from)}</code> → <code>${h(rename.to)}</code> <span class="muted">${h(`${rename.location.file}:${rename.location.line}`)} (${plural(rename.references, "reference")})</span></li>`),
    ...fixes.skipped.map((skip) => `<li>not renamed <code>${h(skip.from)}</code> → <code>${h(skip.to)}</code>: ${h(skip.reason)} <span class="muted">${h(`${skip.location.file}:${skip.location.line}`)}</span></li>`),
    "</ul>",
  ];
}

export async function formatHtml(result: AnalysisResult, options: HtmlReportOptions = {}): Promise<string> {
  const counts = countFindings(result.findings);
  const { stats } = result;
  // Suppressed findings are accepted in code: counted in the summary, left out of the table.
  const findings = result.findings.filter((finding) => !finding.suppressed);
  const headline = findings.length === 0 ? `${TOOL_NAME}: no findings` : `${TOOL_NAME}: ${levelSummary(counts)}`;
  const accepted = acceptedSummary(stats);
  const scope = [plural(stats.files, "file"), plural(stats.functions, "function"), plural(stats.lockSites, "lock site"), ...accepted, `${(stats.durationMs / 1000).toFixed(2)} s`].join(" · ");
  const graph = await renderGraphSvg(result, { inline: true });
  const body = [
    `<h1>${h(headline)}</h1>`,
    findings.length > 0 ? `<p>${h(ruleSummary(counts))}</p>` : "",
    `<p class="muted">${h(scope)} · project <code>${h(relative(result.root, result.projectFile) || result.projectFile)}</code> · lock order <code>${h(result.configFile === null ? "none (discovery mode)" : relative(result.root, result.configFile) || result.configFile)}</code> · ${h(TOOL_NAME)} ${h(options.toolVersion ?? TOOL_VERSION)}</p>`,
    stats.unresolvedCalls > 0 ? `<p class="muted">${h(`${plural(stats.unresolvedCalls, "call")} of ${stats.calls} could not be resolved to a function (function values, dynamic access, \`any\`)`)}</p>` : "",
    ...fixesSection(options.fixes),
    `<h2>Findings (${findings.length})</h2>`,
    findings.length === 0
      ? "<p>No findings.</p>"
      : [
          "<table>",
          '<colgroup><col class="level"><col class="rule"><col class="location"><col class="message"><col class="chain"></colgroup>',
          "<thead><tr><th>level</th><th>rule</th><th>location</th><th>message</th><th>chain</th></tr></thead>",
          "<tbody>",
          ...findings.map((finding) => findingRows(finding, options.sources)),
          "</tbody>",
          "</table>",
        ].join("\n"),
    `<h2>Lock graph (${plural(result.graph.locks.length, "lock")}, ${plural(result.graph.edges.length, "nesting edge")})</h2>`,
    `<figure class="graph">${graph}</figure>`,
  ];
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${h(HTML_CONTENT_SECURITY_POLICY)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(headline)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    ...body.filter((part) => part !== ""),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
