/** The JSON report schema docs/cli.md documents, compiled: the contract `--format json` output is held to. */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

export const CLI_DOC = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

export function documentedSchema(): object {
  const match = /<!-- json-report-schema -->\s*```json\n([\s\S]*?)\n```/.exec(CLI_DOC);
  if (!match) throw new Error("docs/cli.md has no schema block after <!-- json-report-schema -->");
  return JSON.parse(match[1]) as object;
}

export function documentedReportValidator(): ValidateFunction {
  return new Ajv({ allErrors: true }).compile(documentedSchema());
}
