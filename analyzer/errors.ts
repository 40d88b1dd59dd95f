/**
 * A problem with how lock-audit was called or with the project it was pointed at. The message is one
 * line saying what is wrong and what to do; the CLI prints it and exits 2 (never a stack trace).
 */
export class AuditError extends Error {
  override readonly name = "AuditError";
  constructor(
    readonly kind: "usage" | "config" | "project",
    message: string,
    /** Several problems found together (each one line); the message then has one line each. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

/** How many configuration problems are reported together; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 10;

/** One AuditError for several one-line problems: the first ten, then how many more. */
export function auditErrorOf(kind: AuditError["kind"], problems: readonly string[]): AuditError {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more problems of the same kind`);
  return new AuditError(kind, shown.join("\n"), shown);
}

/** The first line of an error's message: what a one-line report quotes of a library's error. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
