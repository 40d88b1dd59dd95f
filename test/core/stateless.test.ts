/**
 * core/flow.ts runs bodies that never change the held set (no manual or guard acquisition, no
 * release) with a stateless fast path. On random programs of that kind, it must agree with the
 * general interpretation: the same acquisitions, findings, and `onAcquire` / `onCall` events in the
 * same order with the same held locks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeFlow, type CallEffect, type CallStep, type FlowOptions, type Step } from "../../core/flow.js";
import { buildPolicy } from "../../core/policy.js";

const policy = buildPolicy({
  locks: [
    { id: "a", target: "A.lock", kind: "mutex" },
    { id: "b", target: "B.lock", kind: "rwlock" },
    { id: "k", target: "K.lock", kind: "keyed" },
  ],
});
const lock = (id: string) => ({ key: id, declared: policy.byId.get(id)! });

type TestStep = Step<number, string>;

let nextId = 0;
const node = (): number => nextId++;

/** `takesA` acquires a; `withB` holds b while it runs its callbacks; other calls take nothing. */
function resolveCall(step: CallStep<number, string>): CallEffect | undefined {
  if (step.callee === "takesA") return { label: "takesA", acquires: [{ lock: lock("a"), mode: "w" }] };
  if (step.callee === "withB") return { label: "withB", acquires: [{ lock: lock("b"), mode: "r" }], heldDuringCallback: () => [{ lock: lock("b"), mode: "r" }] };
  return undefined;
}

const { program } = fc.letrec<{ program: TestStep[]; step: TestStep }>((tie) => ({
  program: fc.array(tie("step"), { maxLength: 5 }),
  step: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<() => TestStep>(
      () => ({ type: "await", node: node() }),
      () => ({ type: "call", node: node(), callee: "plain", callbacks: [] }),
      () => ({ type: "call", node: node(), callee: "takesA", callbacks: [] }),
      () => ({ type: "exit", kind: "return", node: node() }),
      () => ({ type: "exit", kind: "throw", node: node() }),
      () => ({ type: "exit", kind: "break", node: node() }),
      () => ({ type: "exit", kind: "continue", node: node() }),
    ).map((make) => make()),
    fc
      .tuple(fc.constantFrom("a", "b", "k"), fc.constantFrom<"r" | "w">("r", "w"), fc.constantFrom(undefined, "id", "other"), tie("program"))
      .map(([id, mode, keyText, body]): TestStep => ({ type: "acquire", node: node(), lock: lock(id), mode, form: "callback", body, ...(keyText ? { keyText } : {}) })),
    fc
      .tuple(fc.constantFrom("map", "withB", "takesA"), tie("program"))
      .map(([callee, body]): TestStep => ({ type: "call", node: node(), callee, callbacks: [{ argIndex: 0, body }] })),
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

/** Everything an interpretation reports, in order. */
function observe(steps: TestStep[], generalOnly: boolean): unknown {
  const events: string[] = [];
  const held = (locks: readonly { lock: { key: string }; mode: string }[]) => locks.map((h) => `${h.lock.key}:${h.mode}`).join(",");
  const options: FlowOptions<number, string> = {
    resolveCall,
    generalOnly,
    initialHeld: [],
    onAcquire: (acquired, heldNow, at, via) => events.push(`acquire ${acquired.lock.key}:${acquired.mode} @${at} via ${via?.label ?? "-"} holding ${held(heldNow)}`),
    onCall: (step, heldNow) => events.push(`call ${step.callee} @${step.node} holding ${held(heldNow)}`),
  };
  const result = analyzeFlow(steps, options);
  return {
    acquired: [...result.acquired].map(([key, acquisition]) => `${key}:${acquisition.mode}`),
    findings: result.findings.map((finding) => (finding.kind === "order" || finding.kind === "recursion" ? `${finding.kind}@${finding.node}:${held(finding.held)}` : `${finding.kind}@${finding.node}`)),
    events,
  };
}

describe("the stateless fast path", () => {
  it("agrees with the general interpretation", () => {
    fc.assert(
      fc.property(program, (steps) => {
        expect(observe(steps, false)).toEqual(observe(steps, true));
      }),
      { numRuns: 3000 },
    );
  });

  it("reports a re-take through a callee inside a callback, as the general path does", () => {
    const steps: TestStep[] = [{ type: "acquire", node: 1, lock: lock("a"), mode: "w", form: "callback", body: [{ type: "call", node: 2, callee: "takesA", callbacks: [] }] }];
    expect(observe(steps, false)).toEqual(observe(steps, true));
    expect((observe(steps, true) as { findings: string[] }).findings).toEqual(["recursion@2:a:w"]);
  });
});
