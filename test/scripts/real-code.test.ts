/** The pure parts of bench/real-code.js (no checkouts needed). */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { countFindings, eslintByRule, invertOrder, lockOrderFile, matchLocks, matchNestingSites } from "../../bench/real-code/lib.js";

const dataDir = new URL("../../bench/real-code/", import.meta.url);
const span = (file: string, line: number) => ({ file, line, column: 1, endLine: line, endColumn: 2 });

describe("bench/real-code lib", () => {
  const locks = [
    { name: "A.#outer", id: "ao", kind: "mutex" as const },
    { name: "B.inner", id: "bi", kind: "rwlock" as const },
  ];

  it("writes a lock-order.json in the given order and inverts it", () => {
    expect(lockOrderFile(locks, ["A.#outer", "B.inner"]).locks).toEqual([
      { id: "ao", target: "A.#outer", kind: "mutex" },
      { id: "bi", target: "B.inner", kind: "rwlock" },
    ]);
    expect(lockOrderFile(locks, invertOrder(["A.#outer", "B.inner"])).locks.map((l) => l.id)).toEqual(["bi", "ao"]);
    expect(() => lockOrderFile(locks, ["C.x"])).toThrow(/C\.x/);
  });

  it("does not invert in place", () => {
    const order = ["a", "b", "c"];
    expect(invertOrder(order)).toEqual(["c", "b", "a"]);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("matches lock names exactly (#private is part of the name)", () => {
    expect(matchLocks(["A.#outer", "B.inner"], ["A.outer", "B.inner", "C.x"])).toEqual({ found: ["B.inner"], missed: ["A.#outer"], extra: ["A.outer", "C.x"] });
  });

  it("counts a nesting site reported at an order finding's location or chain", () => {
    const findings = [
      { ruleId: "order", level: "error", location: span("src/a.ts", 10), chain: [{ location: span("src/a.ts", 8) }, { location: span("src/b.ts", 3) }] },
      { ruleId: "suffix", level: "error", location: span("src/c.ts", 5), chain: [] },
    ];
    expect(matchNestingSites(["src/a.ts:10", "src/b.ts:3", "src/c.ts:5"], findings)).toEqual({ reported: ["src/a.ts:10", "src/b.ts:3"], missed: ["src/c.ts:5"] });
  });

  it("separates false findings from suffix findings and ignores suppressed ones", () => {
    const findings = [
      { ruleId: "order", level: "error", location: span("a.ts", 1) },
      { ruleId: "cycle", level: "error", location: span("a.ts", 2), suppressed: { justification: "x" } },
      { ruleId: "suffix", level: "error", location: span("a.ts", 3) },
      { ruleId: "unanalyzable", level: "note", location: span("a.ts", 4) },
    ];
    const counts = countFindings(findings);
    expect(counts.falseFindings.map((f) => f.location.line)).toEqual([1]);
    expect(counts.suffix).toBe(1);
  });

  it("counts ESLint messages by rule", () => {
    expect(eslintByRule([{ messages: [{ ruleId: "lock-discipline/suffix" }, { ruleId: "lock-discipline/suffix" }, { ruleId: null, fatal: true }] }])).toEqual({
      "lock-discipline/suffix": 2,
      "parse-error": 1,
    });
  });

  it("has data files whose orders and nesting sites name their own locks", () => {
    for (const file of readdirSync(dataDir).filter((f) => f.endsWith(".json"))) {
      const data = JSON.parse(readFileSync(new URL(file, dataDir), "utf8"));
      for (const pkg of data.packages) {
        const names = new Set(pkg.locks.map((l: { name: string }) => l.name));
        expect([...pkg.order].sort()).toEqual([...names].sort());
        expect(new Set(pkg.locks.map((l: { id: string }) => l.id)).size).toBe(pkg.locks.length);
        for (const n of pkg.nesting) {
          expect(names.has(n.held) && names.has(n.taken)).toBe(true);
          expect(pkg.order.indexOf(n.held)).toBeLessThan(pkg.order.indexOf(n.taken));
          expect(n.site).toMatch(/^[^:]+\.ts:\d+$/);
        }
        lockOrderFile(pkg.locks, pkg.order);
      }
    }
  });
});
