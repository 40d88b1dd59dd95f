/**
 * `release`: a lock acquired by hand (a releaser, a guard, or `lock.acquire()` … `lock.release()`)
 * is released on every path out of the function, exceptions included; and a release releases
 * something this function holds, once. A lock left held blocks every later acquirer forever.
 */
import type { LockRef } from "../core/flow.js";
import { MESSAGES, type MessageId } from "../core/messages.js";
import { analyzeFileLocks, callLoc } from "./lib/analysis.js";
import { createRule } from "./lib/create-rule.js";

export type ReleaseMessageId = MessageId<"release">;

function lockName(lock: LockRef | undefined, handle: string | undefined): string {
  if (handle !== undefined) return `'${handle}'`;
  return lock?.key ?? "the lock";
}

export default createRule<[], ReleaseMessageId>({
  name: "release",
  meta: {
    type: "problem",
    docs: {
      description: "Require manually acquired locks to be released on every path, exceptions included, exactly once, by the function that acquired them",
      recommended: "error",
    },
    messages: MESSAGES.release,
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        for (const finding of analyzeFileLocks(context)?.findings ?? []) {
          switch (finding.kind) {
            case "leak":
              context.report({ loc: callLoc(finding.node), messageId: finding.onlyOnException ? "notReleasedOnException" : "notReleased", data: { lock: finding.lock.key } });
              break;
            case "double-release":
              context.report({ loc: callLoc(finding.node), messageId: "doubleRelease", data: { lock: lockName(finding.lock, finding.handle) } });
              break;
            case "unowned-release":
              context.report({ loc: callLoc(finding.node), messageId: "unownedRelease", data: { lock: lockName(finding.lock, finding.handle) } });
              break;
            default:
              break;
          }
        }
      },
    };
  },
});
