/** The report formats by name: each a pure function from an analysis result to text. */
import type { AnalysisResult, FixReport } from "../types.js";
import { formatDot } from "./dot.js";
import { formatJson } from "./json.js";
import { formatMarkdown } from "./markdown.js";
import { formatMermaid } from "./mermaid.js";
import { formatSarif } from "./sarif.js";
import { formatText } from "./text.js";

export const FORMATS = ["text", "json", "sarif", "markdown", "dot", "mermaid"] as const;
export type Format = (typeof FORMATS)[number];

export interface ReportOptions {
  color?: boolean;
  sources?: ReadonlyMap<string, string>;
  fixes?: FixReport;
  /** Text: list the locks found (default true). */
  locks?: boolean;
}

export const REPORTERS: Record<Format, (result: AnalysisResult, options: ReportOptions) => string> = {
  text: formatText,
  json: formatJson,
  sarif: (result) => formatSarif(result),
  markdown: formatMarkdown,
  dot: (result) => formatDot(result),
  mermaid: (result) => formatMermaid(result),
};

export { formatDot, formatJson, formatMarkdown, formatMermaid, formatSarif, formatText };
export { toSarif } from "./sarif.js";
