/**
 * `no-recursion`: a function must not acquire a lock it already holds, in any mode, directly or
 * through a suffixed callee, including in callbacks that run during a call
 * (`await Promise.all(items.map((i) => this.add_rsw(i)))` inside an `rs` region). Async locks are not
 * reentrant: the second acquisition waits for the first to be released, which never happens.
 */
import { analyzeFileLocks, calleeText, callLoc, lockList } from "./lib/analysis.js";
import { createRule } from "./lib/create-rule.js";

export type NoRecursionMessageId = "acquireHeld" | "callAcquiresHeld";

export default createRule<[], NoRecursionMessageId>({
  name: "no-recursion",
  meta: {
    type: "problem",
    docs: {
      description: "Forbid acquiring a lock, directly or through a suffixed callee, while it is already held",
      recommended: "error",
    },
    messages: {
      acquireHeld:
        "'{{callee}}' acquires {{acquired}} while {{held}} is already held (taken on line {{line}}): the lock is not reentrant, so this waits forever.",
      callAcquiresHeld:
        "Calling '{{callee}}', which acquires {{acquired}}, while {{held}} is already held (taken on line {{line}}): the lock is not reentrant, so this waits forever.",
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        for (const finding of analyzeFileLocks(context)?.findings ?? []) {
          if (finding.kind !== "recursion") continue;
          const data = { acquired: lockList(finding.acquiring), held: lockList(finding.held), line: String(finding.held[0]?.site.loc.start.line ?? "?") };
          if (finding.via) context.report({ loc: callLoc(finding.node), messageId: "callAcquiresHeld", data: { ...data, callee: finding.via.label } });
          else context.report({ loc: callLoc(finding.node), messageId: "acquireHeld", data: { ...data, callee: calleeText(context.sourceCode, finding.node) } });
        }
      },
    };
  },
});
