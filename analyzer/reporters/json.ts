/**
 * `--format json`: a stable, documented shape (docs/cli.md, "JSON output"). Fields are added, never
 * renamed or removed, without a new `version`.
 */
import { TOOL_NAME } from "../rule-catalog.js";
import type { AnalysisResult, FixReport } from "../types.js";
import { TOOL_VERSION } from "../version.js";
import { countFindings } from "./counts.js";

export const JSON_REPORT_VERSION = 1;

export interface JsonReportOptions {
  fixes?: FixReport;
  toolVersion?: string;
}

export function formatJson(result: AnalysisResult, options: JsonReportOptions = {}): string {
  const counts = countFindings(result.findings);
  const report = {
    version: JSON_REPORT_VERSION,
    tool: { name: TOOL_NAME, version: options.toolVersion ?? TOOL_VERSION },
    root: result.root,
    projectFile: result.projectFile,
    configFile: result.configFile,
    summary: { errors: counts.byLevel.error, warnings: counts.byLevel.warning, notes: counts.byLevel.note, byRule: counts.byRule },
    findings: result.findings,
    graph: result.graph,
    stats: result.stats,
    ...(options.fixes ? { fixes: options.fixes } : {}),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
