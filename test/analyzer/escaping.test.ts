/**
 * Reports are published as CI artifacts and PR comments, so text from the analyzed code must stay
 * text in every format. A real analysis of a project whose file name holds `<`, `>`, `|` and
 * backticks and whose keyed lock's key is "<img src=x onerror=alert(1)>" (scripts/hostile-project.js):
 * each format shows those names exactly, and only escaped.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { instance, type Viz } from "@viz-js/viz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { formatDot } from "../../analyzer/reporters/dot.js";
import { formatHtml } from "../../analyzer/reporters/html.js";
import { formatJson } from "../../analyzer/reporters/json.js";
import { formatMarkdown } from "../../analyzer/reporters/markdown.js";
import { formatMermaid } from "../../analyzer/reporters/mermaid.js";
import { formatSarif } from "../../analyzer/reporters/sarif.js";
import { formatSvg } from "../../analyzer/reporters/svg.js";
import type { AnalysisResult } from "../../analyzer/types.js";
import { HOSTILE_FILE, HOSTILE_KEY, writeHostileProject } from "../../scripts/hostile-project.js";

const MODULE_LOCK = `${HOSTILE_FILE}#registry`;

/** Every element the html report writes itself: its page, its table, and Graphviz's SVG. */
const REPORT_ELEMENTS = ["html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "code", "ul", "li", "ol", "table", "colgroup", "col", "thead", "tbody", "tr", "th", "td", "span", "br", "wbr", "pre", "figure", "svg", "g", "path", "polygon", "polyline", "ellipse", "text"];

let dir: string;
let result: AnalysisResult;
let viz: Viz;

beforeAll(async () => {
  dir = writeHostileProject();
  result = await analyze({ project: dir, root: dir });
  viz = await instance();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** XML text back to the characters it shows. */
function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, entity: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    if (entity in named) return named[entity];
    return String.fromCodePoint(entity[1] === "x" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
  });
}

/** The text lines an SVG shows, one per `<text>` element, unescaped. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => xmlText(match[1]));
}

/** GitHub's table row split: a backslash escapes the next character, every other `|` ends a cell. */
function gfmCells(row: string): string[] {
  const cells: string[] = [];
  let current = "";
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === "\\") {
      current += row.slice(i, i + 2);
      i += 1;
    } else if (row[i] === "|") {
      cells.push(current);
      current = "";
    } else current += row[i];
  }
  cells.push(current);
  return cells.slice(1, -1);
}

describe("the hostile project", () => {
  it("really has the hostile names in its findings and graph", () => {
    expect(result.findings.map((finding) => finding.location.file)).toContain(HOSTILE_FILE);
    expect(result.findings.some((finding) => finding.message.includes(HOSTILE_KEY))).toBe(true);
    expect(result.graph.locks.map((lock) => lock.key)).toContain(MODULE_LOCK);
    expect(result.graph.edges.every((edge) => edge.site.file === HOSTILE_FILE)).toBe(true);
  });
});

describe("markdown", () => {
  it("keeps every table row at four cells and writes no raw markup", () => {
    const markdown = formatMarkdown(result);
    const rows = markdown.split("\n").filter((line) => line.startsWith("|"));
    expect(rows).toHaveLength(2 + result.findings.length);
    for (const row of rows) expect(gfmCells(row)).toHaveLength(4);
    expect(markdown).not.toMatch(/(?<!\\)<img/);
    expect(markdown).toContain("\\<img src=x onerror=alert(1)\\>");
    // The only tags are the report's own.
    const tags = [...markdown.matchAll(/(?<!\\)<\/?([a-z]+)/g)].map((match) => match[1]);
    expect(new Set(tags)).toEqual(new Set(["code", "details", "summary", "sub"]));
  });

  it("escapes a backslash before a pipe, an entity and a line break in a path", () => {
    const odd = "src/a\\|b&lt;c\nd.ts";
    const markdown = formatMarkdown({ ...result, findings: result.findings.map((finding) => ({ ...finding, location: { ...finding.location, file: odd } })) });
    for (const row of markdown.split("\n").filter((line) => line.startsWith("|"))) expect(gfmCells(row)).toHaveLength(4);
    expect(markdown).toContain("<code>src/a\\\\\\|b&amp;lt;c d.ts:");
  });
});

describe("dot", () => {
  it("parses, and Graphviz shows each name and site exactly as written", () => {
    const dot = formatDot(result);
    const rendered = viz.render(dot, { format: "svg" });
    expect(rendered.errors.filter((error) => error.level === "error")).toEqual([]);
    expect(rendered.status).toBe("success");
    const svg = rendered.status === "success" ? rendered.output : "";
    expect(svg).not.toContain("<img");
    const texts = svgTexts(svg);
    expect(texts).toContain(MODULE_LOCK);
    for (const edge of result.graph.edges) expect(texts).toContain(`${edge.site.file}:${edge.site.line}`);
  });

  it("quotes, backslashes, entities and line breaks in names stay text", () => {
    const odd = 'a"b\\l\n&lt;c.ts';
    const renamed = { ...result, graph: { ...result.graph, edges: result.graph.edges.map((edge) => ({ ...edge, site: { ...edge.site, file: odd } })) } };
    const rendered = viz.render(formatDot(renamed), { format: "svg" });
    expect(rendered.errors.filter((error) => error.level === "error")).toEqual([]);
    const texts = svgTexts(rendered.status === "success" ? rendered.output : "");
    expect(texts).toContain('a"b\\l');
    expect(texts).toContain(`&lt;c.ts:${result.graph.edges[0].site.line}`);
  });
});

describe("html", () => {
  it("writes only its own elements and attributes, and shows every message, location and code line as written", async () => {
    const source = readFileSync(join(dir, HOSTILE_FILE), "utf8");
    const html = await formatHtml(result, { sources: new Map([[HOSTILE_FILE, source]]) });
    expect(html).not.toContain("<img");
    const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((match) => match[1].toLowerCase()));
    expect([...tags].filter((tag) => !REPORT_ELEMENTS.includes(tag))).toEqual([]);
    expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    const messages = [...html.matchAll(/<td class="message">([^<]*)<\/td>/g)].map((match) => xmlText(match[1]));
    expect(messages).toEqual(result.findings.map((finding) => finding.message));
    const locations = [...html.matchAll(/<td class="location"><code>(.*?)<\/code>/g)].map((match) => xmlText(match[1].replace(/<wbr>/g, "")));
    expect(locations).toEqual(result.findings.map((finding) => `${finding.location.file}:${finding.location.line}:${finding.location.column}`));
    const frames = [...html.matchAll(/<pre class="frame">([\s\S]*?)<\/pre>/g)].map((match) => xmlText(match[1].replace(/<\/?span[^>]*>/g, "")));
    expect(frames).toHaveLength(result.findings.length);
    expect(frames[1]).toContain(`const again = await this.locks.acquire(${JSON.stringify(HOSTILE_KEY)});`);
    const graph = /<figure class="graph">([\s\S]*)<\/figure>/.exec(html)?.[1] ?? "";
    expect(svgTexts(graph)).toContain(MODULE_LOCK);
  });
});

describe("svg", () => {
  it("has no markup from the code, and shows each name and site as written", async () => {
    const svg = await formatSvg(result);
    expect(svg).not.toContain("<img");
    expect(svg).toContain("jobs&lt;1&gt;|`main`.ts");
    const texts = svgTexts(svg);
    expect(texts).toContain(MODULE_LOCK);
    for (const edge of result.graph.edges) expect(texts).toContain(`${edge.site.file}:${edge.site.line}`);
    // Node and edge titles (tooltips) name the locks too, escaped the same way.
    expect([...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((match) => xmlText(match[1]))).toContain(MODULE_LOCK);
  });
});

describe("mermaid", () => {
  it("labels hold no character that ends a label or starts markup, and decode to the names", () => {
    const mermaid = formatMermaid(result);
    const labels = [...mermaid.matchAll(/\["(.*?)"\]|\|"(.*?)"\|/g)].map((match) => match[1] ?? match[2]);
    expect(labels.length).toBe(result.graph.locks.length + result.graph.edges.length);
    for (const label of labels) expect(label.replace(/<br\/>/g, "")).not.toMatch(/["<>|`]/);
    const decoded = labels.map((label) => label.split("<br/>").map((part) => part.replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))));
    expect(decoded.map((parts) => parts[0])).toContain(MODULE_LOCK);
    expect(decoded.flat()).toContain(`${HOSTILE_FILE}:${result.graph.edges[0].site.line}`);
  });
});

describe("json and sarif", () => {
  it("carry the names unchanged (JSON escaping is the format's own), SARIF URIs percent-encoded", () => {
    const json = JSON.parse(formatJson(result)) as { findings: { message: string; location: { file: string } }[] };
    expect(json.findings.some((finding) => finding.message.includes(HOSTILE_KEY))).toBe(true);
    expect(json.findings[0].location.file).toBe(HOSTILE_FILE);
    const sarif = JSON.parse(formatSarif(result)) as { runs: { results: { message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    const [first] = sarif.runs[0].results;
    expect(sarif.runs[0].results.some((entry) => entry.message.text.includes(HOSTILE_KEY))).toBe(true);
    const uri = first.locations[0].physicalLocation.artifactLocation.uri;
    expect(uri).toMatch(/^[A-Za-z0-9\-._~%/!$&'()*+,;=:@]+$/);
    expect(decodeURIComponent(uri)).toBe(HOSTILE_FILE);
  });
});
