/**
 * Summaries to a fixpoint, on hand-built units and step programs (no TypeScript program): what a
 * function takes through recursion, what a wrapper holds while it runs its callback, and callees
 * that could not be analyzed.
 */
import type { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import type { LockRef } from "../../core/flow.js";
import type { Callee, FunctionUnit, LockStep } from "../../analyzer/functions.js";
import { computeSummaries } from "../../analyzer/summaries.js";

let position = 0;
/** A stand-in for a syntax node: the interpreter only compares nodes and reads their range. */
function site(): ts.Node {
  position += 10;
  return { pos: position, end: position + 5 } as unknown as ts.Node;
}

const rs: LockRef = { key: "rs" };
const ml: LockRef = { key: "ml" };

function unit(label: string, steps: LockStep[] = [], options: { callees?: FunctionUnit[]; analyzed?: boolean; invokesParameter?: boolean } = {}): FunctionUnit {
  const created: FunctionUnit = { id: position, kind: "function", node: site() as ts.SourceFile, sourceFile: {} as ts.SourceFile, label };
  if (options.analyzed !== false) {
    created.facts = {
      steps,
      callees: new Set(options.callees ?? []),
      spawnNodes: new Set(),
      acquires: steps.some((step) => step.type === "acquire"),
      invokesParameter: options.invokesParameter ?? false,
      flagSensitive: steps.some((step) => step.type === "branch" && step.flag !== undefined),
    };
  }
  return created;
}

const call = (targets: FunctionUnit[], callbacks: LockStep[][] = []): LockStep => ({
  type: "call",
  node: site(),
  callee: { kind: "functions", targets } satisfies Callee,
  callbacks: callbacks.map((body, argIndex) => ({ argIndex, body })),
});
const take = (lock: LockRef, body: LockStep[] = []): LockStep => ({ type: "acquire", node: site(), lock, mode: "w", form: "callback", body });

describe("computeSummaries", () => {
  it("a recursive component reaches the fixpoint: every member takes what any member takes", () => {
    const a = unit("a");
    const b = unit("b");
    const c = unit("c");
    // a → b → c → a, and only c takes rs.
    a.facts = unit("a", [call([b])], { callees: [b] }).facts;
    b.facts = unit("b", [call([c])], { callees: [c] }).facts;
    c.facts = unit("c", [take(rs), call([a])], { callees: [a] }).facts;
    const { summaries } = computeSummaries([a, b, c]);
    for (const member of [a, b, c]) expect([...summaries.get(member)!.acquired.keys()]).toEqual(["rs"]);
  });

  it("a wrapper's summary says what it holds while it invokes its parameter", () => {
    const wrapper = unit("withLock", [take(ml, [{ type: "call", node: site(), callee: { kind: "parameter", index: 0 }, callbacks: [] }])], { invokesParameter: true });
    const caller = unit("caller", [call([wrapper], [[take(rs)]])], { callees: [wrapper] });
    const { summaries, outcomes } = computeSummaries([caller, wrapper]);
    expect([...summaries.get(wrapper)!.heldDuringParameter.get(0)!.keys()]).toEqual(["ml"]);
    // The caller's callback runs while the wrapper holds ml: taking rs there is a nesting ml → rs.
    expect(outcomes.get(caller)!.nestings.map((nesting) => `${nesting.held.lock.key}>${nesting.acquired.lock.key}`)).toEqual(["ml>rs"]);
    expect([...summaries.get(caller)!.acquired.keys()].sort()).toEqual(["ml", "rs"]);
  });

  it("a callee that could not be analyzed takes nothing, and does not stop the others", () => {
    const broken = unit("broken", [], { analyzed: false });
    const caller = unit("caller", [take(rs, [call([broken])])], { callees: [broken] });
    const { summaries } = computeSummaries([caller, broken]);
    expect([...summaries.get(caller)!.acquired.keys()]).toEqual(["rs"]);
    expect(summaries.has(broken)).toBe(false);
  });

  it("a function that takes nothing and calls nothing that does is not run at all", () => {
    const idle = unit("idle", [call([])]);
    const { summaries, outcomes } = computeSummaries([idle]);
    expect(summaries.has(idle)).toBe(false);
    expect(outcomes.has(idle)).toBe(false);
  });
});
