import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findLockOrder, loadLockOrder, parseLockOrder } from "../../core/config.js";
import { buildPolicy, classifyMethod, LockOrderConfigError, parseTarget } from "../../core/policy.js";
import { NAMED_LOCK_GLOBALS } from "../../core/recognition.js";
import { tempDir } from "../support/temp.js";

const habitatJson = readFileSync(new URL("../../lock-order.json", import.meta.url), "utf8");

function errorOf(text: string): string {
  try {
    parseLockOrder(text, "/repo/lock-order.json");
  } catch (error) {
    expect(error).toBeInstanceOf(LockOrderConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("lock-order.json", () => {
  it("parses the bundled Habitat order with ranks in array order", () => {
    const policy = parseLockOrder(habitatJson, "/repo/lock-order.json");
    // The Habitat order first; fixtures may append locks of their own after it.
    expect(policy.locks.slice(0, 8).map((lock) => lock.id)).toEqual(["ms", "rs", "iml", "ml", "gs", "sm", "sbl", "rh"]);
    expect(policy.byId.get("ml")!.rank).toBe(3);
    expect(policy.byTarget.get("MemberList.entries")!.id).toBe("ml");
    expect([...policy.tokens.keys()]).toContain("rsw");
    expect(policy.tokens.has("sm")).toBe(true);
    expect(policy.tokens.has("smw")).toBe(false);
    expect(policy.byId.get("rh")!.description).toBe("Heat of each rumor, per member");
  });

  it.each([
    ['{"locks": [{"id": "Ms", "target": "A.b", "kind": "mutex"}]}', "/repo/lock-order.json: locks[0].id: does not match"],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "spin"}]}', 'locks[0].kind: must be one of "mutex", "rwlock", "keyed"'],
    ['{"locks": [{"id": "ms", "target": "no pe", "kind": "mutex"}]}', "locks[0].target: does not match"],
    ['{"locks": [{"id": "ms", "target": "DB-Adapter", "kind": "mutex"}]}', 'locks[0].target: does not match ^(?:'],
    ['{"locks": [{"id": "a", "target": "DBAdapter", "kind": "rwlock"}, {"id": "b", "target": "DBAdapter", "kind": "mutex"}]}', 'locks[1].target: duplicate target "DBAdapter"'],
    // A named lock needs a global of the table and a non-empty name.
    ['{"locks": [{"id": "ms", "target": "navigator.locks:", "kind": "mutex"}]}', "locks[0].target: does not match"],
    ['{"locks": [{"id": "ms", "target": "window.locks:cache", "kind": "mutex"}]}', "locks[0].target: does not match"],
    ['{"locks": [{"id": "a", "target": "navigator.locks:cache", "kind": "rwlock"}, {"id": "b", "target": "navigator.locks:cache", "kind": "mutex"}]}', 'locks[1].target: duplicate target "navigator.locks:cache"'],
    ['{"locks": [{"id": "ms", "kind": "mutex"}]}', "locks[0].target: is required; add \"target\""],
    ['{"locks": [], "extra": 1}', 'extra: unknown field "extra"'],
    ['{"locks": [{"id": "a", "target": "A.a", "kind": "mutex"}, {"id": "a", "target": "A.b", "kind": "mutex"}]}', 'locks[1].id: duplicate id "a" (also locks[0])'],
    ['{"locks": [{"id": "a", "target": "A.a", "kind": "mutex"}, {"id": "b", "target": "A.a", "kind": "mutex"}]}', 'locks[1].target: duplicate target "A.a"'],
    ['{"locks": [{"id": "ab", "target": "A.a", "kind": "rwlock"}, {"id": "abr", "target": "A.b", "kind": "mutex"}]}', 'locks[1].id: suffix token "abr" collides with the token of locks[0] ("ab")'],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "mutex", "methods": {"grab": ["x"]}}]}', 'locks[0].methods.grab: unknown field "grab"'],
    // A keyed lock's key order: keys only on a keyed lock, each once, as strings.
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "mutex", "keys": ["a"]}]}', 'locks[0].keys: only a keyed lock has keys (this one is a mutex); remove "keys" or make the lock "keyed"'],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "keyed", "keys": ["a", "b", "a"]}]}', 'locks[0].keys: lists "a" twice; list each key once'],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "keyed", "keys": []}]}', "locks[0].keys: must NOT have fewer than 1 items"],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "keyed", "keys": [1]}]}', "locks[0].keys[0]: must be string"],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "keyed", "keys": [""]}]}', "locks[0].keys: must be a non-empty array of keys"],
    // One-shot method lists: method names only, and only the categories there are.
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "mutex", "methods": {"atomic": ["get all"]}}]}', "locks[0].methods.atomic[0]: does not match"],
    ['{"locks": [{"id": "ms", "target": "A.b", "kind": "mutex", "methods": {"atomic": "getAll"}}]}', "locks[0].methods.atomic: must be array"],
    ['{"methods": {"atomicWrite": ["getAll"]}, "locks": []}', 'methods.atomicWrite: unknown field "atomicWrite"'],
    ['{"methods": {"atomicRead": [1]}, "locks": []}', "methods.atomicRead[0]: must be string"],
    ['{"locks": [\n  {"id": "ms",\n  }\n]}', "/repo/lock-order.json: line 3, column 3: is not valid JSON"],
  ])("reports %s as one line naming file, path and fix", (text, expected) => {
    const message = errorOf(text);
    expect(message).toContain(expected);
    expect(message.startsWith("/repo/lock-order.json: ")).toBe(true);
    expect(message).not.toContain("\n");
    expect(message).toMatch(/; \S/); // a fix follows the problem
  });

  it("reports several problems together, one line each, up to ten", () => {
    const locks = Array.from({ length: 12 }, (_, i) => ({ id: `L${i}`, target: "A.b", kind: "mutex" }));
    const text = JSON.stringify({ locks: [{ id: "ok", target: "A.a", kind: "spin" }, { id: "x", kind: "mutex" }, ...locks] });
    const lines = errorOf(text).split("\n");
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('/repo/lock-order.json: locks[0].kind: must be one of "mutex", "rwlock", "keyed"; use one of those values');
    expect(lines[1]).toBe('/repo/lock-order.json: locks[1].target: is required; add "target"');
    for (const line of lines) expect(line).toMatch(/^\/repo\/lock-order\.json: locks\[\d+\]\.\w+: .+; \S/);
    // Semantic problems of several entries, after the schema passed.
    const semantic = errorOf(
      JSON.stringify({
        locks: [
          { id: "a", target: "A.a", kind: "mutex" },
          { id: "a", target: "A.b", kind: "mutex" },
          { id: "c", target: "A.a", kind: "mutex" },
        ],
      }),
    ).split("\n");
    expect(semantic).toEqual([
      '/repo/lock-order.json: locks[1].id: duplicate id "a" (also locks[0]); give each lock its own id',
      '/repo/lock-order.json: locks[2].target: duplicate target "A.a" (also locks[0]); declare each lock object once',
    ]);
  });

  it("parses member, private member and module targets", () => {
    expect(parseTarget("Server.member")).toEqual({ kind: "member", className: "Server", member: "member", isPrivate: false });
    expect(parseTarget("Server.#member")).toEqual({ kind: "member", className: "Server", member: "member", isPrivate: true });
    expect(parseTarget("./src/locks.ts#registryLock")).toEqual({ kind: "module", modulePath: "src/locks.ts", exportName: "registryLock" });
    // A bare identifier names a type: every value of it (or of a subtype) is the lock.
    expect(parseTarget("DBAdapter")).toEqual({ kind: "type", typeName: "DBAdapter" });
    expect(parseTarget("DB Adapter")).toBeUndefined();
    expect(parseTarget("DB-Adapter")).toBeUndefined();
    expect(buildPolicy({ locks: [{ id: "db", target: "DBAdapter", kind: "rwlock" }] }).byTarget.get("DBAdapter")?.parsedTarget).toEqual({ kind: "type", typeName: "DBAdapter" });
    expect(() => buildPolicy({ locks: [{ id: "db", target: "DB Adapter", kind: "rwlock" }] })).toThrow(/locks\[0\]\.target: "DB Adapter" is not a lock target; write .*"TypeName"/);
  });

  it("parses a named lock of a global lock manager (Web Locks): the name is everything after the first colon", () => {
    expect(parseTarget("navigator.locks:cache")).toEqual({ kind: "named", global: "navigator.locks", name: "cache" });
    expect(parseTarget("navigator.locks:sync:v2 #1")).toEqual({ kind: "named", global: "navigator.locks", name: "sync:v2 #1" });
    expect(parseTarget("navigator.locks:")).toBeUndefined();
    expect(parseTarget("navigator.lock:cache")).toBeUndefined();
    // The schema accepts what buildPolicy accepts, and buildPolicy says how to write one.
    expect(buildPolicy({ locks: [{ id: "wc", target: "navigator.locks:cache", kind: "rwlock" }] }).byTarget.get("navigator.locks:cache")?.id).toBe("wc");
    expect(() => buildPolicy({ locks: [{ id: "wc", target: "navigator.locks:", kind: "rwlock" }] })).toThrow(/or "navigator\.locks:<name>"/);
    for (const global of NAMED_LOCK_GLOBALS) {
      expect(parseLockOrder(JSON.stringify({ locks: [{ id: "wc", target: `${global}:cache`, kind: "rwlock" }] }), "/repo/lock-order.json").locks[0].parsedTarget.kind).toBe("named");
    }
  });

  it("applies method overrides per lock and globally; read methods are exclusive on a mutex", () => {
    const policy = buildPolicy({
      methods: { write: ["grab"] },
      locks: [
        { id: "a", target: "A.a", kind: "mutex" },
        { id: "b", target: "B.b", kind: "rwlock", methods: { read: ["peek"], release: ["letGo"] } },
      ],
    });
    const [a, b] = policy.locks;
    expect(classifyMethod(a, "grab")).toBe("write");
    expect(classifyMethod(a, "acquire")).toBeUndefined();
    expect(classifyMethod(a, "read")).toBe("write");
    expect(classifyMethod(b, "peek")).toBe("read");
    expect(classifyMethod(b, "read")).toBeUndefined();
    expect(classifyMethod(b, "letGo")).toBe("release");
    expect(classifyMethod(b, "release")).toBeUndefined();
  });

  it("classifies one-shot methods (methods.atomic, methods.atomicRead): shared only on an rwlock, ahead of the acquiring lists", () => {
    const policy = buildPolicy({
      methods: { atomic: ["execute"] },
      locks: [
        { id: "a", target: "A.a", kind: "mutex", methods: { atomicRead: ["getAll"] } },
        { id: "b", target: "B.b", kind: "rwlock", methods: { atomicRead: ["getAll"], atomic: ["lock"] } },
        { id: "c", target: "C.c", kind: "keyed", methods: { atomicRead: ["getAll"] } },
      ],
    });
    const [a, b, c] = policy.locks;
    expect(classifyMethod(a, "execute")).toBe("atomic");
    expect(classifyMethod(a, "getAll")).toBe("atomic");
    expect(classifyMethod(b, "getAll")).toBe("atomicRead");
    expect(classifyMethod(c, "getAll")).toBe("atomic");
    // `lock` is a default write method; named one-shot on this lock, it is one-shot.
    expect(classifyMethod(b, "lock")).toBe("atomic");
    expect(classifyMethod(b, "execute")).toBeUndefined();
    expect(classifyMethod(a, "acquire")).toBe("write");
    // buildPolicy (the runtime's defineLockOrder) checks the categories too.
    expect(() => buildPolicy({ methods: { atomicWrite: ["x"] }, locks: [] })).toThrow(/methods\.atomicWrite: unknown method category "atomicWrite"; use "write", "read", "release", "atomic", "atomicRead"/);
    expect(() => buildPolicy({ methods: { atomic: ["a b"] }, locks: [] })).toThrow(/methods\.atomic: must be an array of method names/);
  });

  it("finds the nearest lock-order.json walking up and reloads it after a change", () => {
    const root = tempDir("lock-order-");
    const file = join(root, "lock-order.json");
    writeFileSync(file, '{"locks": [{"id": "a", "target": "A.a", "kind": "mutex"}]}');
    const nested = join(root, "src", "deep");
    expect(findLockOrder(nested)).toBe(file);
    expect(loadLockOrder(file).locks.map((lock) => lock.id)).toEqual(["a"]);
    writeFileSync(file, '{"locks": [{"id": "a", "target": "A.a", "kind": "mutex"}, {"id": "bb", "target": "B.b", "kind": "mutex"}]}');
    expect(loadLockOrder(file).locks.map((lock) => lock.id)).toEqual(["a", "bb"]);
    expect(() => loadLockOrder(join(root, "missing.json"))).toThrow(/missing\.json: cannot be read/);
  });
});
