/**
 * `--format svg`: the `dot` graph laid out and drawn by Graphviz compiled to WebAssembly
 * (`@viz-js/viz`), so no system Graphviz is needed. The SVG is self-contained: it names no DTD,
 * font file, image or link. Graphviz escapes label text for XML itself; the DOT is escaped (dot.ts).
 */
import type { Viz } from "@viz-js/viz";
import type { AnalysisResult } from "../types.js";
import { formatDot } from "./dot.js";

let loading: Promise<Viz> | undefined;

/** Loaded on first use, once per process: the module is 1 MB of WebAssembly that other formats must not pay for. */
function graphviz(): Promise<Viz> {
  loading ??= import("@viz-js/viz").then((viz) => viz.instance());
  return loading;
}

/**
 * The lock graph as SVG. `inline`: an `<svg>` element for an HTML page (no XML declaration, no
 * namespace attributes, which HTML does not need); otherwise an SVG file.
 */
export async function renderGraphSvg(result: AnalysisResult, { inline = false }: { inline?: boolean } = {}): Promise<string> {
  const viz = await graphviz();
  const svg = viz.renderString(formatDot(result), { format: inline ? "svg_inline" : "svg" });
  // Graphviz's DOCTYPE points at the SVG 1.1 DTD on w3.org, which a validating reader would fetch.
  return inline ? svg : svg.replace(/<!DOCTYPE[^>]*>\s*/, "");
}

export function formatSvg(result: AnalysisResult): Promise<string> {
  return renderGraphSvg(result);
}
