/**
 * The analysis drops plain exception points before running the core interpreter (a speed-up). This
 * checks, on random step programs, that doing so changes nothing the rules report: same findings,
 * same acquired locks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeFlow, type CallEffect, type CallStep, type FlowResult, type Step } from "../../core/flow.js";
import { buildPolicy } from "../../core/policy.js";
import { compactFunctionBody } from "../../rules/lib/analysis.js";

const policy = buildPolicy({
  locks: [
    { id: "a", target: "A.lock", kind: "mutex" },
    { id: "b", target: "B.lock", kind: "rwlock" },
  ],
});
const lockA = { key: "a", declared: policy.byId.get("a")! };
const lockB = { key: "b", declared: policy.byId.get("b")! };

interface Node {
  readonly id: number;
}
interface Callee {
  readonly name: string;
}
type TestStep = Step<Node, Callee>;

let nextId = 0;
const node = (): Node => ({ id: nextId++ });

/** Calls named `takesA` acquire lock a; every other call takes nothing. */
function resolveCall(step: CallStep<Node, Callee>): CallEffect | undefined {
  return step.callee.name === "takesA" ? { label: "takesA", acquires: [{ lock: lockA, mode: "w" }] } : undefined;
}

const { program } = fc.letrec<{ program: TestStep[]; step: TestStep }>((tie) => ({
  program: fc.array(tie("step"), { maxLength: 6 }),
  step: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<() => TestStep>(
      () => ({ type: "await", node: node() }),
      () => ({ type: "call", node: node(), callee: { name: "plain" }, callbacks: [] }),
      () => ({ type: "call", node: node(), callee: { name: "takesA" }, callbacks: [] }),
      () => ({ type: "acquire", node: node(), lock: lockA, mode: "w", form: "manual" }),
      () => ({ type: "acquire", node: node(), lock: lockB, mode: "r", form: "guard", handle: "g" }),
      () => ({ type: "acquire", node: node(), lock: lockB, mode: "w", form: "guard", handle: "h", scoped: true }),
      () => ({ type: "release", node: node(), lock: lockA }),
      () => ({ type: "release", node: node(), handle: "g" }),
      () => ({ type: "exit", kind: "return", node: node() }),
      () => ({ type: "exit", kind: "throw", node: node() }),
      () => ({ type: "exit", kind: "break", node: node() }),
      () => ({ type: "exit", kind: "continue", node: node() }),
    ).map((make) => make()),
    tie("program").map((body): TestStep => ({ type: "acquire", node: node(), lock: lockB, mode: "r", form: "callback", body })),
    tie("program").map((body): TestStep => ({ type: "call", node: node(), callee: { name: "map" }, callbacks: [{ argIndex: 0, body }] })),
    fc.array(tie("program"), { maxLength: 3 }).map((arms): TestStep => ({ type: "branch", arms })),
    fc
      .tuple(tie("program"), fc.constantFrom({}, { atLeastOnce: true }, { endless: true }))
      .map(([body, kind]): TestStep => ({ type: "loop", body, ...kind })),
    tie("program").map((body): TestStep => ({ type: "scope", body })),
    tie("program").map((body): TestStep => ({ type: "spawn", node: node(), body })),
    fc
      .tuple(tie("program"), fc.option(tie("program"), { nil: undefined }), fc.option(tie("program"), { nil: undefined }))
      .map(([block, handler, finalizer]): TestStep => ({ type: "try", block, ...(handler ? { handler } : {}), ...(finalizer ? { finalizer } : {}) })),
  ),
}));

function summary(result: FlowResult<Node>): unknown {
  return {
    acquired: [...result.acquired].map(([key, acquisition]) => `${key}:${acquisition.mode}`).sort(),
    findings: result.findings
      .map((finding) => {
        switch (finding.kind) {
          case "leak":
            return `leak@${finding.node.id}:${finding.lock.key}:${finding.onlyOnException}`;
          case "order":
          case "recursion":
            return `${finding.kind}@${finding.node.id}:${finding.acquiring.map((a) => a.lock.key).join(",")}/${finding.held.map((h) => h.lock.key).join(",")}`;
          default:
            return `${finding.kind}@${finding.node.id}:${finding.lock?.key ?? finding.handle}`;
        }
      })
      .sort(),
  };
}

describe("compacting plain exception points", () => {
  it("changes no finding and no acquisition", () => {
    fc.assert(
      fc.property(program, (steps) => {
        const compacted = compactFunctionBody(steps, resolveCall);
        expect(summary(analyzeFlow(compacted, { resolveCall }))).toEqual(summary(analyzeFlow(steps, { resolveCall })));
      }),
      { numRuns: 3000 },
    );
  });

  it("does drop repeated, leading and trailing plain points", () => {
    const steps: TestStep[] = [
      { type: "call", node: node(), callee: { name: "plain" }, callbacks: [] },
      { type: "acquire", node: node(), lock: lockA, mode: "w", form: "manual" },
      { type: "call", node: node(), callee: { name: "plain" }, callbacks: [] },
      { type: "await", node: node() },
      { type: "release", node: node(), lock: lockA },
      { type: "call", node: node(), callee: { name: "plain" }, callbacks: [] },
    ];
    expect(compactFunctionBody(steps, resolveCall).map((step) => step.type)).toEqual(["acquire", "call", "release"]);
  });
});
