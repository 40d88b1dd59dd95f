/** `--format mermaid`: the same lock graph as `dot`, as a Mermaid flowchart (renders in GitHub markdown). */
import type { AnalysisResult, LockNode } from "../types.js";
import { plural } from "./counts.js";

function label(lock: LockNode): string {
  const text = lock.declared ? `${lock.key}<br/>${lock.target}` : `${lock.key}<br/>(undeclared)`;
  return text.replace(/"/g, "#quot;");
}

export function formatMermaid(result: AnalysisResult): string {
  const { graph } = result;
  const ids = new Map(graph.locks.map((lock, index) => [lock.key, `L${index}`]));
  const lines = ["flowchart LR"];
  for (const lock of graph.locks) {
    const id = ids.get(lock.key)!;
    lines.push(lock.declared ? `  ${id}["${label(lock)}"]` : `  ${id}(["${label(lock)}"])`);
  }
  // Mermaid styles links by their position in the file, so count every link written.
  let link = 0;
  const violating: number[] = [];
  const orderLinks: number[] = [];
  for (let i = 1; i < graph.order.length; i += 1) {
    lines.push(`  ${ids.get(graph.order[i - 1])} -.-> ${ids.get(graph.order[i])}`);
    orderLinks.push(link++);
  }
  for (const edge of graph.edges) {
    const text = `${edge.violation ? `${edge.violation}: ` : ""}${plural(edge.sites, "site")}`;
    lines.push(`  ${ids.get(edge.from)} -->|"${text}"| ${ids.get(edge.to)}`);
    if (edge.violation) violating.push(link);
    link += 1;
  }
  if (orderLinks.length > 0) lines.push(`  linkStyle ${orderLinks.join(",")} stroke:#999`);
  if (violating.length > 0) lines.push(`  linkStyle ${violating.join(",")} stroke:#d00,stroke-width:2px,color:#d00`);
  for (const lock of graph.locks.filter((entry) => !entry.declared)) lines.push(`  style ${ids.get(lock.key)} stroke-dasharray: 4 2`);
  return `${lines.join("\n")}\n`;
}
