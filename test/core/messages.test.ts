/**
 * The catalog's data builders (core/messages.ts) on findings of plain step nodes: what the parity
 * corpus does not reach (several held locks, a loop re-take beside an earlier acquisition, a keyed
 * lock's key, a family of functions sharing a suffix).
 */
import { describe, expect, it } from "vitest";
import type { HeldLock } from "../../core/flow.js";
import { messageText, orderMessage, recursionMessage, sourceExcerpt, suffixMessage, wordList, type ConflictSource, type LockConflict } from "../../core/messages.js";
import { buildPolicy } from "../../core/policy.js";
import { compareSuffix, requiredSuffix } from "../../core/suffix.js";

const policy = buildPolicy({
  locks: [
    { id: "a", target: "A.lock", kind: "mutex" },
    { id: "b", target: "B.lock", kind: "rwlock" },
    { id: "c", target: "C.lock", kind: "mutex" },
    { id: "k", target: "K.locks", kind: "keyed" },
  ],
});
const lock = (id: string) => ({ key: id, declared: policy.byId.get(id)! });

/** Nodes are line numbers; node 0 is the call `this.x.run`. */
const source: ConflictSource<number> = { calleeText: (node) => (node === 0 ? "this.x.run" : `site${node}`), line: (node) => node };

function held(id: string, site: number, extra: Partial<HeldLock<number>> = {}): HeldLock<number> {
  return { lock: lock(id), mode: "w", site, form: "callback", owned: false, ...extra };
}

describe("order and no-recursion sentences", () => {
  it("lists several held locks with every line they were taken on", () => {
    const conflict: LockConflict<number> = { kind: "order", node: 0, held: [held("b", 4, { mode: "r" }), held("c", 3)], acquiring: [{ lock: lock("a"), mode: "w" }] };
    expect(messageText("order", orderMessage(conflict, source))).toBe(
      "'this.x.run' takes a while holding b:r and c (taken on lines 3 and 4), but lock-order.json declares a before b and c: release b and c first, or take a before taking b and c.",
    );
  });

  it("names a loop's earlier iteration beside an earlier acquisition, and a keyed lock's key", () => {
    const conflict: LockConflict<number> = {
      kind: "recursion",
      node: 0,
      held: [held("k", 2, { keyText: "job.id" }), held("k", 0, { keyText: "job.id" })],
      acquiring: [{ lock: lock("k"), mode: "w" }],
      via: { label: "run_k", acquires: [{ lock: lock("k"), mode: "w" }] },
    };
    expect(messageText("no-recursion", recursionMessage(conflict, source))).toBe(
      "Calling 'this.x.run', which takes k, while already holding k(job.id) (taken on line 2, and here in an earlier iteration of the loop): locks are not reentrant, so this waits forever; release k before the call, or call a variant that expects k held.",
    );
  });
});

describe("suffix sentences", () => {
  it("say when the other functions sharing the name take the locks with it", () => {
    const required = requiredSuffix(new Map([[policy.byId.get("b")!, "r" as const]]));
    const mismatch = compareSuffix([], required)!;
    expect(messageText("suffix", suffixMessage({ name: "init", expected: "init_br", mismatch, required }))).toBe(
      "'init' should be named 'init_br': missing b:r; it takes b:r, directly or through callees.",
    );
    expect(messageText("suffix", suffixMessage({ name: "init", expected: "init_br", mismatch, required, sharing: 2 }))).toBe(
      "'init' should be named 'init_br': missing b:r; it and the 2 other functions sharing its name take b:r, directly or through callees.",
    );
  });
});

describe("words", () => {
  it("lists each item once", () => {
    expect([wordList([]), wordList(["a"]), wordList(["a", "b", "a"]), wordList(["a", "b", "c"])]).toEqual(["", "a", "a and b", "a, b and c"]);
  });

  it("keeps source excerpts on one line and short", () => {
    expect(sourceExcerpt("this.list\n      .runWrite")).toBe("this.list .runWrite");
    expect(sourceExcerpt("x".repeat(80))).toBe(`${"x".repeat(59)}…`);
  });
});
