/**
 * The report formats by name: each a pure function from an analysis result to text, or to a promise
 * of it where the format draws the graph (Graphviz in WebAssembly starts asynchronously).
 */
import type { AnalysisResult, FixReport } from "../types.js";
import { formatDot } from "./dot.js";
import { formatHtml } from "./html.js";
import { formatJson } from "./json.js";
import { formatMarkdown } from "./markdown.js";
import { formatMermaid } from "./mermaid.js";
import { formatSarif } from "./sarif.js";
import { formatSvg } from "./svg.js";
import { formatText } from "./text.js";

export const FORMATS = ["text", "json", "sarif", "markdown", "dot", "mermaid", "svg", "html"] as const;
export type Format = (typeof FORMATS)[number];

export interface ReportOptions {
  color?: boolean;
  sources?: ReadonlyMap<string, string>;
  fixes?: FixReport;
  /** Text: list the locks found (default true). */
  locks?: boolean;
}

export type Reporter = (result: AnalysisResult, options: ReportOptions) => string | Promise<string>;

export const REPORTERS: Record<Format, Reporter> = {
  text: formatText,
  json: formatJson,
  sarif: (result) => formatSarif(result),
  markdown: formatMarkdown,
  dot: (result) => formatDot(result),
  mermaid: (result) => formatMermaid(result),
  svg: (result) => formatSvg(result),
  html: formatHtml,
};

export { formatDot, formatHtml, formatJson, formatMarkdown, formatMermaid, formatSarif, formatSvg, formatText };
export { toSarif } from "./sarif.js";
