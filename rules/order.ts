/**
 * `order`: while holding a lock, a function may only acquire locks declared after it in
 * lock-order.json, directly or by calling a function whose suffix says it takes one. Two tasks that
 * take the same two locks in opposite orders can each wait for the other forever.
 */
import { MESSAGES, orderMessage, type MessageId } from "../core/messages.js";
import { analyzeFileLocks, callLoc, conflictSource } from "./lib/analysis.js";
import { createRule } from "./lib/create-rule.js";

export type OrderMessageId = MessageId<"order">;

export default createRule<[], OrderMessageId>({
  name: "order",
  meta: {
    type: "problem",
    docs: {
      description: "Forbid acquiring a lock, directly or through a suffixed callee, while holding a lock declared after it",
      recommended: "error",
    },
    messages: MESSAGES.order,
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        const source = conflictSource(context.sourceCode);
        for (const finding of analyzeFileLocks(context)?.findings ?? []) {
          if (finding.kind === "order") context.report({ loc: callLoc(finding.node), ...orderMessage(finding, source) });
        }
      },
    };
  },
});
