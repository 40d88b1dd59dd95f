/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning. Paths are relative URIs under
 * `%SRCROOT%` (the analysis root), call chains are `codeFlows`, cycle sites `relatedLocations`,
 * and `partialFingerprints` carry the line-independent fingerprint so alerts survive edits above them.
 */
import { pathToFileURL } from "node:url";
import type * as Sarif from "sarif";
import { DOCS_URL, RULES, TOOL_NAME } from "../rule-catalog.js";
import type { AnalysisResult, ChainStep, Finding, SourceSpan } from "../types.js";
import { TOOL_VERSION } from "../version.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";
export const SRCROOT = "%SRCROOT%";
/** The `partialFingerprints` key: versioned, so a change of scheme never collides with old alerts. */
export const FINGERPRINT_KEY = "lockAudit/v1";

export interface SarifReportOptions {
  toolVersion?: string;
}

function uriOf(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

function physicalLocation(span: SourceSpan): Sarif.PhysicalLocation {
  return {
    artifactLocation: { uri: uriOf(span.file), uriBaseId: SRCROOT },
    region: { startLine: span.line, startColumn: span.column, endLine: span.endLine, endColumn: span.endColumn },
  };
}

function stepLocation(step: ChainStep): Sarif.Location {
  return {
    physicalLocation: physicalLocation(step.location),
    message: { text: step.message },
    ...(step.function ? { logicalLocations: [{ fullyQualifiedName: step.function, kind: "function" }] } : {}),
  };
}

function toResult(finding: Finding, ruleIndex: number): Sarif.Result {
  const result: Sarif.Result = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: finding.level,
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: physicalLocation(finding.location),
        ...(finding.function ? { logicalLocations: [{ fullyQualifiedName: finding.function, kind: "function" }] } : {}),
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    // Code scanning shows a result with an in-source suppression as dismissed, with the reason.
    ...(finding.suppressed ? { suppressions: [{ kind: "inSource", justification: finding.suppressed.justification, location: { physicalLocation: physicalLocation(finding.suppressed.location) } }] } : {}),
    properties: { locks: finding.locks, ...(finding.fix ? { fix: finding.fix } : {}) },
  };
  if (finding.chain.length > 0) {
    result.codeFlows = [
      {
        message: { text: finding.ruleId === "cycle" ? "The nestings that form the cycle" : "Where the held lock was taken, then the call path to the conflicting acquisition" },
        threadFlows: [{ locations: finding.chain.map((step, index) => ({ location: stepLocation(step), executionOrder: index + 1 })) }],
      },
    ];
  }
  if (finding.related.length > 0) {
    result.relatedLocations = finding.related.map((step, index) => ({ id: index + 1, ...stepLocation(step) }));
  }
  return result;
}

export function toSarif(result: AnalysisResult, options: SarifReportOptions = {}): Sarif.Log {
  const version = options.toolVersion ?? TOOL_VERSION;
  const ruleIndex = new Map(RULES.map((rule, index) => [rule.id, index]));
  const root = pathToFileURL(result.root).href;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version,
            semanticVersion: version,
            informationUri: DOCS_URL,
            rules: RULES.map((rule) => ({
              id: rule.id,
              name: rule.title.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : "")),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.summary },
              help: { text: rule.help, markdown: `${rule.help}\n\n[Documentation](${rule.helpUri})` },
              helpUri: rule.helpUri,
              defaultConfiguration: { level: rule.level },
              properties: { tags: ["concurrency", "deadlock", "lock-order"], precision: "high", "problem.severity": rule.level === "error" ? "error" : "recommendation" },
            })),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: root.endsWith("/") ? root : `${root}/` } },
        columnKind: "utf16CodeUnits",
        results: result.findings.map((finding) => toResult(finding, ruleIndex.get(finding.ruleId)!)),
        invocations: [{ executionSuccessful: true }],
        properties: { stats: result.stats },
      },
    ],
  };
}

export function formatSarif(result: AnalysisResult, options: SarifReportOptions = {}): string {
  return `${JSON.stringify(toSarif(result, options), null, 2)}\n`;
}
