/**
 * `--format mermaid`: the same lock graph as `dot`, as a Mermaid flowchart (renders in GitHub
 * markdown), top to bottom, each edge labeled with its first site and site count. Labels are
 * escaped with Mermaid's entity codes (escape.ts); node ids are generated (`L0`, `L1`, …).
 */
import type { AnalysisResult, LockEdge, LockNode } from "../types.js";
import { plural } from "./counts.js";
import { mermaidText } from "./escape.js";

function lines(parts: readonly string[]): string {
  return parts.map(mermaidText).join("<br/>");
}

function label(lock: LockNode): string {
  return lines(lock.declared ? [lock.key, lock.target] : [lock.key, "(undeclared)"]);
}

function edgeLabel(edge: LockEdge): string {
  const parts = [`${edge.site.file}:${edge.site.line}`, plural(edge.sites, "site")];
  return lines(edge.violation ? [`${edge.violation} violation`, ...parts] : parts);
}

export function formatMermaid(result: AnalysisResult): string {
  const { graph } = result;
  const ids = new Map(graph.locks.map((lock, index) => [lock.key, `L${index}`]));
  const output = ["flowchart TB"];
  for (const lock of graph.locks) {
    const id = ids.get(lock.key)!;
    output.push(lock.declared ? `  ${id}["${label(lock)}"]` : `  ${id}(["${label(lock)}"])`);
  }
  // Mermaid styles links by their position in the file, so count every link written.
  let link = 0;
  const violating: number[] = [];
  const orderLinks: number[] = [];
  for (let i = 1; i < graph.order.length; i += 1) {
    output.push(`  ${ids.get(graph.order[i - 1])} -.-> ${ids.get(graph.order[i])}`);
    orderLinks.push(link++);
  }
  for (const edge of graph.edges) {
    output.push(`  ${ids.get(edge.from)} -->|"${edgeLabel(edge)}"| ${ids.get(edge.to)}`);
    if (edge.violation) violating.push(link);
    link += 1;
  }
  if (orderLinks.length > 0) output.push(`  linkStyle ${orderLinks.join(",")} stroke:#999`);
  if (violating.length > 0) output.push(`  linkStyle ${violating.join(",")} stroke:#d00,stroke-width:2px,color:#d00`);
  for (const lock of graph.locks.filter((entry) => !entry.declared)) output.push(`  style ${ids.get(lock.key)} stroke-dasharray: 4 2`);
  return `${output.join("\n")}\n`;
}
