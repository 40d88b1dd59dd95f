/**
 * The pure parts of bench/real-code.js: lock-order.json from a data file's order, its inversion,
 * matching found lock names and reported sites against the data file, counting findings.
 * No file system, no process: bench/real-code.js does those; test/scripts/real-code.test.ts tests these.
 */

/** The lock-order.json for `order` (lock names, first taken first) with ids and kinds from `locks`. */
export function lockOrderFile(locks, order) {
  const byName = new Map(locks.map((lock) => [lock.name, lock]));
  return {
    locks: order.map((name) => {
      const lock = byName.get(name);
      if (!lock) throw new Error(`order names ${name}, which is not among the package's locks`);
      return { id: lock.id, target: name, kind: lock.kind };
    }),
  };
}

/** The same locks in the reverse order: every real nesting of the true order violates it. */
export function invertOrder(order) {
  return [...order].reverse();
}

/** Lock names compare as lock-audit prints them; `Class.#member` and `Class.member` are different names. */
export function matchLocks(expected, found) {
  const foundSet = new Set(found);
  const expectedSet = new Set(expected);
  return {
    found: expected.filter((name) => foundSet.has(name)),
    missed: expected.filter((name) => !foundSet.has(name)),
    extra: found.filter((name) => !expectedSet.has(name)),
  };
}

/** "src/a.ts:12" for a JSON report location (paths relative to the package copy). */
export function siteOf(location) {
  return `${location.file}:${location.line}`;
}

/**
 * The nesting sites (`file:line`) that some `order` finding reports: at its location or at any step
 * of its chain (the call that enters a locked callee may be reported where the held lock's region is).
 */
export function matchNestingSites(sites, findings) {
  const reported = new Set();
  for (const finding of findings) {
    if (finding.ruleId !== "order") continue;
    reported.add(siteOf(finding.location));
    for (const step of finding.chain ?? []) reported.add(siteOf(step.location));
  }
  return { reported: sites.filter((site) => reported.has(site)), missed: sites.filter((site) => !reported.has(site)) };
}

const ERROR_RULES = new Set(["order", "no-recursion", "cycle"]);

/** Error findings split into false findings (order, no-recursion, cycle) and suffix findings. */
export function countFindings(findings) {
  const errors = findings.filter((finding) => finding.level === "error" && !finding.suppressed);
  return {
    falseFindings: errors.filter((finding) => ERROR_RULES.has(finding.ruleId)),
    suffix: errors.filter((finding) => finding.ruleId === "suffix").length,
    other: errors.filter((finding) => !ERROR_RULES.has(finding.ruleId) && finding.ruleId !== "suffix").length,
  };
}

/** ESLint's JSON output → { rule: count }. */
export function eslintByRule(results) {
  const byRule = {};
  for (const file of results) {
    for (const message of file.messages) {
      // Without a rule: a parse error, or an eslint-disable comment that noInlineConfig ignores.
      const rule = message.ruleId ?? (message.fatal ? "parse-error" : "inline-config-ignored");
      byRule[rule] = (byRule[rule] ?? 0) + 1;
    }
  }
  return byRule;
}

/** The minimal tsconfig used when the package's own one extends a base that does not resolve. */
export const MINIMAL_TSCONFIG = {
  compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: false, skipLibCheck: true, noEmit: true },
  include: ["src"],
};

/** A table: rows of cells, columns padded. */
export function table(header, rows) {
  const widths = header.map((cell, i) => Math.max(String(cell).length, ...rows.map((row) => String(row[i]).length)));
  const line = (row) => row.map((cell, i) => String(cell).padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
