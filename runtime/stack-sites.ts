/**
 * Turning captured stacks into the part a user cares about: the frames outside this runtime.
 * Paths are derived from `import.meta.url` by hand so this file needs no `node:` import.
 */

const RUNTIME_URL = new URL(".", import.meta.url);
const RUNTIME_MARKERS = [RUNTIME_URL.href, decodeURIComponent(RUNTIME_URL.pathname)];

function isRuntimeFrame(line: string): boolean {
  return (
    RUNTIME_MARKERS.some((marker) => line.includes(marker)) ||
    line.includes("(node:") || // Node's own modules (node:internal/…, node:async_hooks)
    line.startsWith("at node:") ||
    line.startsWith("at new Promise (<anonymous>)")
  );
}

/** The stack frames of `error` outside the runtime, one `at …` line each. */
export function callerFrames(error: Error): string[] {
  const stack = error.stack ?? "";
  return stack
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("at ") && !isRuntimeFrame(line));
}

/** The first frame outside the runtime (`at fn (file:line:col)`), or undefined. */
export function callerFrame(error: Error): string | undefined {
  return callerFrames(error)[0];
}
