/**
 * Escaping for every format a report is published in (CI artifacts, PR comments): names, paths,
 * messages and key texts come from the analyzed code and may hold markup (`"<img src=x …>"` as a
 * lock key, `a<b|c\`.ts` as a file name), so each format gets text that stays text.
 */

/** Text and attribute values of HTML and SVG (XML): the five characters that can start or end markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]!);
}

const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * A DOT double-quoted ID (node names): backslashes and quotes escaped, line breaks as `\n`. Graphviz
 * reads no markup in a quoted ID, so `<` stays as it is.
 */
export function dotId(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r\n?|\n/g, "\\n")}"`;
}

/**
 * A DOT label of several lines, each shown as written: as in `dotId`, and `&` as `&amp;`, because
 * Graphviz reads entities in labels (`&lt;` would show as `<`); its SVG output escapes `<` itself.
 */
export function dotLabel(lines: readonly string[]): string {
  return `"${lines.map((line) => dotId(line.replace(/&/g, "&amp;")).slice(1, -1)).join("\\n")}"`;
}

/**
 * Text inside a quoted Mermaid label (`["…"]`, `|"…"|`): Mermaid's entity codes (`#quot;`, `#60;`)
 * for every character that could end the label, start markup or an entity, or a markdown string.
 */
export function mermaidText(text: string): string {
  return text.replace(/\r\n?|\n/g, " ").replace(/[#"&<>|`[\]{}()\\]/g, (char) => `#${char.charCodeAt(0)};`);
}

/**
 * Text safe inside a GitHub markdown table cell and outside code spans: backslash escapes for every
 * character that is table or inline syntax, `&` as an entity, line breaks as spaces (a line break
 * would end the row).
 */
export function markdownCell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/([`*_<>[\]~])/g, "\\$1")
    .replace(/&/g, "&amp;")
    .replace(/\r\n?|\n/g, " ");
}

/**
 * Monospace text in a markdown table cell or list. A code span cannot hold an escaped `|` next to a
 * backslash or a line break, so this is inline `<code>` (which GitHub allows) around `markdownCell` text.
 */
export function markdownCode(text: string): string {
  return `<code>${markdownCell(text)}</code>`;
}
