/** `--format markdown`: a pull-request comment — a table of findings, call chains folded underneath. */
import { TOOL_NAME } from "../rule-catalog.js";
import type { AnalysisResult, FixReport, Level } from "../types.js";
import { acceptedSummary, countFindings, levelSummary, plural, ruleSummary } from "./counts.js";
import { markdownCell as cell, markdownCode as code } from "./escape.js";

export interface MarkdownReportOptions {
  fixes?: FixReport;
}

const LEVEL_MARK: Record<Level, string> = { error: "❌", warning: "⚠️", note: "ℹ️" };

export function formatMarkdown(result: AnalysisResult, options: MarkdownReportOptions = {}): string {
  const counts = countFindings(result.findings);
  const { stats } = result;
  const lines: string[] = [];
  lines.push(result.findings.length === 0 ? `### ${TOOL_NAME}: no findings` : `### ${TOOL_NAME}: ${levelSummary(counts)} (${ruleSummary(counts)})`);
  lines.push("");
  if (options.fixes && (options.fixes.renamed.length > 0 || options.fixes.skipped.length > 0)) {
    for (const rename of options.fixes.renamed) lines.push(`- ${options.fixes.dryRun ? "would rename" : "renamed"} ${code(rename.from)} → ${code(rename.to)} (${code(`${rename.location.file}:${rename.location.line}`)})`);
    for (const skip of options.fixes.skipped) lines.push(`- not renamed ${code(skip.from)} → ${code(skip.to)}: ${cell(skip.reason)}`);
    lines.push("");
  }
  // Suppressed findings are accepted in code: the count says they exist, the table leaves them out.
  const shown = result.findings.filter((finding) => !finding.suppressed);
  if (shown.length > 0) {
    lines.push("| | Rule | Location | Finding |", "|---|---|---|---|");
    for (const finding of shown) {
      lines.push(`| ${LEVEL_MARK[finding.level]} | ${code(finding.ruleId)} | ${code(`${finding.location.file}:${finding.location.line}`)} | ${cell(finding.message)} |`);
    }
    lines.push("");
    const withChains = shown.filter((finding) => finding.chain.length > 0);
    if (withChains.length > 0) {
      lines.push(`<details><summary>Call chains (${withChains.length})</summary>`, "");
      for (const finding of withChains) {
        lines.push(`**${code(finding.ruleId)}** at ${code(`${finding.location.file}:${finding.location.line}`)}`, "");
        finding.chain.forEach((step, index) => {
          const where = code(`${step.location.file}:${step.location.line}`);
          lines.push(`${index + 1}. ${where} ${cell(step.message)}${step.function ? ` — ${code(step.function)}` : ""}`);
        });
        lines.push("");
      }
      lines.push("</details>", "");
    }
  }
  lines.push(
    `<sub>${[plural(stats.files, "file"), plural(stats.functions, "function"), plural(stats.lockSites, "lock site"), ...acceptedSummary(stats), `${(stats.durationMs / 1000).toFixed(2)} s`].join(" · ")}</sub>`,
  );
  return `${lines.join("\n")}\n`;
}
