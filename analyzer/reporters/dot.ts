/**
 * `--format dot`: the lock graph for Graphviz. Declared locks in declared order (dotted edges show
 * the order), undeclared locks dashed, observed nesting edges labeled with their site count, and
 * violating edges (order, re-take, cycle) in red.
 */
import type { AnalysisResult, LockNode } from "../types.js";
import { plural } from "./counts.js";

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function nodeLabel(lock: LockNode): string {
  return lock.declared ? `${lock.key}\\n${lock.target} (${lock.kind})` : `${lock.key}\\n(undeclared)`;
}

export function formatDot(result: AnalysisResult): string {
  const { graph } = result;
  const lines = ["digraph locks {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const declared = graph.locks.filter((lock) => lock.declared);
  if (declared.length > 0) {
    lines.push("  subgraph cluster_declared {", '    label="declared order";', "    style=rounded;");
    for (const lock of declared) lines.push(`    ${quote(lock.key)} [label="${nodeLabel(lock).replace(/"/g, '\\"')}"];`);
    lines.push("  }");
  }
  for (const lock of graph.locks.filter((entry) => !entry.declared)) {
    lines.push(`  ${quote(lock.key)} [label="${nodeLabel(lock).replace(/"/g, '\\"')}", style=dashed];`);
  }
  for (let i = 1; i < graph.order.length; i += 1) {
    lines.push(`  ${quote(graph.order[i - 1])} -> ${quote(graph.order[i])} [style=dotted, color=gray, arrowhead=open];`);
  }
  for (const edge of graph.edges) {
    const label = `${edge.violation ? `${edge.violation}: ` : ""}${plural(edge.sites, "site")}`;
    const style = edge.violation ? ", color=red, fontcolor=red, penwidth=2" : "";
    lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [label=${quote(label)}${style}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
