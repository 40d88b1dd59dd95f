/**
 * The human report: findings grouped by file, each with a code frame and its call chain indented
 * under it, then the locks found (declared and not), then one summary line (findings by rule;
 * files, functions and lock sites; seconds).
 */
import { codeFrameColumns } from "@babel/code-frame";
import { createColors } from "picocolors";
import type { AnalysisResult, Finding, FixReport, Level } from "../types.js";
import { TOOL_NAME } from "../rule-catalog.js";
import { acceptedSummary, countFindings, levelSummary, plural, ruleSummary } from "./counts.js";

export interface TextReportOptions {
  /** ANSI colors (the CLI enables them for a terminal). Default: off. */
  color?: boolean;
  /** File contents by finding path, for code frames; files not given get no frame. */
  sources?: ReadonlyMap<string, string>;
  /** List the locks found before the summary (default). `--quiet` leaves the list out. */
  locks?: boolean;
  /** What `--fix` renamed before this (re-)analysis. */
  fixes?: FixReport;
}

export function formatText(result: AnalysisResult, options: TextReportOptions = {}): string {
  const colors = createColors(options.color ?? false);
  const levelColor: Record<Level, (text: string) => string> = { error: colors.red, warning: colors.yellow, note: colors.cyan };
  const lines: string[] = [];
  if (options.fixes) {
    for (const rename of options.fixes.renamed) {
      lines.push(`${colors.green(options.fixes.dryRun ? "would rename" : "renamed")} ${rename.from} → ${rename.to}  ${colors.dim(`${rename.location.file}:${rename.location.line} (${plural(rename.references, "reference")})`)}`);
    }
    for (const skip of options.fixes.skipped) {
      lines.push(`${colors.yellow("not renamed")} ${skip.from} → ${skip.to}: ${skip.reason}  ${colors.dim(`${skip.location.file}:${skip.location.line}`)}`);
    }
    if (options.fixes.renamed.length || options.fixes.skipped.length) lines.push("");
  }
  const byFile = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    if (finding.suppressed) continue;
    const list = byFile.get(finding.location.file) ?? [];
    list.push(finding);
    byFile.set(finding.location.file, list);
  }
  for (const [file, findings] of byFile) {
    lines.push(colors.underline(file));
    for (const finding of findings) {
      const { line, column } = finding.location;
      lines.push(`  ${colors.dim(`${line}:${column}`)}  ${levelColor[finding.level](finding.level)}  ${colors.bold(finding.ruleId)}  ${finding.message}`);
      const source = options.sources?.get(file);
      if (source !== undefined) {
        const frame = codeFrameColumns(source, { start: { line, column } }, { highlightCode: options.color ?? false, linesAbove: 1, linesBelow: 1 });
        for (const frameLine of frame.split("\n")) lines.push(`    ${frameLine}`);
      }
      if (finding.chain.length > 0) {
        lines.push(`    ${colors.dim(finding.ruleId === "cycle" ? "cycle:" : "chain:")}`);
        for (const step of finding.chain) {
          const where = `${step.location.file}:${step.location.line}:${step.location.column}`;
          lines.push(`      ${colors.dim(where)}  ${step.message}${step.function ? colors.dim(`  (${step.function})`) : ""}`);
        }
      }
    }
    lines.push("");
  }
  if (options.locks ?? true) lines.push(...lockList(result, colors));
  const counts = countFindings(result.findings);
  const { stats } = result;
  const scope = `${plural(stats.files, "file")}, ${plural(stats.functions, "function")}, ${plural(stats.lockSites, "lock site")} in ${(stats.durationMs / 1000).toFixed(2)}s`;
  const accepted = acceptedSummary(stats);
  const acceptedText = accepted.length > 0 ? ` · ${accepted.join(", ")}` : "";
  if (Object.keys(counts.byRule).length === 0) {
    lines.push(`${colors.green("✔")} no findings${acceptedText} · ${scope}`);
  } else {
    const mark = counts.byLevel.error > 0 ? colors.red("✖") : colors.yellow("!");
    lines.push(`${mark} ${levelSummary(counts)} (${ruleSummary(counts)})${acceptedText} · ${scope}`);
  }
  if (stats.unanalyzableFunctions > 0) {
    lines.push(colors.dim(`  ${plural(stats.unanalyzableFunctions, "function")} could not be analyzed and count as taking no lock (see the unanalyzable notes)`));
  }
  if (stats.unresolvedCalls > 0) lines.push(colors.dim(`  ${plural(stats.unresolvedCalls, "call")} of ${stats.calls} could not be resolved to a function (function values, dynamic access, \`any\`)`));
  if (result.configFile === null) {
    lines.push(
      `  no lock-order.json: nothing is declared, so only re-entry and cycles among the locks found are checked. Create one from what was observed with \`${TOOL_NAME} init --write\`, then \`${TOOL_NAME} --fix --dry-run\` shows the renames to the suffix convention (see docs/lock-order.md)`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Every lock found (and every declared one), one line each: id or class, kind, sites, first site. */
function lockList(result: AnalysisResult, colors: ReturnType<typeof createColors>): string[] {
  const locks = result.graph.locks;
  if (locks.length === 0) return [];
  const declared = locks.filter((lock) => lock.declared).length;
  const rows = locks.map((lock) => [
    lock.key,
    lock.declared ? lock.target : "(undeclared)",
    lock.kind ?? "",
    plural(lock.sites, "site"),
    lock.firstSite ? `first ${lock.firstSite.file}:${lock.firstSite.line}` : "never acquired",
  ]);
  const last = rows[0].length - 1;
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return [
    colors.underline(`locks: ${locks.length} (${declared} declared, ${locks.length - declared} undeclared)`),
    ...rows.map((row) => `  ${row.map((cell, column) => (column < last ? cell.padEnd(widths[column]) : colors.dim(cell))).join("  ")}`),
    "",
  ];
}
