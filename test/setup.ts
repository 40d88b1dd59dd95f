/**
 * Runs before every test file. Strict lowering: an internal error while lowering a function is
 * rethrown instead of leaving the function out (production swallows it: ESLint stays silent,
 * lock-audit notes it as `unanalyzable`), so a lowering bug fails a test rather than hiding findings.
 */
import { afterAll } from "vitest";
import { STRICT_LOWERING_ENV } from "../core/lowering.js";
import { removeTempDirs } from "./support/temp.js";

process.env[STRICT_LOWERING_ENV] = "1";
afterAll(removeTempDirs);
