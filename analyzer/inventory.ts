/**
 * Every lock the program takes, with how it is taken: the number of acquisition sites, the first
 * one, and its kind: the declared one, the recognition table's for a library's lock (an `OrderedRwLock`: rwlock),
 * else the one its use suggests (read acquisitions → rwlock, a key → keyed, else mutex). The
 * text report lists it in every mode, discovery lists it without a lock-order.json, and
 * `lock-audit init` derives a lock-order.json from it.
 */
import type { LockRef, Step } from "../core/flow.js";
import type { LockKind } from "../core/policy.js";
import type { FunctionUnit } from "./functions.js";
import { compareSpans, type SourceSpans } from "./locations.js";
import type { SourceSpan } from "./types.js";

export interface InventoryEntry {
  readonly lock: LockRef;
  /** Distinct acquisition sites, in every task (spawned work and callbacks included). */
  sites: number;
  firstSite: SourceSpan;
  /** The kind its acquisitions suggest; a declared lock keeps its declared kind. */
  kind: LockKind;
}

export type LockInventory = ReadonlyMap<string, InventoryEntry>;

export function lockInventory(units: readonly FunctionUnit[], spans: SourceSpans): LockInventory {
  const entries = new Map<string, InventoryEntry & { seen: Set<string>; reads: boolean; keyed: boolean }>();
  for (const unit of units) {
    if (!unit.facts) continue;
    const pending: (readonly Step<unknown, unknown>[])[] = [unit.facts.steps];
    while (pending.length > 0) {
      for (const step of pending.pop()!) {
        switch (step.type) {
          case "acquire": {
            const site = spans.of(step.node as Parameters<SourceSpans["of"]>[0], unit.sourceFile);
            const key = step.lock.key;
            let entry = entries.get(key);
            if (!entry) {
              entry = { lock: step.lock, sites: 0, firstSite: site, kind: "mutex", seen: new Set(), reads: false, keyed: false };
              entries.set(key, entry);
            }
            const where = `${site.file}:${site.line}:${site.column}`;
            if (!entry.seen.has(where)) {
              entry.seen.add(where);
              entry.sites += 1;
              if (compareSpans(site, entry.firstSite) < 0) entry.firstSite = site;
            }
            if (step.mode === "r") entry.reads = true;
            if (step.keyText !== undefined) entry.keyed = true;
            if (step.body) pending.push(step.body);
            break;
          }
          case "call":
            for (const callback of step.callbacks) pending.push(callback.body);
            break;
          case "branch":
            pending.push(...step.arms);
            break;
          case "try":
            pending.push(step.block, ...(step.handler ? [step.handler] : []), ...(step.finalizer ? [step.finalizer] : []));
            break;
          case "loop":
          case "scope":
          case "spawn":
            pending.push(step.body);
            break;
          default:
            break;
        }
      }
    }
  }
  const inventory = new Map<string, InventoryEntry>();
  for (const [key, { lock, sites, firstSite, reads, keyed }] of entries) {
    const kind: LockKind = lock.declared?.kind ?? lock.kind ?? (keyed ? "keyed" : reads ? "rwlock" : "mutex");
    inventory.set(key, { lock, sites, firstSite, kind });
  }
  return inventory;
}
