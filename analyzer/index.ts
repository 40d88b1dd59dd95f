/**
 * `lock-discipline/analyzer`: whole-program lock analysis.
 *
 *   const result = await analyze({ project: "tsconfig.json" }); // { findings, graph, stats, … }
 *   process.stdout.write(formatText(result));
 */
export { analyze, type AnalysisProgress, type AnalyzeOptions } from "./analyze.js";
export { runCli, EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, type CliIo } from "./command.js";
export { AuditError } from "./errors.js";
export { fixSuffixes } from "./fix.js";
export { RULES, RULES_BY_ID, TOOL_NAME, type RuleDescription } from "./rule-catalog.js";
export { FORMATS, REPORTERS, formatDot, formatHtml, formatJson, formatMarkdown, formatMermaid, formatSarif, formatSvg, formatText, toSarif, type Format, type Reporter, type ReportOptions } from "./reporters/index.js";
export { JSON_REPORT_VERSION } from "./reporters/json.js";
export type * from "./types.js";
export { TOOL_VERSION } from "./version.js";
