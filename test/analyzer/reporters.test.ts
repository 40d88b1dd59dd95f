/**
 * The reporters, on real analysis results: SARIF validated against the SARIF 2.1.0 JSON schema
 * (OASIS, vendored as sarif-schema-2.1.0.json), JSON shape, markdown, dot, mermaid, text.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import type * as Sarif from "sarif";
import { beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { formatDot } from "../../analyzer/reporters/dot.js";
import { formatHtml, HTML_CONTENT_SECURITY_POLICY } from "../../analyzer/reporters/html.js";
import { formatJson, JSON_REPORT_VERSION } from "../../analyzer/reporters/json.js";
import { formatMarkdown } from "../../analyzer/reporters/markdown.js";
import { formatMermaid } from "../../analyzer/reporters/mermaid.js";
import { FINGERPRINT_KEY, formatSarif, SRCROOT, toSarif } from "../../analyzer/reporters/sarif.js";
import { formatSvg } from "../../analyzer/reporters/svg.js";
import { formatText } from "../../analyzer/reporters/text.js";
import { RULES } from "../../analyzer/rule-catalog.js";
import type { AnalysisResult, LockGraph } from "../../analyzer/types.js";
import { AUDIT_FIXTURES, REPO_ROOT, copyFixtures } from "./helpers.js";

/**
 * The official schema is draft-04 (`id`, draft-04 `$schema`); ajv 8 speaks draft-07, which reads
 * every keyword this schema uses the same way. The formats it names are checked with the URL parser.
 */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(new URL("./sarif-schema-2.1.0.json", import.meta.url), "utf8")) as Record<string, unknown>;
  const { $schema: _draft, id, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("uri", (value: string) => URL.canParse(value));
  ajv.addFormat("uri-reference", (value: string) => URL.canParse(value, "file:///base/") && !/\s/.test(value));
  ajv.addFormat("date-time", (value: string) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value));
  return ajv.compile({ ...rest, $id: String(id) });
}

let cycles: AnalysisResult;
let orderChain: AnalysisResult;
let robust: AnalysisResult;
let validate: ValidateFunction;

beforeAll(async () => {
  validate = sarifValidator();
  cycles = await analyze({ project: join(AUDIT_FIXTURES, "cycles"), root: REPO_ROOT });
  orderChain = await analyze({ project: join(AUDIT_FIXTURES, "order-chain"), root: REPO_ROOT });
  robust = await analyze({ project: join(AUDIT_FIXTURES, "robust-syntax"), root: REPO_ROOT });
});

describe("sarif", () => {
  it.each(["cycles", "order-chain", "robust-syntax"])("is valid SARIF 2.1.0 (%s)", async (name) => {
    const result = { cycles, "order-chain": orderChain, "robust-syntax": robust }[name]!;
    const log = JSON.parse(formatSarif(result)) as unknown;
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the validator rejects what the schema forbids (it really validates)", () => {
    const log = toSarif(orderChain) as unknown as { runs: { results: { level: string }[] }[] };
    log.runs[0].results[0].level = "fatal";
    expect(validate(log)).toBe(false);
    const noMessage = toSarif(orderChain) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete noMessage.runs[0].results[0].message;
    expect(validate(noMessage)).toBe(false);
  });

  it("uses relative URIs under %SRCROOT%, rule metadata with help, code flows for chains", () => {
    const log: Sarif.Log = toSarif(orderChain);
    const run = log.runs[0];
    expect(run.originalUriBaseIds?.[SRCROOT]?.uri).toBe(`file://${REPO_ROOT}/`);
    expect(run.tool.driver.rules?.map((rule) => rule.id)).toEqual(RULES.map((rule) => rule.id));
    for (const rule of run.tool.driver.rules ?? []) {
      expect(rule.help?.text).toBeTruthy();
      expect(rule.helpUri).toMatch(/^https:\/\/.+#/);
      expect(rule.shortDescription?.text).toBeTruthy();
    }
    const [result] = run.results ?? [];
    expect(result.ruleId).toBe("order");
    expect(run.tool.driver.rules?.[result.ruleIndex!]?.id).toBe("order");
    const location = result.locations?.[0].physicalLocation;
    expect(location?.artifactLocation).toEqual({ uri: "fixtures/audit/order-chain/src/gateway.ts", uriBaseId: SRCROOT });
    expect(location?.region).toMatchObject({ startLine: 18, startColumn: 13 });
    const flow = result.codeFlows?.[0].threadFlows[0].locations ?? [];
    expect(flow.map((step) => step.location?.message?.text)).toEqual([
      "holds gs:w from here",
      "calls refreshServices_msw",
      "calls reloadManifests_msw",
      "calls ManagerServices.replace_msw",
      "takes ms:w",
    ]);
    expect(result.partialFingerprints?.[FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("cycles carry their other sites as related locations", () => {
    const results = toSarif(cycles).runs[0].results ?? [];
    const cycle = results.find((result) => result.ruleId === "cycle");
    expect(cycle?.relatedLocations?.[0]).toMatchObject({ id: 1, message: { text: "takes Cache.lock while holding SearchIndex.lock" } });
  });

  it("fingerprints survive code moving down the file", async () => {
    const dir = copyFixtures(["order-chain"]);
    const before = await analyze({ project: join(dir, "order-chain") });
    const gateway = join(dir, "order-chain/src/gateway.ts");
    writeFileSync(gateway, `// a new header comment\n\n${readFileSync(gateway, "utf8")}`);
    const after = await analyze({ project: join(dir, "order-chain") });
    expect(after.findings[0].location.line).toBe(before.findings[0].location.line + 2);
    expect(after.findings[0].fingerprint).toBe(before.findings[0].fingerprint);
  });
});

describe("json", () => {
  it("has the documented top-level shape", () => {
    const report = JSON.parse(formatJson(cycles, { toolVersion: "9.9.9" })) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(["version", "tool", "root", "projectFile", "configFile", "summary", "findings", "graph", "stats"]);
    expect(report.version).toBe(JSON_REPORT_VERSION);
    expect(report.tool).toEqual({ name: "lock-audit", version: "9.9.9" });
    expect(report.summary).toEqual({ errors: 3, warnings: 0, notes: 1, byRule: { "undeclared-lock": 1, cycle: 2, "no-recursion": 1 } });
    expect(report.findings).toEqual(JSON.parse(JSON.stringify(cycles.findings)));
    const finding = (report.findings as Record<string, unknown>[])[0];
    expect(Object.keys(finding).sort()).toEqual(["chain", "fingerprint", "function", "level", "location", "locks", "message", "related", "ruleId"]);
  });

  it("includes what --fix did when given", () => {
    const fixes = { renamed: [{ location: orderChain.findings[0].location, from: "a", to: "a_rsw", references: 3 }], skipped: [] };
    expect(JSON.parse(formatJson(orderChain, { fixes })).fixes).toEqual(fixes);
  });
});

describe("markdown", () => {
  it("tables the findings and folds the chains", () => {
    const text = formatMarkdown(cycles);
    expect(text.split("\n")[0]).toBe("### lock-audit: 3 errors, 1 note (undeclared-lock 1, cycle 2, no-recursion 1)");
    expect(text).toContain("| | Rule | Location | Finding |");
    expect(text.split("\n").filter((line) => line.startsWith("| ❌ "))).toHaveLength(3);
    expect(text.split("\n").filter((line) => line.startsWith("| ℹ️ "))).toHaveLength(1);
    expect(text).toContain("<details><summary>Call chains (3)</summary>");
  });

  it("escapes table syntax in messages", () => {
    const result = { ...orderChain, findings: [{ ...orderChain.findings[0], message: "a | b `c` <d>" }] };
    expect(formatMarkdown(result)).toContain("| a \\| b \\`c\\` \\<d\\> |");
  });

  it("says so when there is nothing", () => {
    expect(formatMarkdown({ ...orderChain, findings: [] }).split("\n")[0]).toBe("### lock-audit: no findings");
  });
});

describe("dot and mermaid", () => {
  it("dot: top to bottom, declared order, edges with first site and count, violations in red, undeclared locks dashed, a legend", () => {
    const dot = formatDot(orderChain);
    expect(dot).toMatch(/^digraph locks \{\n {2}rankdir=TB;/);
    expect(dot).toContain('"ms" -> "gs" [style=dotted, color=gray, arrowhead=open];');
    const violation = orderChain.graph.edges.find((edge) => edge.violation === "order")!;
    expect(violation.site.file).toBe("fixtures/audit/order-chain/src/gateway.ts");
    expect(dot).toContain(`"gs" -> "ms" [label="order violation\\n${violation.site.file}:${violation.site.line}\\n1 site", color="#c62828", fontcolor="#c62828", penwidth=2];`);
    expect(formatDot(cycles)).toContain('"Cache.lock" [label="Cache.lock\\n(undeclared)", style="rounded,dashed"];');
    const legend = dot.split("\n").find((line) => line.includes("legend_box"));
    for (const text of ["declared lock", "undeclared lock", "declared order", "first site, sites", "violation: order, no-recursion, cycle"]) expect(legend).toContain(text);
  });

  it("mermaid: one node per lock, styled violating links", () => {
    const mermaid = formatMermaid(cycles);
    const lines = mermaid.split("\n");
    expect(lines[0]).toBe("flowchart TB");
    expect(lines.filter((line) => /^ {2}L\d+[[(]/.test(line))).toHaveLength(cycles.graph.locks.length);
    const order = cycles.graph.order.length - 1;
    const violating = cycles.graph.edges.flatMap((edge, index) => (edge.violation ? [order + index] : []));
    expect(mermaid).toContain(`linkStyle ${violating.join(",")} stroke:#d00`);
    const edge = cycles.graph.edges[0];
    expect(mermaid).toContain(`-->|"${edge.violation ? `${edge.violation} violation<br/>` : ""}${edge.site.file}:${edge.site.line}<br/>${edge.sites} site`);
  });
});

/** Width and height in points from Graphviz's `<svg width="…pt" height="…pt"`. */
function svgSize(svg: string): { width: number; height: number } {
  const match = /<svg width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg);
  if (!match) throw new Error("no <svg width height> in the output");
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** A declared order of `count` locks, each nesting into the next two, and the last into the first (an order violation). */
function manyLocks(base: AnalysisResult, count: number): AnalysisResult {
  const ids = Array.from({ length: count }, (_, index) => `lock${index}`);
  const site = (line: number) => ({ file: "src/locks.ts", line, column: 3, endLine: line, endColumn: 9 });
  const graph: LockGraph = {
    locks: ids.map((key, rank) => ({ key, declared: true, rank, kind: "mutex", target: `Service${rank}.lock`, sites: 1, firstSite: site(10 * rank) })),
    order: ids,
    edges: [
      ...ids.flatMap((from, index) => ids.slice(index + 1, index + 3).map((to, step) => ({ from, to, sites: step + 1, site: site(10 * index + step) }))),
      { from: ids[count - 1], to: ids[0], sites: 1, site: site(999), violation: "order" as const },
    ],
  };
  return { ...base, graph };
}

describe("svg", () => {
  it("is a self-contained SVG of the dot graph: every lock, every edge's site, violations in red, a legend", async () => {
    const svg = await formatSvg(cycles);
    expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?>\n/);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).not.toContain("<!DOCTYPE");
    // Namespace names are the only URLs: nothing to fetch.
    expect(svg.replace(/xmlns(:xlink)?="[^"]*"/g, "")).not.toMatch(/https?:|href=|url\(/);
    for (const lock of cycles.graph.locks) expect(svg).toContain(`>${lock.key}</text>`);
    for (const edge of cycles.graph.edges) expect(svg).toContain(`>${edge.site.file}:${edge.site.line}</text>`);
    const edgeGroups = svg.split('<g id="edge').slice(1);
    const red = edgeGroups.filter((group) => group.includes('stroke="#c62828"'));
    expect(red).toHaveLength(cycles.graph.edges.filter((edge) => edge.violation).length);
    expect(svg).toContain(">legend</text>");
  });

  it("lays 20 locks out top to bottom, taller than wide, not a strip", async () => {
    const { width, height } = svgSize(await formatSvg(manyLocks(orderChain, 20)));
    expect(height).toBeGreaterThan(width);
    expect(width).toBeLessThan(1200);
  });
});

describe("html", () => {
  const gateway = "fixtures/audit/order-chain/src/gateway.ts";
  const sources = () => new Map([[gateway, readFileSync(join(REPO_ROOT, gateway), "utf8")]]);

  it("is one page: summary, a findings table with code frames and chains, the graph inline", async () => {
    const html = await formatHtml(orderChain, { sources: sources(), toolVersion: "9.9.9" });
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n/);
    expect(html).toContain("<h1>lock-audit: 1 error</h1>");
    expect(html).toMatch(/5 files · \d+ functions · 2 lock sites · \d+\.\d\d s · project <code>fixtures\/audit\/order-chain\/tsconfig\.json<\/code>/);
    expect(html).toContain("lock-audit 9.9.9");
    const rows = html.match(/<tr class="error">/g) ?? [];
    expect(rows).toHaveLength(orderChain.findings.length);
    expect(html).toContain('<td class="location"><code>fixtures/<wbr>audit/<wbr>order-chain/<wbr>src/<wbr>gateway.ts:18:13</code><br><span class="function">GatewayState.syncAll_msw_gsw</span></td>');
    expect(html).toContain('<span class="at">&gt; 18 |       await refreshServices_msw(); // expect: order</span>');
    const chain = /<ol class="chain">(.*?)<\/ol>/.exec(html)?.[1] ?? "";
    expect(chain.match(/<li>/g)).toHaveLength(orderChain.findings[0].chain.length);
    expect(chain).toContain("holds gs:w from here");
    const graph = /<figure class="graph">([\s\S]*)<\/figure>/.exec(html)?.[1] ?? "";
    expect(graph).toMatch(/^<!-- Generated by graphviz[\s\S]*<svg width="[\d.]+pt" height="[\d.]+pt"\n viewBox="[^"]+">[\s\S]*<\/svg>\n$/);
    expect(graph).toContain(">order violation</text>");
  });

  it("needs nothing outside itself: no script, no URL, and a policy that forbids every request", async () => {
    const html = await formatHtml(cycles, {});
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${HTML_CONTENT_SECURITY_POLICY.replace(/'/g, "&#39;")}">`);
    expect(HTML_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none';/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|https?:|@import/i);
    // No sources given: no frames, the table stays.
    expect(html).not.toContain('<pre class="frame">');
    expect(html.match(/<tr class="(error|warning|note)">/g)).toHaveLength(cycles.findings.length);
  });

  it("a clean result says so, and still draws the graph", async () => {
    const html = await formatHtml({ ...orderChain, findings: [] });
    expect(html).toContain("<h1>lock-audit: no findings</h1>");
    expect(html).toContain("<p>No findings.</p>");
    expect(html).not.toContain("<table>");
    expect(html).toContain("<svg ");
  });

  it("lists what --fix renamed", async () => {
    const fixes = { renamed: [{ location: orderChain.findings[0].location, from: "sync_gsw", to: "sync_msw_gsw", references: 3 }], skipped: [] };
    expect(await formatHtml(orderChain, { fixes })).toContain("<li>renamed <code>sync_gsw</code> → <code>sync_msw_gsw</code>");
  });
});

describe("text", () => {
  it("groups by file with a code frame, the chain, and a summary line", () => {
    const text = formatText(orderChain, { sources: new Map([["fixtures/audit/order-chain/src/gateway.ts", readFileSync(join(AUDIT_FIXTURES, "order-chain/src/gateway.ts"), "utf8")]]) });
    const lines = text.split("\n");
    expect(lines[0]).toBe("fixtures/audit/order-chain/src/gateway.ts");
    expect(lines[1]).toMatch(/^ {2}18:13 {2}error {2}order {2}Calling 'refreshServices_msw'/);
    expect(text).toContain("  > 18 |       await refreshServices_msw(); // expect: order");
    expect(text).toContain("    chain:\n      fixtures/audit/order-chain/src/gateway.ts:15:27  holds gs:w from here  (GatewayState.syncAll_msw_gsw)");
    expect(text).toMatch(/✖ 1 error \(order 1\) · 5 files, \d+ functions, 2 lock sites in \d+\.\d\ds\n/);
    expect(text).not.toContain("\u001b[");
  });

  it("colors only when asked", () => {
    expect(formatText(orderChain, { color: true })).toContain("\u001b[");
  });

  it("a clean result is the list of locks and one summary line", () => {
    const lines = formatText({ ...orderChain, findings: [] }).split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "locks: 2 (2 declared, 0 undeclared)",
      "  ms  ManagerServices.inner  rwlock  1 site  first fixtures/audit/order-chain/src/manager.ts:9",
      "  gs  GatewayState.inner     rwlock  1 site  first fixtures/audit/order-chain/src/gateway.ts:15",
    ]);
    expect(lines[4]).toMatch(/^✔ no findings · 5 files/);
    expect(formatText({ ...orderChain, findings: [] }, { locks: false }).split("\n")[0]).toMatch(/^✔ no findings · 5 files/);
  });
});
