/**
 * The incremental engine (analyzer/engine.ts) against cold runs: random edits to a small generated
 * project (bench/generate-project.js) — a lock acquisition or a call added or removed, two of them
 * swapped, a file's lines moved down (its sites move, no summary changes), a function renamed to or
 * from its suffix (in every file, or only where it is declared), the declared type of a value that
 * every module calls into changed —
 * and after each edit the engine's update must equal a fresh `analyze()` of the files on disk:
 * findings, graph and every statistic but the duration. Then that updates stay small: a body edit
 * re-extracts one file, and only a declaration change reaches the files that import it; that checks are
 * re-run only for the units whose inputs changed, and still for a caller whose finding's chain runs
 * through a callee that moved.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the generator is plain JavaScript without types
import { generateProject } from "../../bench/generate-project.js";
import { analyze } from "../../analyzer/analyze.js";
import { AnalysisEngine } from "../../analyzer/engine.js";
import type { AnalysisResult } from "../../analyzer/types.js";
import { tempDir } from "../support/temp.js";
import { REPO_ROOT } from "./helpers.js";

const MODULES = 4;

/** What a cold run and an update must agree on: everything but the time it took. */
function comparable(result: AnalysisResult): unknown {
  const { durationMs: _duration, ...stats } = result.stats;
  return { ...result, stats };
}

type Edit =
  | { op: "insert"; module: number; method: number; snippet: number }
  | { op: "remove"; module: number; which: number }
  | { op: "swap"; module: number }
  | { op: "shift"; module: number }
  | { op: "rename"; module: number; method: number; everywhere: boolean }
  | { op: "unrename"; module: number; method: number }
  | { op: "retype" };

const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), module: fc.nat(MODULES - 1), method: fc.nat(9), snippet: fc.nat(5) }),
  fc.record({ op: fc.constant("remove" as const), module: fc.nat(MODULES - 1), which: fc.nat(9) }),
  fc.record({ op: fc.constant("swap" as const), module: fc.nat(MODULES - 1) }),
  fc.record({ op: fc.constant("shift" as const), module: fc.nat(MODULES - 1) }),
  fc.record({ op: fc.constant("rename" as const), module: fc.nat(MODULES - 1), method: fc.nat(9), everywhere: fc.boolean() }),
  fc.record({ op: fc.constant("unrename" as const), module: fc.nat(MODULES - 1), method: fc.nat(9) }),
  fc.record({ op: fc.constant("retype" as const) }),
);

const MARK = "/*edit*/";

/** The project's files as text, edited in memory and written back. */
class EditableProject {
  readonly files = new Map<string, string>();
  /** Base name → the suffixed name it had, for functions renamed to their base name. */
  private readonly renamed = new Map<string, string>();

  constructor(readonly dir: string) {
    for (const name of ["habitat.ts", "locks.ts", ...Array.from({ length: MODULES }, (_, i) => `m${i}.ts`)]) {
      const path = join(dir, "src", name);
      this.files.set(path, readFileSync(path, "utf8"));
    }
  }

  private modulePath(index: number): string {
    return join(this.dir, "src", `m${index}.ts`);
  }

  /** The async methods of module `index`'s class, in order. */
  private methods(index: number): string[] {
    const text = this.files.get(this.modulePath(index))!;
    return [...text.matchAll(/^ {2}async (\w+)\(/gm)].map((match) => match[1]);
  }

  /** Applies an edit; returns the files it changed (none when it does not apply). */
  apply(edit: Edit): string[] {
    if (edit.op === "retype") {
      // A declared type every module's calls depend on, in a file none of them is: `any` leaves
      // `memberList.insert_mlw(…)` unresolved, and the annotation gone resolves it again.
      const habitat = join(this.dir, "src", "habitat.ts");
      const text = this.files.get(habitat)!;
      const next = text.includes("memberList: any") ? text.replace("memberList: any", "memberList") : text.replace("export const memberList", "export const memberList: any");
      this.files.set(habitat, next);
      writeFileSync(habitat, next);
      return [habitat];
    }
    const path = this.modulePath(edit.module);
    const text = this.files.get(path)!;
    const changed = new Map<string, string>();
    switch (edit.op) {
      case "insert": {
        const methods = this.methods(edit.module);
        const method = methods[edit.method % methods.length];
        const previous = edit.module > 0 ? this.methods(edit.module - 1).find((name) => name.startsWith("get")) : undefined;
        const previousSync = edit.module > 0 ? this.methods(edit.module - 1).find((name) => name.startsWith("sync")) : undefined;
        const snippets = [
          "await this.state.runExclusive(async () => {});",
          'await rumorHeat.bump_rh("e");',
          'await memberList.insert_mlw("e", "e");',
          // Under this module's lock, a call that takes the previous module's: against the order.
          previous ? `await this.state.runExclusive(async () => { await this.previous.${previous}("n"); });` : "await this.state.runExclusive(async () => {});",
          'const release = await this.state.acquire(); release();',
          // The same through the previous module's sync, which takes the one before it: a chain two files deep.
          previousSync ? `await this.state.runExclusive(async () => { await this.previous.${previousSync}([]); });` : "await this.state.runExclusive(async () => {});",
        ];
        const line = `    ${MARK} ${snippets[edit.snippet % snippets.length]}\n`;
        const at = new RegExp(`^ {2}async ${method}\\([^\\n]*\\{\\n`, "m").exec(text);
        if (!at) return [];
        changed.set(path, text.slice(0, at.index + at[0].length) + line + text.slice(at.index + at[0].length));
        break;
      }
      case "remove": {
        const lines = text.split("\n");
        const marked = lines.flatMap((line, i) => (line.includes(MARK) ? [i] : []));
        if (marked.length === 0) return [];
        lines.splice(marked[edit.which % marked.length], 1);
        changed.set(path, lines.join("\n"));
        break;
      }
      case "shift": {
        // Every site of the file moves down a line, no summary changes: callers' chains must follow.
        changed.set(path, `// ${MARK.slice(2, -2)}\n${text}`);
        break;
      }
      case "swap": {
        const lines = text.split("\n");
        const marked = lines.flatMap((line, i) => (line.includes(MARK) ? [i] : []));
        if (marked.length < 2) return [];
        [lines[marked[0]], lines[marked[1]]] = [lines[marked[1]], lines[marked[0]]];
        changed.set(path, lines.join("\n"));
        break;
      }
      case "rename": {
        const suffixed = this.methods(edit.module).filter((name) => name.includes("_"));
        if (suffixed.length === 0) return [];
        const name = suffixed[edit.method % suffixed.length];
        const base = name.slice(0, name.indexOf("_"));
        this.renamed.set(`${edit.module}:${base}`, name);
        const pattern = new RegExp(`\\b${name}\\b`, "g");
        for (const [file, content] of this.files) {
          if (!edit.everywhere && file !== path) continue;
          const next = content.replace(pattern, base);
          if (next !== content) changed.set(file, next);
        }
        break;
      }
      case "unrename": {
        const bare = this.methods(edit.module).filter((name) => this.renamed.has(`${edit.module}:${name}`));
        if (bare.length === 0) return [];
        const base = bare[edit.method % bare.length];
        const name = this.renamed.get(`${edit.module}:${base}`)!;
        this.renamed.delete(`${edit.module}:${base}`);
        changed.set(path, text.replace(new RegExp(`^( {2}async )${base}\\(`, "m"), `$1${name}(`));
        // Callers renamed with it get their old name back too.
        for (const [file, content] of this.files) {
          if (file === path) continue;
          const next = content.replace(new RegExp(`(\\.)${base}\\(`, "g"), `$1${name}(`);
          if (next !== content) changed.set(file, next);
        }
        break;
      }
    }
    for (const [file, content] of changed) {
      this.files.set(file, content);
      writeFileSync(file, content);
    }
    return [...changed.keys()];
  }
}

function freshProject(): string {
  const dir = join(tempDir("lock-audit-engine-"), "project");
  generateProject({ dir, modules: MODULES });
  return dir;
}

describe("AnalysisEngine", () => {
  it("after every random edit, an update reports exactly what a cold analyze() of the same files does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(editArbitrary, { minLength: 1, maxLength: 5 }), async (edits) => {
        const dir = freshProject();
        const project = new EditableProject(dir);
        const engine = new AnalysisEngine({ project: dir });
        expect(comparable(engine.update())).toEqual(comparable(await analyze({ project: dir })));
        for (const edit of edits) {
          const changed = project.apply(edit);
          const updated = engine.update(changed);
          expect(comparable(updated), JSON.stringify(edit)).toEqual(comparable(await analyze({ project: dir })));
        }
      }),
      { numRuns: 6 },
    );
  }, 600_000);

  it("a body edit re-extracts that file alone; renaming an exported method re-extracts its importers", async () => {
    const dir = freshProject();
    const project = new EditableProject(dir);
    const engine = new AnalysisEngine({ project: dir });
    const cold = engine.update();
    expect(engine.info.cold).toBe(true);
    const files = cold.stats.files;

    const body = project.apply({ op: "insert", module: 1, method: 0, snippet: 3 });
    const afterBody = engine.update(body);
    expect(engine.info).toMatchObject({ cold: false, extracted: 1 });
    // The new call under module 1's lock takes module 0's lock: an order finding in m1.ts.
    expect(afterBody.findings.filter((finding) => finding.ruleId === "order" && finding.location.file === "src/m1.ts")).toHaveLength(1);
    expect(comparable(afterBody)).toEqual(comparable(await analyze({ project: dir })));

    const rename = project.apply({ op: "rename", module: 1, method: 0, everywhere: false });
    const afterRename = engine.update(rename);
    expect(engine.info.cold).toBe(false);
    // m1.ts itself, and m2.ts, which imports it (the Audit classes reach further, through m2's types).
    expect(engine.info.extracted).toBeGreaterThan(1);
    expect(engine.info.extracted).toBeLessThan(files);
    expect(comparable(afterRename)).toEqual(comparable(await analyze({ project: dir })));

    // Nothing changed: nothing is extracted or recomputed.
    engine.update([join(dir, "src", "m1.ts")]);
    expect(engine.info).toMatchObject({ extracted: 0, recomputed: 0 });

    // A global augmentation reaches files that do not import it: that starts over.
    const m3 = join(dir, "src", "m3.ts");
    writeFileSync(m3, `${readFileSync(m3, "utf8")}\ndeclare global {\n  interface Edited3 {\n    id: string;\n  }\n}\n`);
    const augmented = engine.update([m3]);
    expect(engine.info.cold).toBe(true);
    expect(comparable(augmented)).toEqual(comparable(await analyze({ project: dir })));
  }, 120_000);

  it("re-checks only the units whose inputs changed, and the callers whose findings' chains run through a changed callee", async () => {
    const dir = freshProject();
    const m1 = join(dir, "src", "m1.ts");
    const m3 = join(dir, "src", "m3.ts");
    // In m3, under m3's lock, a call of m2's sync_m1r_m2, which takes m1 through m1's get_m1r: an
    // order finding whose chain runs through m2.ts down to m1.ts.
    writeFileSync(m3, readFileSync(m3, "utf8").replace(/^( {2}async get_\w+\([^\n]*\{\n)/m, `$1    await this.state.runWrite(async () => { await this.previous.sync_m1r_m2([]); });\n`));
    const engine = new AnalysisEngine({ project: dir });
    const before = engine.update();
    const units = engine.info.rechecked;
    const chainOf = (result: AnalysisResult) => result.findings.find((finding) => finding.ruleId === "order" && finding.location.file === "src/m3.ts")?.chain ?? [];
    expect(chainOf(before).map((step) => step.location.file)).toEqual(["src/m3.ts", "src/m3.ts", "src/m2.ts", "src/m1.ts"]);

    // Lines added above get_m1r move where it takes m1, and nothing else: get_m1r's summary stays
    // the same, so sync_m1r_m2 (its caller) is recomputed, but m3's function is not; its finding
    // must still follow the new chain.
    const text = readFileSync(m1, "utf8");
    writeFileSync(m1, text.replace("export interface Entry1", "// moved\n// down\nexport interface Entry1"));
    const moved = engine.update([m1]);
    expect(engine.info).toMatchObject({ cold: false, extracted: 1 });
    expect(chainOf(moved).at(-1)!.location.line).toBe(chainOf(before).at(-1)!.location.line + 2);
    expect(comparable(moved)).toEqual(comparable(await analyze({ project: dir })));
    // m1's units, the callers whose chains read them, the suffix groups of m1's named functions: a small part.
    expect(engine.info.rechecked).toBeGreaterThan(0);
    expect(engine.info.rechecked).toBeLessThan(units / 4);

    // A body edit in m1 that makes get_m1r take another lock changes its callers' summaries: their suffix findings follow.
    writeFileSync(m1, text.replace(/^( {2}async get_m1r\([^\n]*\{\n)/m, '$1    await rumorHeat.bump_rh("e");\n'));
    const taking = engine.update([m1]);
    expect(taking.findings.some((finding) => finding.ruleId === "suffix" && finding.location.file === "src/m2.ts")).toBe(true);
    expect(comparable(taking)).toEqual(comparable(await analyze({ project: dir })));
  }, 120_000);

  it("follows unsaved text (overlays) and goes back to the file on disk when it is dropped", async () => {
    const dir = freshProject();
    const engine = new AnalysisEngine({ project: dir });
    const onDisk = engine.update();
    const file = join(dir, "src", "m2.ts");
    const text = readFileSync(file, "utf8").replace(/^( {2}async get_\w+\([^\n]*\{\n)/m, `$1    await this.state.runExclusive(async () => { await this.previous.get_m1r("x"); });\n`);
    engine.setOverlay(file, text);
    const edited = engine.update();
    expect(edited.findings.some((finding) => finding.ruleId === "order" && finding.location.file === "src/m2.ts")).toBe(true);
    expect(comparable(edited)).toEqual(comparable(await analyze({ project: dir, overlays: new Map([[file, text]]) })));
    engine.setOverlay(file, undefined);
    expect(comparable(engine.update())).toEqual(comparable(onDisk));
  }, 120_000);
  it("an object literal that comes to implement an interface, and a function stored in a collection, reach callers in files that do not import them", async () => {
    const dir = tempDir("lock-audit-engine-dispatch-");
    const write = (name: string, text: string): string => {
      const path = join(dir, "src", name);
      writeFileSync(path, text);
      return path;
    };
    mkdirSync(join(dir, "src"));
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify({ locks: [{ id: "ca", target: "Cache.lock", kind: "mutex" }, { id: "db", target: "Db.lock", kind: "mutex" }] }));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ["src"] }),
    );
    write(
      "store.ts",
      `import { Mutex } from "async-mutex";
export interface Store { put_ca(): Promise<void> }
export class Cache {
  readonly lock = new Mutex();
  readonly handlers: (() => Promise<void>)[] = [];
}
`,
    );
    // A function of that name already: the literal's member below adds no name new to the program.
    const factory = write("factory.ts", `export function put_ca(): void {}\n`);
    write(
      "db.ts",
      `import { Mutex } from "async-mutex";
import type { Cache, Store } from "./store.js";
export class Db {
  readonly lock = new Mutex();
  constructor(private readonly store: Store, private readonly cache: Cache) {}
  async save_ca_db(): Promise<void> {
    await this.lock.runExclusive(async () => {
      await this.store.put_ca();
      for (const handler of this.cache.handlers) await handler();
    });
  }
}
`,
    );
    const engine = new AnalysisEngine({ project: dir });
    const before = engine.update();
    expect(before.findings.filter((finding) => finding.ruleId === "order")).toEqual([]);
    const factoryText = (stores: boolean): string => `import type { Cache, Store } from "./store.js";
export function put_ca(): void {}
export function cachedStore(cache: Cache): Store {
  ${stores ? "cache.handlers.push(async () => { await cache.lock.runExclusive(async () => undefined); });" : ""}
  return { put_ca: async () => { await cache.lock.runExclusive(async () => undefined); } };
}
`;
    const orderLines = (result: AnalysisResult): number[] => result.findings.filter((finding) => finding.ruleId === "order").map((finding) => finding.location.line);
    // db.ts does not import factory.ts: it is extracted again because it asked about `put_ca`, then about `handlers`.
    write("factory.ts", factoryText(false));
    const implemented = engine.update([factory]);
    expect(engine.info).toMatchObject({ cold: false, extracted: 2 });
    expect(orderLines(implemented)).toEqual([8]);
    expect(comparable(implemented)).toEqual(comparable(await analyze({ project: dir })));
    write("factory.ts", factoryText(true));
    const stored = engine.update([factory]);
    expect(engine.info).toMatchObject({ cold: false, extracted: 2 });
    expect(orderLines(stored)).toEqual([8, 9]);
    expect(comparable(stored)).toEqual(comparable(await analyze({ project: dir })));
  }, 120_000);
});
