/**
 * `no-recursion`: a function must not acquire a lock it already holds, in any mode, directly or
 * through a suffixed callee, including in callbacks that run during a call
 * (`await Promise.all(items.map((i) => this.add_rsw(i)))` inside an `rs` region). Async locks are not
 * reentrant: the second acquisition waits for the first to be released, which never happens.
 */
import { MESSAGES, recursionMessage, type MessageId } from "../core/messages.js";
import { analyzeFileLocks, callLoc, conflictSource } from "./lib/analysis.js";
import { createRule } from "./lib/create-rule.js";

export type NoRecursionMessageId = MessageId<"no-recursion">;

export default createRule<[], NoRecursionMessageId>({
  name: "no-recursion",
  meta: {
    type: "problem",
    docs: {
      description: "Forbid acquiring a lock, directly or through a suffixed callee, while it is already held",
      recommended: "error",
    },
    messages: MESSAGES["no-recursion"],
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        const source = conflictSource(context.sourceCode);
        for (const finding of analyzeFileLocks(context)?.findings ?? []) {
          if (finding.kind === "recursion") context.report({ loc: callLoc(finding.node), ...recursionMessage(finding, source) });
        }
      },
    };
  },
});
