/**
 * A problem with how lock-audit was called or with the project it was pointed at. The message is one
 * line saying what is wrong and what to do; the CLI prints it and exits 2 (never a stack trace).
 */
export class AuditError extends Error {
  override readonly name = "AuditError";
  constructor(
    readonly kind: "usage" | "config" | "project",
    message: string,
  ) {
    super(message);
  }
}
