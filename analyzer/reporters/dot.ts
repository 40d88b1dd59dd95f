/**
 * `--format dot`: the lock graph for Graphviz (and the source of `--format svg`). Top to bottom, so
 * 10–20 locks make a column rather than a wide strip: declared locks in declared order (dotted gray
 * edges show the order), undeclared locks dashed, each observed nesting edge labeled with its first
 * site (`file:line`) and its site count, violating edges (order, re-take, cycle) in red with the
 * violation, and a legend. Every name and path is escaped (escape.ts), so any text stays a label.
 */
import type { AnalysisResult, LockEdge, LockNode } from "../types.js";
import { plural } from "./counts.js";
import { dotId, dotLabel, escapeHtml } from "./escape.js";

const VIOLATION_COLOR = "#c62828";

function nodeLines(lock: LockNode): string[] {
  return lock.declared ? [lock.key, `${lock.target} (${lock.kind})`] : [lock.key, "(undeclared)"];
}

function edgeLines(edge: LockEdge): string[] {
  const lines = [`${edge.site.file}:${edge.site.line}`, plural(edge.sites, "site")];
  return edge.violation ? [`${edge.violation} violation`, ...lines] : lines;
}

/**
 * One node with a table (a Graphviz HTML-like label): a box per lock style, an arrow per edge style.
 * One node keeps the legend compact; drawn edges would take ranks as tall as the graph's own. Its id
 * cannot clash with a lock: declared ids have no `_`, undeclared keys hold `.` or `#`.
 */
function legend(): string {
  const row = (sample: string, text: string) => `<TR><TD ${sample}</TD><TD ALIGN="LEFT">${escapeHtml(text)}</TD></TR>`;
  const arrow = (color: string, line: string) => `ALIGN="CENTER"><FONT COLOR="${color}">${line}</FONT>`;
  const rows = [
    '<TR><TD COLSPAN="2"><B>legend</B></TD></TR>',
    row('BORDER="1" STYLE="rounded">id', "declared lock: target (kind)"),
    row('BORDER="1" STYLE="dashed">key', "undeclared lock"),
    row(arrow("gray", "· · · ▸"), "declared order"),
    row(arrow("black", "───▶"), "held → taken: first site, sites"),
    row(arrow(VIOLATION_COLOR, "<B>━━━▶</B>"), "violation: order, no-recursion, cycle"),
  ];
  return `  legend_box [shape=plaintext, fontsize=9, label=<<TABLE BORDER="1" COLOR="gray" STYLE="rounded" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2">${rows.join("")}</TABLE>>];`;
}

export function formatDot(result: AnalysisResult): string {
  const { graph } = result;
  const lines = [
    "digraph locks {",
    "  rankdir=TB;",
    '  graph [fontname="Helvetica", nodesep=0.5, ranksep=0.4];',
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const declared = graph.locks.filter((lock) => lock.declared);
  if (declared.length > 0) {
    lines.push("  subgraph cluster_declared {", '    label="declared order"; style=rounded; color=gray;');
    for (const lock of declared) lines.push(`    ${dotId(lock.key)} [label=${dotLabel(nodeLines(lock))}];`);
    lines.push("  }");
  }
  for (const lock of graph.locks.filter((entry) => !entry.declared)) {
    lines.push(`  ${dotId(lock.key)} [label=${dotLabel(nodeLines(lock))}, style="rounded,dashed"];`);
  }
  for (let i = 1; i < graph.order.length; i += 1) {
    lines.push(`  ${dotId(graph.order[i - 1])} -> ${dotId(graph.order[i])} [style=dotted, color=gray, arrowhead=open];`);
  }
  for (const edge of graph.edges) {
    const style = edge.violation ? `, color="${VIOLATION_COLOR}", fontcolor="${VIOLATION_COLOR}", penwidth=2` : "";
    lines.push(`  ${dotId(edge.from)} -> ${dotId(edge.to)} [label=${dotLabel(edgeLines(edge))}${style}];`);
  }
  lines.push(legend(), "}");
  return `${lines.join("\n")}\n`;
}
