/** Tallies shared by the reporters' summary lines. */
import type { AnalysisStats, Finding, Level, RuleId } from "../types.js";

export interface FindingCounts {
  byLevel: Record<Level, number>;
  /** Rule id → count, in first-seen order of the catalog. */
  byRule: Partial<Record<RuleId, number>>;
}

/** Suppressed findings are not counted: they are reported (SARIF marks them dismissed) but accepted. */
export function countFindings(findings: readonly Finding[]): FindingCounts {
  const byLevel: Record<Level, number> = { error: 0, warning: 0, note: 0 };
  const byRule: Partial<Record<RuleId, number>> = {};
  for (const finding of findings) {
    if (finding.suppressed) continue;
    byLevel[finding.level] += 1;
    byRule[finding.ruleId] = (byRule[finding.ruleId] ?? 0) + 1;
  }
  return { byLevel, byRule };
}

/** "2 suppressed", "5 baselined": findings the report leaves out because they were accepted. */
export function acceptedSummary(stats: Pick<AnalysisStats, "suppressedFindings" | "baselinedFindings">): string[] {
  return [
    ...(stats.suppressedFindings > 0 ? [`${stats.suppressedFindings} suppressed`] : []),
    ...(stats.baselinedFindings > 0 ? [`${stats.baselinedFindings} baselined`] : []),
  ];
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** "3 errors, 1 note" (levels with no findings are left out). */
export function levelSummary(counts: FindingCounts): string {
  const parts = (["error", "warning", "note"] as const).filter((level) => counts.byLevel[level] > 0).map((level) => plural(counts.byLevel[level], level));
  return parts.join(", ");
}

/** "order 1, suffix 2" */
export function ruleSummary(counts: FindingCounts): string {
  return Object.entries(counts.byRule)
    .map(([rule, count]) => `${rule} ${count}`)
    .join(", ");
}
