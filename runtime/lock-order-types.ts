/**
 * `lockOrderDeclaration(order)`: the text of a `lock-order.d.json.ts` for a lock-order.json. A JSON
 * import widens every string to `string`; with this file next to the JSON (and `allowArbitraryExtensions`
 * in tsconfig.json) TypeScript types the import with its literal ids and kinds instead, so
 * `locks.mutex("typo")` and `locks.mutex("rs")` (an rwlock id) are errors in the editor. lock-order.json
 * stays the one source of truth; `write-lock-order-types.js --check` tells CI when the file is stale.
 */
import { buildPolicy } from "../core/policy.js";

/** A JSON value written as a TypeScript type: strings and numbers as literals, arrays as readonly tuples. */
function typeOf(value: unknown, indent: string): string {
  if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") {
    return JSON.stringify(value);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "readonly []";
    return `readonly [\n${value.map((item) => `${inner}${typeOf(item, inner)},\n`).join("")}${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([key, item]) => `${inner}readonly ${JSON.stringify(key)}: ${typeOf(item, inner)};\n`).join("")}${indent}}`;
}

/**
 * The declaration file for `order` (the parsed lock-order.json), validated first: an invalid order throws
 * `LockOrderConfigError` as `defineLockOrder` would. `source` names the JSON file in the header comment.
 */
export function lockOrderDeclaration(order: unknown, source = "lock-order.json"): string {
  buildPolicy(order, source);
  // A JSON import's default is the module object itself, so each top-level key is a named export.
  const keys = Object.entries(order as Record<string, unknown>).filter(([key]) => /^[A-Za-z_$][\w$]*$/.test(key));
  return (
    `// Generated from ${source} by lock-discipline (write-lock-order-types.js): the literal types of the\n` +
    `// JSON import, so locks.mutex(id) and locks.rwlock(id) accept only declared ids. Regenerate it when\n` +
    `// ${source} changes; needs "allowArbitraryExtensions": true in tsconfig.json.\n` +
    keys.map(([key, value]) => `export declare const ${key}: ${typeOf(value, "")};\n`).join("")
  );
}
