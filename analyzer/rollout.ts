/**
 * Switching lock-audit on in a code base that is not clean yet: per-rule severity (lock-order.json's
 * `lockAudit.rules`, then `--rule id=level`), suppressions in code
 * (`// lock-audit-ignore-next-line order -- why`), and a baseline of accepted findings matched by
 * their stable fingerprints. Pure functions over findings; `analyze()` applies them in that order.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { ts } from "ts-morph";
import { RULES_BY_ID, TOOL_NAME } from "./rule-catalog.js";
import { AuditError, firstLine } from "./errors.js";
import type { DraftFinding } from "./checks.js";
import type { Finding, Level, RuleId, SourceSpan } from "./types.js";

export type Severity = Level | "off";

const SEVERITY_WORDS: Readonly<Record<string, Severity>> = { error: "error", warn: "warning", warning: "warning", note: "note", off: "off" };

/** `warn` → `warning`; undefined for a word that is no severity. */
export function severityOf(word: string): Severity | undefined {
  return SEVERITY_WORDS[word];
}

function isRuleId(id: string): id is RuleId {
  return RULES_BY_ID.has(id as RuleId);
}

/**
 * Rule id → severity from `lockAudit.rules` in lock-order.json and `--rule id=level` flags (which
 * win). Throws a one-line AuditError naming the file or flag for an unknown id or level.
 */
export function ruleSeverities(fromConfig: Readonly<Record<string, unknown>> | undefined, configFile: string, flags: readonly string[]): Map<RuleId, Severity> {
  const severities = new Map<RuleId, Severity>();
  const known = [...RULES_BY_ID.keys()].join(", ");
  for (const [id, word] of Object.entries(fromConfig ?? {})) {
    const severity = typeof word === "string" ? severityOf(word) : undefined;
    if (!isRuleId(id)) throw new AuditError("config", `${configFile}: lockAudit.rules.${id}: unknown rule id "${id}"; use one of ${known}`);
    if (!severity) throw new AuditError("config", `${configFile}: lockAudit.rules.${id}: ${JSON.stringify(word)} is not a severity; use "error", "warn", "note" or "off"`);
    severities.set(id, severity);
  }
  for (const flag of flags) {
    const match = /^([a-z-]+)=([a-z]+)$/.exec(flag);
    const severity = match ? severityOf(match[2]) : undefined;
    if (!match || !severity) throw new AuditError("usage", `--rule ${flag}: write --rule <id>=<error|warn|note|off>, e.g. --rule suffix=warn`);
    if (!isRuleId(match[1])) throw new AuditError("usage", `--rule ${flag}: unknown rule id "${match[1]}"; use one of ${known}`);
    severities.set(match[1], severity);
  }
  return severities;
}

export function applySeverities(findings: readonly DraftFinding[], severities: ReadonlyMap<RuleId, Severity>): DraftFinding[] {
  if (severities.size === 0) return [...findings];
  const result: DraftFinding[] = [];
  for (const finding of findings) {
    const severity = severities.get(finding.ruleId);
    if (severity === "off") continue;
    result.push(severity ? { ...finding, level: severity } : finding);
  }
  return result;
}

/** `// lock-audit-ignore-next-line order, suffix -- the reason` */
const SUPPRESSION = /\/\/\s*lock-audit-ignore-next-line\b(.*)$/;

interface Suppression {
  location: SourceSpan;
  rules: string[];
  reason: string | undefined;
  used: boolean;
}

/** The suppression comments of the analyzed files. */
export function findSuppressions(sourceFiles: readonly ts.SourceFile[], relativePath: (fileName: string) => string): Suppression[] {
  const suppressions: Suppression[] = [];
  for (const sourceFile of sourceFiles) {
    if (!sourceFile.text.includes("lock-audit-ignore")) continue;
    const file = relativePath(sourceFile.fileName);
    sourceFile.text.split("\n").forEach((text, index) => {
      const match = SUPPRESSION.exec(text);
      if (!match) return;
      const [list, ...reasonParts] = match[1].split(/\s--\s?/);
      const reason = reasonParts.join(" -- ").trim();
      const column = text.indexOf("//") + 1;
      suppressions.push({
        location: { file, line: index + 1, column, endLine: index + 1, endColumn: text.trimEnd().length + 1 },
        rules: list.split(",").map((rule) => rule.trim()).filter(Boolean),
        reason: reason || undefined,
        used: false,
      });
    });
  }
  return suppressions;
}

function suppressionNote(location: SourceSpan, message: string, detail: string): DraftFinding {
  return { ruleId: "suppression", level: "warning", message, location, chain: [], related: [], locks: [], detail };
}

/**
 * Marks each finding on the line after a suppression naming its rule as suppressed (kept, with the
 * reason, for SARIF; not counted for the exit code), and reports suppressions that are malformed,
 * have no reason, or suppress nothing.
 */
export function applySuppressions(findings: readonly DraftFinding[], suppressions: readonly Suppression[]): DraftFinding[] {
  if (suppressions.length === 0) return [...findings];
  const byLine = new Map<string, Suppression[]>();
  const problems: DraftFinding[] = [];
  for (const suppression of suppressions) {
    const where = `${suppression.location.file}:${suppression.location.line}`;
    const unknown = suppression.rules.filter((rule) => !isRuleId(rule));
    if (suppression.rules.length === 0 || unknown.length > 0) {
      problems.push(
        suppressionNote(
          suppression.location,
          suppression.rules.length === 0
            ? `${TOOL_NAME}-ignore-next-line names no rule; write the rule ids it suppresses, then -- and why: // lock-audit-ignore-next-line order -- <reason>`
            : `${TOOL_NAME}-ignore-next-line names unknown rule ${unknown.map((rule) => `"${rule}"`).join(", ")}; use ${[...RULES_BY_ID.keys()].join(", ")}`,
          `malformed:${where}`,
        ),
      );
      continue;
    }
    if (!suppression.reason) {
      problems.push(suppressionNote(suppression.location, `a suppression needs a reason: // lock-audit-ignore-next-line ${suppression.rules.join(", ")} -- <why this is safe>; it suppresses nothing until it has one`, `reason:${where}`));
      continue;
    }
    const key = `${suppression.location.file}\u0000${suppression.location.line + 1}`;
    byLine.set(key, [...(byLine.get(key) ?? []), suppression]);
  }
  const result = findings.map((finding) => {
    const candidates = byLine.get(`${finding.location.file}\u0000${finding.location.line}`) ?? [];
    const suppression = candidates.find((candidate) => candidate.rules.includes(finding.ruleId));
    if (!suppression) return finding;
    suppression.used = true;
    return { ...finding, suppressed: { justification: suppression.reason!, location: suppression.location } };
  });
  for (const list of byLine.values()) {
    for (const suppression of list) {
      if (suppression.used) continue;
      problems.push(
        suppressionNote(
          suppression.location,
          `unused suppression: no ${suppression.rules.join(" or ")} finding on line ${suppression.location.line + 1}; remove the comment`,
          `unused:${suppression.location.file}:${suppression.rules.join(",")}:${suppression.reason}`,
        ),
      );
    }
  }
  return [...result, ...problems];
}

interface BaselineFile {
  version: 1;
  tool: string;
  findings: { ruleId: string; fingerprint: string; file: string; message: string }[];
}

/** The fingerprints a baseline accepts; a missing file is an empty baseline only when it is about to be written. */
export function readBaseline(path: string, missingIsEmpty: boolean): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    if (missingIsEmpty) return new Set();
    throw new AuditError("usage", `${path}: cannot read the baseline (no such file); create it with --baseline ${path} --update-baseline`);
  }
  let parsed: BaselineFile;
  try {
    parsed = JSON.parse(text) as BaselineFile;
  } catch {
    throw new AuditError("usage", `${path}: the baseline is not valid JSON; write it again with --baseline ${path} --update-baseline`);
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.findings)) {
    throw new AuditError("usage", `${path}: not a lock-audit baseline (version 1); write it again with --baseline ${path} --update-baseline`);
  }
  return new Set(parsed.findings.map((finding) => `${finding.ruleId}\u0000${finding.fingerprint}`));
}

/** Writes every current finding that a baseline can accept (suppressed ones are accepted in code already). */
export function writeBaseline(path: string, findings: readonly Finding[]): void {
  const accepted = findings.filter((finding) => !finding.suppressed);
  const file: BaselineFile = {
    version: 1,
    tool: TOOL_NAME,
    findings: accepted.map((finding) => ({ ruleId: finding.ruleId, fingerprint: finding.fingerprint, file: finding.location.file, message: finding.message })),
  };
  try {
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  } catch (error) {
    throw new AuditError("usage", `cannot write the baseline ${path} (${firstLine(error)}); check the path`);
  }
}

/** The findings not in the baseline, and how many were. */
export function applyBaseline(findings: readonly Finding[], baseline: ReadonlySet<string>): { findings: Finding[]; baselined: number } {
  const kept = findings.filter((finding) => !baseline.has(`${finding.ruleId}\u0000${finding.fingerprint}`));
  return { findings: kept, baselined: findings.length - kept.length };
}
