/**
 * The held-set interpreter on hand-built step programs. Nodes are strings naming the site, so a
 * finding's `node` says where it was reported.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseLockOrder } from "../../core/config.js";
import { analyzeFlow, type CallEffect, type FlowFinding, type LockRef, type Step } from "../../core/flow.js";
import type { Mode } from "../../core/policy.js";

const policy = parseLockOrder(readFileSync(new URL("../../lock-order.json", import.meta.url), "utf8"), "lock-order.json");
const ref = (id: string): LockRef => ({ key: id, declared: policy.byId.get(id) });

type S = Step<string, string>;
const callback = (node: string, id: string, mode: Mode, body: S[]): S => ({ type: "acquire", node, lock: ref(id), mode, form: "callback", body });
const guard = (node: string, id: string, mode: Mode, handle: string, extra: { scoped?: boolean; owned?: boolean } = {}): S => ({
  type: "acquire",
  node,
  lock: ref(id),
  mode,
  form: "guard",
  handle,
  ...extra,
});
const manual = (node: string, id: string): S => ({ type: "acquire", node, lock: ref(id), mode: "w", form: "manual" });
const release = (node: string, handle: string): S => ({ type: "release", node, handle });
const releaseLock = (node: string, id: string): S => ({ type: "release", node, lock: ref(id) });
const call = (node: string, callee: string, callbacks: S[][] = []): S => ({
  type: "call",
  node,
  callee,
  callbacks: callbacks.map((body, argIndex) => ({ argIndex, body })),
});

/** Callees named like suffixed functions: `add_rsw` takes rs for writing. */
const suffixEffects: Record<string, CallEffect> = {
  add_rsw: { label: "add_rsw", acquires: [{ lock: ref("rs"), mode: "w" }] },
  insert_mlw: { label: "insert_mlw", acquires: [{ lock: ref("ml"), mode: "w" }] },
  touch_ms_r: { label: "touch_msr", acquires: [{ lock: ref("ms"), mode: "r" }] },
  withGateway: { label: "withGateway", acquires: [{ lock: ref("gs"), mode: "w" }], heldDuringCallback: () => [{ lock: ref("gs"), mode: "w" }] },
};

function run(body: S[]) {
  return analyzeFlow(body, { resolveCall: (step) => suffixEffects[step.callee] });
}

const summary = (findings: readonly FlowFinding<string>[]) =>
  findings.map((f) => (f.kind === "leak" ? `${f.kind}${f.onlyOnException ? "(exception)" : ""}@${f.node}` : `${f.kind}@${f.node}`)).sort();

describe("held-set interpreter", () => {
  it("collects what a function takes directly and through callees, strongest mode", () => {
    const result = run([callback("a", "ml", "r", [call("b", "add_rsw")]), guard("c", "ml", "w", "r1", { scoped: true })]);
    expect([...result.acquired.values()].map((a) => `${a.lock.key}:${a.mode}`).sort()).toEqual(["ml:w", "rs:w"]);
  });

  it("reports out-of-order acquisition directly and through a callee, naming held and acquired locks", () => {
    const result = run([callback("hold-ml", "ml", "w", [call("callee", "add_rsw"), callback("direct", "ms", "r", [])])]);
    expect(summary(result.findings)).toEqual(["order@callee", "order@direct"]);
    const viaCallee = result.findings.find((f) => f.node === "callee")!;
    expect(viaCallee.kind === "order" && viaCallee.held.map((h) => h.lock.key)).toEqual(["ml"]);
    expect(viaCallee.kind === "order" && viaCallee.acquiring.map((a) => a.lock.key)).toEqual(["rs"]);
    expect(viaCallee.kind === "order" && viaCallee.via?.label).toBe("add_rsw");
  });

  it("accepts acquisitions in declared order", () => {
    expect(run([callback("a", "rs", "w", [call("b", "insert_mlw"), callback("c", "rh", "w", [])])]).findings).toEqual([]);
  });

  it("reports recursion through callbacks run during a call (Promise.all(items.map(...)))", () => {
    const result = run([callback("hold-rs", "rs", "r", [call("all", "Promise.all", [[call("inner", "add_rsw")]])])]);
    expect(summary(result.findings)).toEqual(["recursion@inner"]);
  });

  it("does not count a spawned task toward held locks or the suffix", () => {
    const result = run([callback("hold-rs", "rs", "w", [{ type: "spawn", node: "timer", body: [call("later", "add_rsw")] }])]);
    expect(result.findings).toEqual([]);
    expect([...result.acquired.keys()]).toEqual(["rs"]);
    const spawnedOnly = run([{ type: "spawn", node: "timer", body: [call("later", "add_rsw")] }]);
    expect(spawnedOnly.acquired.size).toBe(0);
  });

  it("runs a wrapper's callback under the wrapper's locks", () => {
    const result = run([call("wrap", "withGateway", [[call("inner", "insert_mlw")]])]);
    expect(summary(result.findings)).toEqual(["order@inner"]);
  });

  it("reports a lock re-taken in a loop before release", () => {
    expect(summary(run([{ type: "loop", body: [manual("take", "sm")] }]).findings)).toEqual(["leak@take", "recursion@take"]);
    const balanced = run([{ type: "loop", body: [guard("take", "sm", "w", "release"), { type: "try", block: [call("work", "x")], finalizer: [release("give", "release")] }] }]);
    expect(balanced.findings).toEqual([]);
  });

  it("goes on after an endless loop only through break, and after a do-while only after a pass", () => {
    // while (true) { m.acquire(); if (…) break; m.release(); } m.release();
    const retry: S[] = [manual("take", "sm"), { type: "branch", arms: [[{ type: "exit", kind: "break", node: "leave" }], []] }, releaseLock("again", "sm")];
    expect(summary(run([{ type: "loop", endless: true, body: retry }, releaseLock("give", "sm")]).findings)).toEqual([]);
    expect(summary(run([{ type: "loop", body: retry }, releaseLock("give", "sm")]).findings)).toEqual(["double-release@give", "unowned-release@give"]);
    // do { m.acquire(); break; } while (…); m.release();
    const once: S[] = [manual("take", "sm"), { type: "exit", kind: "break", node: "leave" }];
    expect(summary(run([{ type: "loop", atLeastOnce: true, body: once }, releaseLock("give", "sm")]).findings)).toEqual([]);
    expect(summary(run([{ type: "loop", body: once }, releaseLock("give", "sm")]).findings)).toEqual(["unowned-release@give"]);
    // An endless loop without a break: nothing after it runs.
    expect(summary(run([{ type: "loop", endless: true, body: [call("work", "x")] }, releaseLock("give", "sm")]).findings)).toEqual([]);
  });

  it("requires release on every path, exceptions included", () => {
    // const release = await m.acquire(); work(); release();  → leaks if work() throws
    expect(summary(run([guard("take", "sm", "w", "release"), call("work", "x"), release("give", "release")]).findings)).toEqual(["leak(exception)@take"]);
    // early return before release → leaks on a normal path
    expect(
      summary(run([guard("take", "sm", "w", "release"), { type: "branch", arms: [[{ type: "exit", kind: "return", node: "ret" }], []] }, release("give", "release")]).findings),
    ).toEqual(["leak@take"]);
    // try/finally releases on every path, including return and throw inside the try
    const tryFinally = run([
      guard("take", "sm", "w", "release"),
      { type: "try", block: [call("work", "x"), { type: "branch", arms: [[{ type: "exit", kind: "return", node: "ret" }], []] }], finalizer: [release("give", "release")] },
    ]);
    expect(tryFinally.findings).toEqual([]);
    // `using` releases at the end of its scope however it is left
    expect(run([{ type: "scope", body: [guard("take", "sm", "w", "g", { scoped: true }), call("work", "x")] }]).findings).toEqual([]);
    // a guard that escapes (returned to the caller) is not this function's to release
    expect(run([guard("take", "sm", "w", "g", { owned: false }), call("work", "x")]).findings).toEqual([]);
  });

  it("reports double release and releasing what the function did not acquire", () => {
    expect(summary(run([guard("take", "sm", "w", "r"), release("first", "r"), release("second", "r")]).findings)).toEqual(["double-release@second"]);
    expect(summary(run([releaseLock("stray", "sm")]).findings)).toEqual(["unowned-release@stray"]);
    expect(run([manual("take", "sm"), { type: "try", block: [call("work", "x")], finalizer: [releaseLock("give", "sm")] }]).findings).toEqual([]);
  });

  it("keeps paths apart: a release on one branch only leaks on the other", () => {
    const result = run([guard("take", "sm", "w", "r"), { type: "branch", arms: [[release("give", "r")], []] }]);
    expect(summary(result.findings)).toEqual(["leak@take"]);
  });

  it("catch handlers see thrown paths; a handler that releases stops the exception leak", () => {
    const result = run([
      guard("take", "sm", "w", "r"),
      { type: "try", block: [call("work", "x"), release("give", "r")], handler: [release("give-on-error", "r"), { type: "exit", kind: "throw", node: "rethrow" }] },
    ]);
    expect(result.findings).toEqual([]);
  });

  it("treats keyed locks with different keys as different locks", () => {
    const keyed = parseLockOrder('{"locks": [{"id": "wl", "target": "Workflows.locks", "kind": "keyed"}]}', "k.json");
    const wl: LockRef = { key: "wl", declared: keyed.byId.get("wl") };
    const take = (node: string, keyText: string): S => ({ type: "acquire", node, lock: wl, mode: "w", form: "callback", keyText, body: [] });
    const nested = (inner: S): S[] => [{ type: "acquire", node: "outer", lock: wl, mode: "w", form: "callback", keyText: "keyA", body: [inner] }];
    expect(run(nested(take("other-key", "keyB"))).findings).toEqual([]);
    expect(summary(run(nested(take("same-key", "keyA"))).findings)).toEqual(["recursion@same-key"]);
  });

  it("a try-lock (waits: false) is never an order or recursion finding, nor a nesting, but is held afterwards", () => {
    const tried = (node: string, id: string): S => ({ type: "acquire", node, lock: ref(id), mode: "w", form: "manual", waits: false });
    const nestings: string[] = [];
    const result = analyzeFlow(
      [manual("hold-sm", "sm"), tried("try-rs", "rs"), tried("try-sm", "sm"), call("callee", "insert_mlw"), releaseLock("r1", "rs"), releaseLock("r2", "sm")],
      {
        resolveCall: (step) => suffixEffects[step.callee],
        onAcquire: (acquired, held, node) => nestings.push(`${held.map((h) => h.lock.key).join("+")} > ${acquired.lock.key} @${node}`),
      },
    );
    // rs (declared before sm) and sm (held) are only tried; ml is then waited for while rs is held.
    expect(summary(result.findings.filter((f) => f.kind === "order" || f.kind === "recursion"))).toEqual(["order@callee"]);
    expect([...result.acquired.keys()].sort()).toEqual(["ml", "rs", "sm"]);
    expect(nestings).toEqual([" > sm @hold-sm", " > rs @try-rs", " > sm @try-sm", "sm+rs+sm > ml @callee"]);
  });

  it("stays bounded on many branches", () => {
    const arms: S[] = Array.from({ length: 200 }, (_, i) => ({ type: "branch", arms: [[guard(`t${i}`, "rh", "w", `h${i}`, { owned: false })], []] }));
    const started = performance.now();
    run(arms);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("branches on a flag the caller decided", () => {
  // `options?.skipLock ? work() : lock.runExclusive(work)`: arm 1 runs when the flag is falsy.
  const body: S[] = [{ type: "branch", arms: [[], [callback("n1", "sm", "w", [])]], flag: { parameter: 0, path: ["skipLock"], armWhenTrue: 0 } }];
  const acquired = (flag: boolean | undefined) =>
    [...analyzeFlow(body, { resolveCall: () => undefined, ...(flag === undefined ? {} : { flag: () => flag }) }).acquired.keys()];

  it("runs only the arm the flag selects, in the general and the stateless interpretation", () => {
    expect(acquired(true)).toEqual([]);
    expect(acquired(false)).toEqual(["sm"]);
    expect([...analyzeFlow(body, { resolveCall: () => undefined, flag: () => true, generalOnly: true }).acquired.keys()]).toEqual([]);
  });

  it("runs both arms when the flag is not decided", () => {
    expect(acquired(undefined)).toEqual(["sm"]);
  });
});
