/**
 * Every lock the program takes, with how it is taken: the number of acquisition sites, the first
 * one, and its kind: the declared one, the recognition table's for a library's lock (an `OrderedRwLock`: rwlock),
 * else the one its use suggests (read acquisitions → rwlock, a key → keyed, else mutex). The
 * text report lists it in every mode, discovery lists it without a lock-order.json, and
 * `lock-audit init` derives a lock-order.json from it.
 */
import type { LockRef, Step } from "../core/flow.js";
import type { LockKind, Mode } from "../core/policy.js";
import type { FactUnit, LinkedCallee, Site } from "./facts.js";
import type { FunctionSummary } from "./summaries.js";
import { compareSpans } from "./locations.js";
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

/** One acquisition site of a unit, as the inventory counts it. */
export interface InventorySite {
  readonly lock: LockRef;
  readonly site: SourceSpan;
  readonly mode: Mode;
  readonly keyed: boolean;
}

/**
 * The acquisition sites of one unit, in the order the inventory counts them. A lock parameter
 * (`withLock(mutex, cb)`) is no lock of its own: its acquisition site is a site of each lock a call
 * passes for it, and that call is where the inventory counts it — from the callee's summary, so the
 * callees read that way are added to `reads`.
 */
export function unitInventorySites(unit: FactUnit, summaries: ReadonlyMap<FactUnit, FunctionSummary>, reads?: Set<FactUnit>): InventorySite[] {
  const sites: InventorySite[] = [];
  if (!unit.facts) return sites;
  const pending: (readonly Step<Site, LinkedCallee>[])[] = [unit.facts.steps];
  while (pending.length > 0) {
    for (const step of pending.pop()!) {
      switch (step.type) {
        case "acquire": {
          if (!step.lock.parameter) sites.push({ lock: step.lock, site: step.node.span, mode: step.mode, keyed: step.keyText !== undefined });
          if (step.body) pending.push(step.body);
          break;
        }
        case "call":
          for (const callback of step.callbacks) pending.push(callback.body);
          if (step.callee.kind === "functions" && step.callee.lockArguments) {
            for (const target of step.callee.targets) {
              reads?.add(target);
              for (const acquisition of summaries.get(target)?.acquired.values() ?? []) {
                const lock = acquisition.lock.parameter && step.callee.lockArguments.get(acquisition.lock.parameter.index);
                if (lock && !lock.parameter) sites.push({ lock, site: step.node.span, mode: acquisition.mode, keyed: false });
              }
            }
          }
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
  return sites;
}

/** The inventory of the program from each unit's sites (`unitInventorySites`), units in program order. */
export function inventoryOf(sitesByUnit: Iterable<readonly InventorySite[]>): LockInventory {
  const entries = new Map<string, InventoryEntry & { seen: Set<string>; reads: boolean; keyed: boolean }>();
  for (const sites of sitesByUnit) {
    for (const { lock, site, mode, keyed } of sites) {
      let entry = entries.get(lock.key);
      if (!entry) {
        entry = { lock, sites: 0, firstSite: site, kind: "mutex", seen: new Set(), reads: false, keyed: false };
        entries.set(lock.key, entry);
      }
      const where = `${site.file}:${site.line}:${site.column}`;
      if (!entry.seen.has(where)) {
        entry.seen.add(where);
        entry.sites += 1;
        if (compareSpans(site, entry.firstSite) < 0) entry.firstSite = site;
      }
      if (mode === "r") entry.reads = true;
      if (keyed) entry.keyed = true;
    }
  }
  const inventory = new Map<string, InventoryEntry>();
  for (const [key, { lock, sites, firstSite, reads, keyed }] of entries) {
    const kind: LockKind = lock.declared?.kind ?? lock.kind ?? (keyed ? "keyed" : reads ? "rwlock" : "mutex");
    inventory.set(key, { lock, sites, firstSite, kind });
  }
  return inventory;
}
