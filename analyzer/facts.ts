/**
 * Per-file facts in a plain, serializable form, and their in-memory (linked) form.
 *
 * The extractor lowers each unit against the live program (compiler nodes, the type checker); what
 * the later phases need of that is recorded here as data: every unit under a stable id (file +
 * qualified name), its step program with sites as indexes into the file's site table (spans and the
 * few words messages quote), call targets as unit ids, locks by key. Nothing in a `FileFacts` points
 * into a program, so it can be kept across program rebuilds, compared, and written to the cache.
 *
 * `linkFile` turns the data into the objects summaries and checks run on: one `Site` object per site
 * (core/flow.ts compares nodes by identity) and callees pointing at `FactUnit` objects, which keep
 * their identity across updates (a unit re-linked under the same id is the same object).
 */
import type { CallbackArgument, FlagValue, LockRef, Step } from "../core/flow.js";
import type { DeclaredLock, LockKind, Policy } from "../core/policy.js";
import type { UnitKind } from "./functions.js";
import type { CallCounts } from "./resolve.js";
import type { SourceSpan } from "./types.js";

// ---- the serializable form ----

export interface LockData {
  readonly key: string;
  /** The declared lock's id (looked up in the policy when linked). */
  readonly declared?: string;
  readonly kind?: LockKind;
  readonly parameter?: { readonly index: number; readonly owner: string };
}

export type FlagValueData =
  | { readonly kind: "literal"; readonly value: boolean }
  | { readonly kind: "object"; readonly fields: readonly (readonly [string, FlagValueData])[]; readonly closed: boolean; readonly spread?: { readonly parameter: number; readonly path: readonly string[] } }
  | { readonly kind: "forward"; readonly from: { readonly parameter: number; readonly path: readonly string[] } }
  | { readonly kind: "unknown" };

export type CalleeData =
  | { readonly kind: "functions"; readonly targets: readonly string[]; readonly lockArguments?: readonly (readonly [number, LockData])[] }
  | { readonly kind: "parameter"; readonly index: number }
  | { readonly kind: "unknown" };

/** A step program with sites as indexes into the file's site table. */
export type StepData = Record<string, unknown> & { readonly type: string };

export interface UnitFactsData {
  readonly steps: readonly StepData[];
  /** Ids of every unit a call in the body may reach. */
  readonly callees: readonly string[];
  /** Sites inside task boundaries. */
  readonly spawn: readonly number[];
  readonly acquires: boolean;
  readonly invokesParameter: boolean;
  readonly flagSensitive: boolean;
}

export interface UnitData {
  /** `src/store.ts#MemberList.insert_mlw`; a second unit with the same label in the file gets `@2`, and so on. */
  readonly id: string;
  readonly kind: UnitKind;
  readonly label: string;
  readonly name?: string;
  /** Where the name is written. */
  readonly nameSite?: number;
  /** The name, else the function itself (where notes about the unit point). */
  readonly site: number;
  /** The class or object literal it is a member of (its position in the file: accessors pair up within one). */
  readonly container?: number;
  readonly facts?: UnitFactsData;
  readonly unanalyzable?: string;
}

export interface SuppressionData {
  readonly location: SourceSpan;
  readonly rules: readonly string[];
  readonly reason: string | undefined;
}

export interface FileFacts {
  /** Absolute path. */
  readonly fileName: string;
  /** Relative to the analysis root, `/`-separated (finding paths, unit ids). */
  readonly path: string;
  /** Per site: start, end, line, column, endLine, endColumn (1-based lines and columns). */
  readonly sites: readonly number[];
  /** Site index → the source text a message quotes for it (the callee of a call, the acquisition). */
  readonly texts: Readonly<Record<number, string>>;
  /** Sites that act on the current instance (`this.lock.acquire()`, `this.visit()`). */
  readonly thisRooted: readonly number[];
  readonly units: readonly UnitData[];
  readonly lockSites: number;
  readonly calls: CallCounts;
  readonly suppressions: readonly SuppressionData[];
  /** Module specifiers of this file that resolve to nothing. */
  readonly unresolvedModules: readonly { readonly specifier: string; readonly location: SourceSpan }[];
  /** Set when the file does not parse (it then has no units). */
  readonly unparsable?: { readonly message: string; readonly location: SourceSpan };
}

// ---- the linked form ----

/** A site of the program: where a step happens. `pos`/`end` as in the file's text. */
export interface Site {
  readonly pos: number;
  readonly end: number;
  readonly span: SourceSpan;
  readonly text?: string;
  readonly thisRooted: boolean;
}

export type LinkedCallee =
  | { readonly kind: "functions"; readonly targets: readonly FactUnit[]; readonly lockArguments?: ReadonlyMap<number, LockRef> }
  | { readonly kind: "parameter"; readonly index: number }
  | { readonly kind: "unknown" };

export type FactStep = Step<Site, LinkedCallee>;

export interface LinkedFacts {
  readonly steps: readonly FactStep[];
  readonly callees: Set<FactUnit>;
  readonly spawnNodes: Set<Site>;
  readonly acquires: boolean;
  readonly invokesParameter: boolean;
  readonly flagSensitive: boolean;
}

/** A unit as summaries and checks see it. Mutable so that a unit re-linked under the same id keeps its identity. */
export interface FactUnit {
  id: string;
  kind: UnitKind;
  label: string;
  name?: string;
  nameSite?: Site;
  site: Site;
  /** `path#position` of its class or object literal. */
  container?: string;
  /** The relative path of its file. */
  file: string;
  facts?: LinkedFacts;
  unanalyzable?: string;
  /** Still part of the program (false once its file no longer has it). */
  live: boolean;
}

export function siteSpan(facts: FileFacts, index: number): SourceSpan {
  const at = index * 6;
  const s = facts.sites;
  return { file: facts.path, line: s[at + 2], column: s[at + 3], endLine: s[at + 4], endColumn: s[at + 5] };
}

function linkSites(facts: FileFacts): Site[] {
  const thisRooted = new Set(facts.thisRooted);
  const sites: Site[] = [];
  for (let i = 0; i * 6 < facts.sites.length; i += 1) {
    const text = facts.texts[i];
    sites.push({ pos: facts.sites[i * 6], end: facts.sites[i * 6 + 1], span: siteSpan(facts, i), ...(text === undefined ? {} : { text }), thisRooted: thisRooted.has(i) });
  }
  return sites;
}

export function linkLock(data: LockData, policy: Policy): LockRef {
  const declared: DeclaredLock | undefined = data.declared === undefined ? undefined : policy.byId.get(data.declared);
  if (data.declared !== undefined && !declared) throw new Error(`facts name lock ${data.declared}, which the lock order does not declare`);
  return {
    key: data.key,
    ...(declared ? { declared } : {}),
    ...(data.kind === undefined ? {} : { kind: data.kind }),
    ...(data.parameter ? { parameter: { index: data.parameter.index, owner: data.parameter.owner } } : {}),
  };
}

function linkFlag(data: FlagValueData): FlagValue {
  if (data.kind !== "object") return data;
  return { kind: "object", fields: new Map(data.fields.map(([name, field]) => [name, linkFlag(field)])), closed: data.closed, ...(data.spread ? { spread: data.spread } : {}) };
}

const STEP_LISTS = ["body", "block", "handler", "finalizer"] as const;

/**
 * Maps a step program from one form to the other: sites, locks, callees and flag arguments by the
 * given functions, every other field copied as it is (so fields the lowering adds travel unchanged).
 */
export function mapSteps<A, B>(
  steps: readonly Record<string, unknown>[],
  map: { node(node: A, type: string): unknown; lock(lock: unknown): unknown; callee(callee: unknown): unknown; flags(flags: unknown): unknown },
): B[] {
  return steps.map((step) => {
    const out: Record<string, unknown> = { ...step };
    if ("node" in step) out.node = map.node(step.node as A, step.type as string);
    if (step.lock !== undefined) out.lock = map.lock(step.lock);
    if (step.callee !== undefined) out.callee = map.callee(step.callee);
    if (step.flagArguments !== undefined) out.flagArguments = map.flags(step.flagArguments);
    for (const list of STEP_LISTS) if (step[list] !== undefined) out[list] = mapSteps(step[list] as Record<string, unknown>[], map);
    if (step.arms !== undefined) out.arms = (step.arms as Record<string, unknown>[][]).map((arm) => mapSteps(arm, map));
    if (step.callbacks !== undefined) {
      out.callbacks = (step.callbacks as CallbackArgument<unknown, unknown>[]).map((callback) => ({ ...callback, body: mapSteps(callback.body as unknown as Record<string, unknown>[], map) }));
    }
    return out as B;
  });
}

/**
 * Links one file's units into `units` (id → unit, shared by the whole program): existing objects are
 * updated in place. Returns the second half, which links their facts: call it once every file of
 * the update has its units in place, so that calls between them resolve. `resolve` finds a call
 * target by id; a target that is not there is left out (the engine re-extracts every file that
 * could name a unit that is gone).
 */
export function linkFile(facts: FileFacts, policy: Policy, units: Map<string, FactUnit>, resolve: (id: string) => FactUnit | undefined): () => FactUnit[] {
  const sites = linkSites(facts);
  const linked: FactUnit[] = [];
  // Units first, so calls between units of this file resolve.
  for (const data of facts.units) {
    let unit = units.get(data.id);
    const fresh: FactUnit = {
      id: data.id,
      kind: data.kind,
      label: data.label,
      site: sites[data.site],
      file: facts.path,
      live: true,
      ...(data.name === undefined ? {} : { name: data.name }),
      ...(data.nameSite === undefined ? {} : { nameSite: sites[data.nameSite] }),
      ...(data.container === undefined ? {} : { container: `${facts.path}#${data.container}` }),
      ...(data.unanalyzable === undefined ? {} : { unanalyzable: data.unanalyzable }),
    };
    if (unit) {
      for (const key of Object.keys(unit) as (keyof FactUnit)[]) delete unit[key];
      Object.assign(unit, fresh);
    } else {
      unit = fresh;
      units.set(data.id, unit);
    }
    linked.push(unit);
  }
  const lockOf = (data: unknown) => linkLock(data as LockData, policy);
  const calleeOf = (data: unknown): LinkedCallee => {
    const callee = data as CalleeData;
    if (callee.kind !== "functions") return callee;
    const targets = callee.targets.map(resolve).filter((target): target is FactUnit => target !== undefined);
    if (targets.length === 0) return { kind: "unknown" };
    return { kind: "functions", targets, ...(callee.lockArguments ? { lockArguments: new Map(callee.lockArguments.map(([index, lock]) => [index, lockOf(lock)])) } : {}) };
  };
  const map = {
    node: (index: number) => sites[index],
    lock: lockOf,
    callee: calleeOf,
    flags: (data: unknown) => new Map((data as [number, FlagValueData][]).map(([index, value]) => [index, linkFlag(value)])),
  };
  return () => {
  facts.units.forEach((data, i) => {
    if (!data.facts) return;
    const unit = linked[i];
    unit.facts = {
      steps: mapSteps<number, FactStep>(data.facts.steps, map),
      callees: new Set(data.facts.callees.map(resolve).filter((target): target is FactUnit => target !== undefined)),
      spawnNodes: new Set(data.facts.spawn.map((index) => sites[index])),
      acquires: data.facts.acquires,
      invokesParameter: data.facts.invokesParameter,
      flagSensitive: data.facts.flagSensitive,
    };
  });
  return linked;
  };
}

/** Every unit id a file's facts name as a call target. */
export function referencedIds(facts: FileFacts): Set<string> {
  const ids = new Set<string>();
  for (const unit of facts.units) for (const id of unit.facts?.callees ?? []) ids.add(id);
  return ids;
}
