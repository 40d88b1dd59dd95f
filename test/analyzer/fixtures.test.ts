/**
 * lock-audit over the multi-file fixture projects in fixtures/audit: every finding is marked in the
 * fixture source with `// expect: <rule>` on its line, and each case's `-clean` twin (the same code
 * done right) must produce no finding at all. Each case is analyzed once; its JSON report is held to
 * docs/cli.md's schema here too.
 */
import { join } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../analyzer/analyze.js";
import { REPORTERS } from "../../analyzer/reporters/index.js";
import type { AnalysisResult, Finding } from "../../analyzer/types.js";
import { documentedReportValidator } from "../support/report-schema.js";
import { createProgram, parsedConfig } from "../support/typecheck.js";
import { AUDIT_FIXTURES, REPO_ROOT, expectedFindings, findingKeys, fixtureCases } from "./helpers.js";

const cases = fixtureCases();
const results = new Map<string, AnalysisResult>();

beforeAll(async () => {
  for (const name of cases) results.set(name, await analyze({ project: join(AUDIT_FIXTURES, name), root: REPO_ROOT }));
});

function resultOf(name: string): AnalysisResult {
  const result = results.get(name);
  if (!result) throw new Error(`no fixture ${name}`);
  return result;
}

function only(name: string, ruleId: string, line: number): Finding {
  const matches = resultOf(name).findings.filter((finding) => finding.ruleId === ruleId && finding.location.line === line);
  expect(matches).toHaveLength(1);
  return matches[0];
}

describe("fixture projects", () => {
  it("has a clean twin for every violating case", () => {
    const violating = cases.filter((name) => !name.endsWith("-clean") && !name.startsWith("robust-"));
    expect(violating.length).toBeGreaterThanOrEqual(9);
    for (const name of violating) expect(cases).toContain(`${name}-clean`);
  });

  it("marks at least one finding of every rule somewhere", () => {
    const rules = new Set(cases.flatMap((name) => expectedFindings(name).map((key) => key.split(" ")[0])));
    expect([...rules].sort()).toEqual(["cycle", "no-recursion", "order", "suffix", "unanalyzable", "undeclared-lock"]);
  });

  it.each(cases.filter((name) => !name.endsWith("-clean")))("%s: reports exactly the marked findings", (name) => {
    const expected = expectedFindings(name);
    expect(expected.length).toBeGreaterThan(0);
    expect(findingKeys(resultOf(name).findings)).toEqual(expected);
  });

  it.each(cases.filter((name) => name.endsWith("-clean")))("%s: reports nothing", (name) => {
    expect(expectedFindings(name)).toEqual([]);
    expect(resultOf(name).findings).toEqual([]);
  });

  const validate = documentedReportValidator();
  // The report `lock-audit --format json` prints from this analysis (docs.test.ts checks that they are the same).
  it.each(cases)("%s: the JSON report matches the schema docs/cli.md documents", async (name) => {
    const report = JSON.parse(await REPORTERS.json(resultOf(name), { color: false })) as unknown;
    expect(validate(report)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it.each(cases.filter((name) => !name.startsWith("robust-")))("%s: is valid TypeScript", (name) => {
    const program = createProgram(parsedConfig(join(AUDIT_FIXTURES, name, "tsconfig.json")));
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
    expect(diagnostics).toEqual([]);
  });
});

describe("what findings say", () => {
  it("order: the chain runs from the held lock, through every call across files, down to the acquisition", () => {
    const finding = only("order-chain", "order", 18);
    expect(finding.message).toBe(
      "Calling 'refreshServices_msw', which takes ms:w, while holding gs:w (taken on line 15), but lock-order.json declares ms before gs: release gs before the call, or make the call before taking gs.",
    );
    expect(finding.function).toBe("GatewayState.syncAll_msw_gsw");
    expect(finding.locks).toEqual(["gs", "ms"]);
    expect(finding.chain.map((step) => `${step.location.file.replace("fixtures/audit/order-chain/src/", "")}:${step.location.line} ${step.message}`)).toEqual([
      "gateway.ts:15 holds gs:w from here",
      "gateway.ts:18 calls refreshServices_msw",
      "services.ts:5 calls reloadManifests_msw",
      "manifests.ts:5 calls ManagerServices.replace_msw",
      "manager.ts:9 takes ms:w",
    ]);
  });

  it("no-recursion: a callback run by Promise.all(xs.map(...)) is part of the held region", () => {
    const finding = only("recursion-callbacks", "no-recursion", 31);
    expect(finding.message).toContain("Calling 'this.add_rsw', which takes rs:w, while already holding rs:w (taken on line 28)");
    expect(finding.chain.map((step) => step.message)).toEqual(["holds rs:w from here", "calls RumorStore.add_rsw", "takes rs:w"]);
  });

  it("no-recursion in a loop names the earlier iteration", () => {
    expect(only("loop-retake", "no-recursion", 14).message).toContain("(taken here in an earlier iteration of the loop and not released)");
  });

  it("order through an interface: the message names the call as written, the chain every implementation", () => {
    const finding = only("dispatch", "order", 21);
    expect(finding.message).toMatch(/^Calling 'this\.store\.save_mlw', which takes ml:w, while holding gs:w /);
    expect(finding.chain.map((step) => step.message)).toContain("calls MemberList.save_mlw (or 1 other implementation)");
  });

  it("order inside a wrapper's callback: the wrapper call is where the lock is held", () => {
    const finding = only("wrapper", "order", 45);
    expect(finding.chain[0]).toMatchObject({ message: "holds ctl from here", location: { line: 45 } });
    const recursion = only("wrapper", "no-recursion", 54);
    expect(recursion.chain.map((step) => step.message)).toEqual([
      "holds ctl from here",
      "calls Controller.#serialized_ctl",
      "calls Controller.#withControllerLock_ctl",
      "takes ctl",
    ]);
  });

  it("mutual recursion: the chain follows the cycle back to the acquisition", () => {
    const finding = only("mutual-recursion", "no-recursion", 25);
    expect(finding.chain.map((step) => `${step.location.line} ${step.message}`)).toEqual([
      "22 holds ml:w from here",
      "25 calls MemberList.walk_mlw",
      "14 calls MemberList.visit_mlw",
      "22 takes ml:w",
    ]);
  });

  it("suffix: says what is wrong and the name to use", () => {
    const byName = new Map(resultOf("suffix").findings.map((finding) => [finding.fix?.from, finding]));
    expect(byName.get("add")?.message).toBe("'add' should be named 'add_mlw': missing ml:w; it takes ml:w, directly or through callees.");
    expect(byName.get("count_mlw")?.message).toContain("ml is written as w but taken as r");
    expect(byName.get("touch_rsw_mlw")?.message).toContain("extra rs:w");
    expect(byName.get("announce_mlw_rsw")?.message).toContain("tokens out of declared order");
    expect(Object.fromEntries([...byName].map(([from, finding]) => [from, finding.fix?.to]))).toEqual({
      add: "add_mlw",
      count_mlw: "count_mlr",
      touch_rsw_mlw: "touch_mlw",
      announce_mlw_rsw: "announce_rsw_mlw",
      "#prune": "#prune_mlw",
      create: "create_mlw",
      snapshot: "snapshot_mlr",
      onLeave: "onLeave_mlw",
      evictAll_mlr: "evictAll_mlw",
      kick: "kick_mlw",
      describe_gsw: "describe",
    });
  });

  it("suffix: overrides and implementations share their name's suffix", () => {
    // NullStore.save_mlw takes nothing and the base Journal.flush_rsw is empty: their families take the lock.
    expect(resultOf("dispatch").findings.filter((finding) => finding.ruleId === "suffix")).toEqual([]);
  });

  it("suffix: a finding in a family says the name's other functions take the locks with it", () => {
    expect(only("dispatch-siblings", "suffix", 26).message).toBe(
      "'init' should be named 'init_rsr': missing rs:r; it and the 1 other function sharing its name take rs:r, directly or through callees.",
    );
  });

  it("cycle: reported once, at one acquisition site, with every nesting of the cycle", () => {
    const cycles = resultOf("cycles").findings.filter((finding) => finding.ruleId === "cycle");
    expect(cycles.map((finding) => finding.locks)).toEqual([
      ["Cache.lock", "SearchIndex.lock"],
      ["Batch.lock", "Queue.lock", "Pool.lock"],
    ]);
    const [pair, triangle] = cycles;
    expect(pair.message).toMatch(/^lock cycle Cache\.lock → SearchIndex\.lock → Cache\.lock: /);
    expect(pair.related).toHaveLength(1);
    expect(pair.related[0]).toMatchObject({ message: "takes Cache.lock while holding SearchIndex.lock", function: "SearchIndex.purge" });
    expect(triangle.chain.filter((step) => step.message.startsWith("holds "))).toHaveLength(3);
    expect(triangle.related).toHaveLength(2);
  });

  it("no-recursion on an undeclared lock class only through `this`: a child's lock is another instance", () => {
    const finding = only("cycles", "no-recursion", 20);
    expect(finding.message).toBe(
      "Calling 'this.clear', which takes TreeNode.lock, while already holding TreeNode.lock (taken on line 19): locks are not reentrant, so this waits forever; release TreeNode.lock before the call, or call a variant that expects TreeNode.lock held.",
    );
    // TreeNode.visit holds this.lock while child.visit() takes the child's: not reported (line 13).
    expect(resultOf("cycles").findings.filter((f) => f.location.file.endsWith("tree.ts")).map((f) => f.location.line)).toEqual([20]);
  });

  it("undeclared-lock: a note, not an error", () => {
    const note = only("cycles", "undeclared-lock", 15);
    expect(note.level).toBe("note");
    expect(note.message).toBe(
      'AuditLog.lock is taken while holding ms:r, but lock-order.json does not declare it, so its order is not checked; add it with "target": "AuditLog.lock"',
    );
  });

  it("unanalyzable: notes for a file that does not parse and a module that does not resolve", () => {
    expect(only("robust-syntax", "unanalyzable", 8).message).toContain("this file does not parse (Expression expected.)");
    expect(resultOf("robust-syntax").stats.unanalyzableFiles).toBe(1);
    expect(only("robust-missing-module", "unanalyzable", 2).message).toBe('cannot resolve module "./plugins/loader.js": calls into it are not analyzed');
  });
});

describe("the lock graph", () => {
  it("has the declared order, observed nestings, and marks violating edges", () => {
    const { graph } = resultOf("cycles");
    expect(graph.order).toEqual(["ms"]); // the cycles fixture declares one lock; its other locks are undeclared
    const edges = Object.fromEntries(graph.edges.map((edge) => [`${edge.from}>${edge.to}`, edge.violation ?? "ok"]));
    expect(edges).toEqual({
      "Batch.lock>Queue.lock": "cycle",
      "Cache.lock>SearchIndex.lock": "cycle",
      "Pool.lock>Batch.lock": "cycle",
      "Queue.lock>Pool.lock": "cycle",
      "SearchIndex.lock>Cache.lock": "cycle",
      "TreeNode.lock>TreeNode.lock": "no-recursion",
      "ms>AuditLog.lock": "ok",
    });
    const firstSite = (file: string, line: number) => expect.objectContaining({ file: `fixtures/audit/cycles/src/${file}`, line });
    expect(graph.locks.find((lock) => lock.key === "Cache.lock")).toEqual({ key: "Cache.lock", declared: false, target: "Cache.lock", kind: "mutex", sites: 2, firstSite: firstSite("cache.ts", 31) });
    expect(graph.locks.find((lock) => lock.key === "ms")).toEqual({ key: "ms", declared: true, rank: 0, kind: "rwlock", target: "ManagerServices.inner", sites: 1, firstSite: expect.objectContaining({ file: expect.stringMatching(/^fixtures\/audit\/cycles\/src\//) }) });
  });

  it("marks order edges", () => {
    const edge = resultOf("order-chain").graph.edges.find((candidate) => candidate.from === "gs" && candidate.to === "ms");
    expect(edge).toMatchObject({ violation: "order", sites: 1, site: { file: "fixtures/audit/order-chain/src/gateway.ts", line: 18 } });
  });
});

describe("stats", () => {
  it("counts files, functions, lock sites and calls", () => {
    const { stats } = resultOf("order-chain");
    expect(stats.files).toBe(5);
    // The two declared locks' sites; shared/locks.ts's `KeyedLocks` keeps a `Map<string, Mutex>`,
    // but it is a lock itself (acquire and release): its map is how it works, not a lock of its own.
    expect(stats.lockSites).toBe(2);
    expect(stats.functions).toBeGreaterThanOrEqual(6);
    expect(stats.calls).toBe(stats.resolvedCalls + stats.externalCalls + stats.unresolvedCalls);
    expect(stats.resolvedCalls).toBeGreaterThan(0);
  });

  it("counts a call into a missing module as unresolved, not as a crash", () => {
    expect(resultOf("robust-missing-module").stats.unresolvedCalls).toBeGreaterThan(resultOf("robust-syntax").stats.unresolvedCalls);
  });
});
