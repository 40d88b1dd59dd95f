/**
 * Reading lock-order.json from disk: discovery, JSON Schema validation, semantic checks, caching.
 * Used by the ESLint plugin and by lock-audit (never by the runtime, which stays dependency-free).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
// lock-order.schema.json compiled ahead of time (scripts/lock-order-validator.js): no run loads ajv or compiles the schema.
import { validate as validateLockOrder } from "./generated/lock-order-validator.js";
import { buildPolicy, combineConfigErrors, LockOrderConfigError, type Policy } from "./policy.js";

export const LOCK_ORDER_FILE = "lock-order.json";


/** `/locks/3/id` → `locks[3].id` */
function jsonPathOf(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1);
  if (extra !== undefined) parts.push(extra);
  let path = "";
  for (const part of parts) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    path += /^\d+$/.test(key) ? `[${key}]` : path ? `.${key}` : key;
  }
  return path;
}

function schemaError(file: string, error: ErrorObject): LockOrderConfigError {
  switch (error.keyword) {
    case "additionalProperties": {
      const field = String((error.params as { additionalProperty: string }).additionalProperty);
      return new LockOrderConfigError(file, jsonPathOf(error.instancePath, field), `unknown field "${field}"`, "remove it or check its spelling");
    }
    case "required": {
      const field = String((error.params as { missingProperty: string }).missingProperty);
      return new LockOrderConfigError(file, jsonPathOf(error.instancePath, field), "is required", `add "${field}"`);
    }
    case "enum":
      return new LockOrderConfigError(
        file,
        jsonPathOf(error.instancePath),
        `must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`,
        "use one of those values",
      );
    case "pattern": {
      const path = jsonPathOf(error.instancePath);
      const fix = path.endsWith(".id")
        ? "use lowercase letters and digits, starting with a letter"
        : path.endsWith(".target")
          ? 'write "Class.member", "Class.#member", "path/to/module.ts#exportName", "TypeName" or "navigator.locks:<name>"'
          : "write a plain identifier";
      return new LockOrderConfigError(file, path, `does not match ${String((error.params as { pattern: string }).pattern)}`, fix);
    }
    default:
      return new LockOrderConfigError(file, jsonPathOf(error.instancePath), error.message ?? "is invalid", "see docs/lock-order.md for the format");
  }
}

/** Parses and validates lock-order.json text. Throws `LockOrderConfigError` (one line) on any problem. */
export function parseLockOrder(text: string, file: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    let where = "";
    if (position) {
      const lines = text.slice(0, Number(position[1])).split("\n");
      where = `line ${lines.length}, column ${lines[lines.length - 1].length + 1}`;
    } else if (/Unexpected end of JSON input/.test(message)) {
      const lines = text.split("\n");
      where = `line ${lines.length}, column ${lines[lines.length - 1].length + 1}`;
    }
    throw new LockOrderConfigError(file, where, `is not valid JSON (${message.split("\n")[0].replace(/ in JSON at position \d+.*$/, "")})`, "fix the JSON syntax");
  }
  const validate = validateLockOrder as ValidateFunction;
  if (!validate(raw)) {
    // One line per problem, at most one per JSON path (ajv may report several keywords for one value).
    const byPath = new Map<string, LockOrderConfigError>();
    for (const error of validate.errors ?? []) {
      const problem = schemaError(file, error);
      if (!byPath.has(problem.jsonPath)) byPath.set(problem.jsonPath, problem);
    }
    throw combineConfigErrors([...byPath.values()])!;
  }
  return buildPolicy(raw, file);
}

const cache = new Map<string, { mtimeMs: number; size: number; policy: Policy }>();

/** Loads a lock-order.json file, cached by path, mtime and size (an editor session re-reads it after a save). */
export function loadLockOrder(file: string): Policy {
  const policy = loadLockOrderIfPresent(file);
  if (!policy) throw new LockOrderConfigError(resolve(file), "", "cannot be read (no such file)", "create it or point to an existing lock-order.json");
  return policy;
}

/** As `loadLockOrder`, but undefined when the file does not exist (an embedded copy may stand in for it). */
export function loadLockOrderIfPresent(file: string): Policy | undefined {
  const path = resolve(file);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return undefined;
  }
  const cached = cache.get(path);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.policy;
  const policy = parseLockOrder(readFileSync(path, "utf8"), path);
  cache.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, policy });
  return policy;
}

/** The nearest lock-order.json in `startDir` or a parent folder, or undefined. */
export function findLockOrder(startDir: string): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, LOCK_ORDER_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
