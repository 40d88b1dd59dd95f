/**
 * `lock-audit init`: a lock-order.json proposed from what the program does. Every lock found
 * becomes an entry; the order is a topological order of the observed held → acquired graph (ties by
 * first appearance in the code), so the code as written breaks no declared order. Locks on a cycle
 * have no order that the code agrees with: they are left out of the file (they stay undeclared, so
 * the `cycle` finding keeps pointing at them) and listed with the nestings that form the cycle, for
 * a person to decide. Ids are short, unique, valid suffix tokens derived from the names.
 */
import { buildPolicy, LOCK_ID_PATTERN, type LockDeclaration, type LockKind, type LockOrderJson } from "../core/policy.js";
import { compareSpans } from "./locations.js";
import { stronglyConnectedComponents } from "./scc.js";
import type { LockEdge, LockGraph, LockNode } from "./types.js";

export interface ProposedOrder {
  json: LockOrderJson;
  /** Each cycle's locks, with the edges among them that close it. */
  cycles: { locks: string[]; edges: LockEdge[] }[];
}

/** Words a lock's name often has that say nothing about which lock it is. */
const GENERIC_WORDS = new Set(["lock", "locks", "mutex", "mutexes", "mu", "mtx", "rwlock", "semaphore", "sem", "inner", "guard", "latch", "the"]);

function words(name: string): string[] {
  return name
    .replace(/^#/, "")
    .replace(/\.[cm]?[jt]sx?$/, "")
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

/** `KeyringController.#vaultMutex` → `kcv`, `RumorStore.list` → `rsl`, `src/db.ts#pool` → `dp`. */
export function lockIdFor(target: string): string {
  const [owner, member] = target.includes("#") && !target.includes(".#") ? target.split("#") : [target.slice(0, target.indexOf(".")), target.slice(target.indexOf(".") + 1)];
  const ownerWords = words(owner.split("/").pop() ?? owner);
  const memberWords = words(member).filter((word) => !GENERIC_WORDS.has(word));
  const id = [...ownerWords, ...memberWords].map((word) => word[0]).join("").replace(/^[0-9]+/, "");
  return LOCK_ID_PATTERN.test(id) ? id : "lock";
}

/** Ids unique as suffix tokens too (an rwlock `ab` makes `abr` and `abw`): a digit is added until they are. */
function uniqueIds(locks: readonly { target: string; kind: LockKind }[]): string[] {
  const ids: string[] = [];
  const taken = new Set<string>();
  const tokens = (id: string, kind: LockKind) => (kind === "rwlock" ? [`${id}r`, `${id}w`] : [id]);
  for (const lock of locks) {
    const base = lockIdFor(lock.target);
    let id = base;
    for (let n = 2; [id, ...tokens(id, lock.kind)].some((token) => taken.has(token)); n += 1) id = `${base}${n}`;
    for (const token of [id, ...tokens(id, lock.kind)]) taken.add(token);
    ids.push(id);
  }
  return ids;
}

export function proposeLockOrder(graph: LockGraph): ProposedOrder {
  const nodes = graph.locks.filter((lock) => lock.sites > 0);
  const byKey = new Map(nodes.map((node) => [node.key, node]));
  const successors = new Map<string, string[]>(nodes.map((node) => [node.key, []]));
  const nestings = graph.edges.filter((edge) => edge.from !== edge.to && byKey.has(edge.from) && byKey.has(edge.to));
  for (const edge of nestings) successors.get(edge.from)!.push(edge.to);

  const cycles: ProposedOrder["cycles"] = [];
  const onCycle = new Set<string>();
  for (const component of stronglyConnectedComponents(
    nodes.map((node) => node.key),
    (key) => successors.get(key) ?? [],
  )) {
    if (component.length < 2) continue;
    const members = new Set(component);
    for (const key of component) onCycle.add(key);
    cycles.push({ locks: [...component].sort(), edges: nestings.filter((edge) => members.has(edge.from) && members.has(edge.to)) });
  }

  // Kahn's algorithm; among the locks ready next, the one the code takes first comes first.
  const firstSeen = (a: LockNode, b: LockNode) => (a.firstSite && b.firstSite ? compareSpans(a.firstSite, b.firstSite) : 0) || (a.key < b.key ? -1 : 1);
  const ordered = nodes.filter((node) => !onCycle.has(node.key));
  const indegree = new Map(ordered.map((node) => [node.key, 0]));
  for (const edge of nestings) if (indegree.has(edge.from) && indegree.has(edge.to)) indegree.set(edge.to, indegree.get(edge.to)! + 1);
  const ready = ordered.filter((node) => indegree.get(node.key) === 0);
  const order: LockNode[] = [];
  while (ready.length > 0) {
    ready.sort(firstSeen);
    const next = ready.shift()!;
    order.push(next);
    for (const to of successors.get(next.key) ?? []) {
      if (!indegree.has(to)) continue;
      const left = indegree.get(to)! - 1;
      indegree.set(to, left);
      if (left === 0) ready.push(byKey.get(to)!);
    }
  }

  const kinds = order.map((node): LockKind => node.kind ?? "mutex");
  const ids = uniqueIds(order.map((node, i) => ({ target: node.target, kind: kinds[i] })));
  const locks: LockDeclaration[] = order.map((node, i) => ({
    id: ids[i],
    target: node.target,
    kind: kinds[i],
    description: `${node.sites} acquisition ${node.sites === 1 ? "site" : "sites"}, first at ${node.firstSite!.file}:${node.firstSite!.line}`,
  }));
  const json: LockOrderJson = { $schema: "./node_modules/lock-discipline/lock-order.schema.json", locks };
  buildPolicy(json, "<lock-audit init>"); // the proposal must itself be a valid order
  return { json, cycles };
}

/** The proposal as lock-order.json text: one entry per line, like the examples in the docs. */
export function formatLockOrder(json: LockOrderJson): string {
  const entries = json.locks.map((lock) => `    ${JSON.stringify(lock).replace(/":/g, '": ').replace(/,"/g, ', "')}`);
  return `{\n  "$schema": ${JSON.stringify(json.$schema)},\n  "locks": [${entries.length ? `\n${entries.join(",\n")}\n  ` : ""}]\n}\n`;
}
