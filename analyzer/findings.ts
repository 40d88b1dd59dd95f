/** Final shaping of findings: one per site per rule, a stable order, stable fingerprints. */
import { createHash } from "node:crypto";
import type { DraftFinding } from "./checks.js";
import { compareSpans } from "./locations.js";
import type { Finding } from "./types.js";

export function finalizeFindings(drafts: readonly DraftFinding[]): Finding[] {
  const bySite = new Map<string, DraftFinding>();
  for (const draft of drafts) {
    const key = `${draft.ruleId}\u0000${draft.location.file}\u0000${draft.location.line}\u0000${draft.location.column}`;
    if (!bySite.has(key)) bySite.set(key, draft);
  }
  const sorted = [...bySite.values()].sort((a, b) => compareSpans(a.location, b.location) || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  // The fingerprint leaves out line numbers so a finding keeps its identity when code above it moves;
  // identical findings in one function are told apart by their rank.
  const seen = new Map<string, number>();
  return sorted.map(({ detail, violatedEdges: _edges, ...finding }) => {
    const identity = [finding.ruleId, finding.location.file, finding.function ?? "", detail].join("\u0000");
    const occurrence = (seen.get(identity) ?? 0) + 1;
    seen.set(identity, occurrence);
    const fingerprint = createHash("sha256").update(`${identity}\u0000${occurrence}`).digest("hex").slice(0, 32);
    return { ...finding, fingerprint };
  });
}
