/**
 * `order`: while holding a lock, a function may only acquire locks declared after it in
 * lock-order.json, directly or by calling a function whose suffix says it takes one. Two tasks that
 * take the same two locks in opposite orders can each wait for the other forever.
 */
import { analyzeFileLocks, calleeText, callLoc, lockList } from "./lib/analysis.js";
import { createRule } from "./lib/create-rule.js";

export type OrderMessageId = "acquireOutOfOrder" | "callOutOfOrder";

export default createRule<[], OrderMessageId>({
  name: "order",
  meta: {
    type: "problem",
    docs: {
      description: "Forbid acquiring a lock, directly or through a suffixed callee, while holding a lock declared after it",
      recommended: "error",
    },
    messages: {
      acquireOutOfOrder:
        "'{{callee}}' acquires {{acquired}} while holding {{held}}, but lock-order.json declares {{acquired}} before {{held}}: release {{held}} first, or take {{acquired}} before it.",
      callOutOfOrder:
        "Calling '{{callee}}', which acquires {{acquired}}, while holding {{held}}, but lock-order.json declares {{acquired}} before {{held}}: release {{held}} first, or make the call before taking it.",
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        for (const finding of analyzeFileLocks(context)?.findings ?? []) {
          if (finding.kind !== "order") continue;
          const data = { acquired: lockList(finding.acquiring), held: lockList(finding.held) };
          if (finding.via) context.report({ loc: callLoc(finding.node), messageId: "callOutOfOrder", data: { ...data, callee: finding.via.label } });
          else context.report({ loc: callLoc(finding.node), messageId: "acquireOutOfOrder", data: { ...data, callee: calleeText(context.sourceCode, finding.node) } });
        }
      },
    };
  },
});
