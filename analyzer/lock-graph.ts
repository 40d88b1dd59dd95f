/**
 * The observed lock graph: an edge A → B wherever B is taken (directly or by a callee) while A is
 * held, over the whole program. It carries the declared order for the graph reporters, the `cycle`
 * check (cycles through at least one lock that lock-order.json does not declare: cycles among
 * declared locks always contain an `order` violation, reported there), and `undeclared-lock` notes.
 */
import type { LockRef } from "../core/flow.js";
import { lockLabel } from "../core/messages.js";
import type { Policy } from "../core/policy.js";
import { acquisitionLabel, type ChainBuilder, type DraftFinding, type FactSummaries } from "./checks.js";
import type { FactUnit, Site } from "./facts.js";
import { compareSpans } from "./locations.js";
import type { LockInventory } from "./inventory.js";
import { stronglyConnectedComponents } from "./scc.js";
import type { Nesting } from "./summaries.js";
import type { ChainStep, LockEdge, LockGraph, LockNode, SourceSpan } from "./types.js";

/** Enough to report every cycle of a real program; a pathological graph is cut, not enumerated forever. */
const MAX_CYCLES = 100;
const MAX_CYCLE_LENGTH = 8;

interface Observation {
  unit: FactUnit;
  nesting: Nesting<Site, FactUnit>;
  site: SourceSpan;
}

interface EdgeInfo {
  from: string;
  to: string;
  observations: Observation[];
  first: Observation;
}

export interface LockGraphResult {
  graph: LockGraph;
  findings: DraftFinding[];
}

/** What one unit adds to the lock graph: the locks it takes (nodes) and its nestings (edges). */
export interface UnitLockEdges {
  readonly locks: readonly LockRef[];
  readonly nestings: readonly Observation[];
}

/** One unit's part of the lock graph, from its summary and outcome alone. */
export function unitLockEdges(unit: FactUnit, result: FactSummaries): UnitLockEdges {
  // Every lock taken anywhere is a node, nested or not.
  const locks = [...(result.summaries.get(unit)?.acquired.values() ?? [])].filter((acquisition) => !acquisition.lock.parameter).map((acquisition) => acquisition.lock);
  const nestings: Observation[] = [];
  for (const nesting of result.outcomes.get(unit)?.nestings ?? []) {
    // A lock parameter is whichever lock a call passes: the callers' nestings name the real locks.
    if (nesting.held.lock.parameter || nesting.acquired.lock.parameter) continue;
    nestings.push({ unit, nesting, site: nesting.node.span });
  }
  return { locks, nestings };
}

/**
 * `reported`: the order and no-recursion findings already made, whose held → taken pairs mark
 * their edges as violations (so the graph shows exactly what the findings say). `edgesOf`: each
 * unit's part (`unitLockEdges`; the engine keeps them between updates).
 */
export function buildLockGraph(
  policy: Policy,
  units: readonly FactUnit[],
  chains: ChainBuilder,
  reported: readonly DraftFinding[],
  inventory: LockInventory,
  edgesOf: (unit: FactUnit) => UnitLockEdges,
): LockGraphResult {
  const refs = new Map<string, LockRef>();
  const edges = new Map<string, EdgeInfo>();
  for (const lock of policy.locks) refs.set(lock.id, { key: lock.id, declared: lock });
  // Locks taken only in spawned work or callbacks are nodes too.
  for (const [key, entry] of inventory) if (!refs.has(key)) refs.set(key, entry.lock);
  for (const unit of units) {
    const part = edgesOf(unit);
    for (const lock of part.locks) if (!refs.has(lock.key)) refs.set(lock.key, lock);
    for (const observation of part.nestings) {
      const { nesting } = observation;
      const from = nesting.held.lock.key;
      const to = nesting.acquired.lock.key;
      if (!refs.has(from)) refs.set(from, nesting.held.lock);
      if (!refs.has(to)) refs.set(to, nesting.acquired.lock);
      const id = `${from}\u0000${to}`;
      const edge = edges.get(id);
      if (!edge) edges.set(id, { from, to, observations: [observation], first: observation });
      else {
        edge.observations.push(observation);
        if (compareSpans(observation.site, edge.first.site) < 0) edge.first = observation;
      }
    }
  }

  const violations = new Map<string, "order" | "no-recursion">();
  for (const finding of reported) {
    for (const [from, to] of finding.violatedEdges ?? []) violations.set(`${from}\u0000${to}`, finding.ruleId === "order" ? "order" : "no-recursion");
  }
  const cycles = findCycles(refs, edges);
  const cycleEdges = new Set(cycles.flat());
  const findings: DraftFinding[] = [...cycleFindings(cycles, chains), ...undeclaredNotes(refs, edges)];

  const lockNodes: LockNode[] = [...refs.values()]
    .map((ref): LockNode => {
      const declared = ref.declared;
      const entry = inventory.get(ref.key);
      const use = entry ? { sites: entry.sites, firstSite: entry.firstSite } : { sites: 0 };
      return declared
        ? { key: ref.key, declared: true, rank: declared.rank, kind: declared.kind, target: declared.target, ...use }
        : { key: ref.key, declared: false, target: ref.key, ...(entry ? { kind: entry.kind } : {}), ...use };
    })
    .sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const graphEdges: LockEdge[] = [...edges.values()]
    .map((edge): LockEdge => {
      const violation = violations.get(`${edge.from}\u0000${edge.to}`) ?? (cycleEdges.has(edge) ? "cycle" : undefined);
      return {
        from: edge.from,
        to: edge.to,
        sites: new Set(edge.observations.map((o) => `${o.site.file}:${o.site.line}:${o.site.column}`)).size,
        site: edge.first.site,
        ...(violation ? { violation } : {}),
      };
    })
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return { graph: { locks: lockNodes, order: policy.locks.map((lock) => lock.id), edges: graphEdges }, findings };
}

/**
 * `undeclared-lock` notes: an undeclared lock nested with declared ones (either way) is missing
 * from the order. One note per lock, at its first such nesting.
 */
function undeclaredNotes(locks: ReadonlyMap<string, LockRef>, edges: ReadonlyMap<string, EdgeInfo>): DraftFinding[] {
  const byLock = new Map<string, EdgeInfo[]>();
  for (const edge of edges.values()) {
    if (edge.from === edge.to) continue;
    const fromDeclared = locks.get(edge.from)?.declared !== undefined;
    const toDeclared = locks.get(edge.to)?.declared !== undefined;
    if (fromDeclared === toDeclared) continue; // both declared (the order's business) or both undeclared (cycles')
    const undeclared = fromDeclared ? edge.to : edge.from;
    const list = byLock.get(undeclared) ?? [];
    list.push(edge);
    byLock.set(undeclared, list);
  }
  const notes: DraftFinding[] = [];
  for (const [key, mixed] of byLock) {
    mixed.sort((a, b) => compareSpans(a.first.site, b.first.site));
    const described = mixed.map((edge) =>
      edge.from === key
        ? `held while taking ${acquisitionLabel(edge.first.nesting.acquired)}`
        : `taken while holding ${lockLabel(edge.first.nesting.held.lock, edge.first.nesting.held.mode)}`,
    );
    const first = mixed[0].first;
    notes.push({
      ruleId: "undeclared-lock",
      level: "note",
      message: `${key} is ${[...new Set(described)].join(", ")}, but lock-order.json does not declare it, so its order is not checked; add it with "target": "${key}"`,
      location: first.site,
      function: first.unit.label,
      chain: [],
      related: mixed.slice(1).map((edge) => ({ location: edge.first.site, message: `${edge.from} → ${edge.to}`, function: edge.first.unit.label })),
      locks: [key, ...new Set(mixed.map((edge) => (edge.from === key ? edge.to : edge.from)))],
      detail: key,
    });
  }
  return notes;
}

/** Elementary cycles through at least one undeclared lock, each once (starting at its smallest key). */
function findCycles(refs: ReadonlyMap<string, LockRef>, edges: ReadonlyMap<string, EdgeInfo>): EdgeInfo[][] {
  const successors = new Map<string, EdgeInfo[]>();
  for (const edge of edges.values()) {
    if (edge.from === edge.to) continue;
    const list = successors.get(edge.from) ?? [];
    list.push(edge);
    successors.set(edge.from, list);
  }
  for (const list of successors.values()) list.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  const keys = [...refs.keys()].sort();
  const components = stronglyConnectedComponents(keys, (key) => (successors.get(key) ?? []).map((edge) => edge.to));
  const cycles: EdgeInfo[][] = [];
  for (const component of components) {
    if (component.length < 2 || component.every((key) => refs.get(key)?.declared)) continue;
    const members = new Set(component);
    const sorted = [...component].sort();
    for (const start of sorted) {
      // Only keys after `start` may appear inside a cycle starting at `start`: each cycle is found once.
      const allowed = (key: string) => members.has(key) && key > start;
      const path: EdgeInfo[] = [];
      const onPath = new Set<string>([start]);
      const extend = (key: string): void => {
        if (cycles.length >= MAX_CYCLES) return;
        for (const edge of successors.get(key) ?? []) {
          if (edge.to === start) {
            const cycle = [...path, edge];
            if (cycle.some((e) => !refs.get(e.from)?.declared)) cycles.push(cycle);
            continue;
          }
          if (!allowed(edge.to) || onPath.has(edge.to) || path.length + 1 >= MAX_CYCLE_LENGTH) continue;
          onPath.add(edge.to);
          path.push(edge);
          extend(edge.to);
          path.pop();
          onPath.delete(edge.to);
        }
      };
      extend(start);
    }
  }
  return cycles;
}

function cycleFindings(cycles: readonly EdgeInfo[][], chains: ChainBuilder): DraftFinding[] {
  const findings: DraftFinding[] = [];
  const usedSites = new Set<string>();
  const siteKey = (site: SourceSpan) => `${site.file}:${site.line}:${site.column}`;
  for (const cycle of cycles) {
    const keys = [...cycle.map((edge) => edge.from), cycle[0].from];
    // Report at an acquisition site no other cycle is reported at (one finding per site).
    const primary = cycle.find((edge) => !usedSites.has(siteKey(edge.first.site))) ?? cycle[0];
    usedSites.add(siteKey(primary.first.site));
    const chain: ChainStep[] = [];
    const parts: string[] = [];
    for (const edge of cycle) {
      const { unit, nesting, site } = edge.first;
      chain.push(chains.heldStep(unit, nesting.held));
      chain.push(...chains.pathTo(unit, nesting.node, nesting.via, nesting.acquired));
      parts.push(`${edge.to} while holding ${edge.from} in ${unit.label} (${site.file}:${site.line})`);
    }
    findings.push({
      ruleId: "cycle",
      level: "error",
      message: `lock cycle ${keys.join(" → ")}: ${parts.join("; ")}; tasks doing these at the same time can deadlock`,
      location: primary.first.site,
      function: primary.first.unit.label,
      chain,
      related: cycle.filter((edge) => edge !== primary).map((edge) => ({ location: edge.first.site, message: `takes ${edge.to} while holding ${edge.from}`, function: edge.first.unit.label })),
      locks: keys.slice(0, -1),
      detail: keys.join(">"),
    });
  }
  return findings;
}
