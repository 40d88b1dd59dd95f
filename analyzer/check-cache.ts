/**
 * The checks of each unit, kept between an engine's updates and recomputed only for the units whose
 * inputs changed. What a unit's part of the checks rests on:
 * - its own facts (name, sites, steps): the units the update re-linked with other data;
 * - its summary and outcome: the units whose summaries the update recomputed;
 * - for `order` and `no-recursion`, the summaries and outcomes of every unit its findings' chains
 *   walk through (witnesses down to the acquisition), and for the inventory those of the callees it
 *   passes a lock: recorded as its `reads` when computed.
 * A unit is re-checked when it or one of its reads is dirty (changed or recomputed), and a `suffix`
 * group when one of its members is or its members differ. The lock order, the rule severities and
 * the suppressions are an engine's for its whole life (a change to lock-order.json starts a new
 * engine), and severities and suppressions apply after this, so nothing here depends on them.
 * What spans the whole program — the lock graph's cycles and undeclared-lock notes, the inventory's
 * counts, unused locks — is recomputed every time, from the kept parts.
 */
import type { Policy } from "../core/policy.js";
import { ChainBuilder, groupSuffixFindings, suffixGroups, unitFlowFindings, type DraftFinding, type FactSummaries } from "./checks.js";
import type { FactUnit } from "./facts.js";
import { inventoryOf, unitInventorySites, type InventorySite, type LockInventory } from "./inventory.js";
import { unitLockEdges, type UnitLockEdges } from "./lock-graph.js";

interface UnitChecks {
  readonly flow: readonly DraftFinding[];
  readonly sites: readonly InventorySite[];
  readonly edges: UnitLockEdges;
  /** Other units whose summaries or outcomes `flow` and `sites` were computed from. */
  readonly reads: readonly FactUnit[];
}

interface GroupChecks {
  readonly group: readonly FactUnit[];
  readonly findings: readonly DraftFinding[];
}

export interface UnitCheckResult {
  readonly chains: ChainBuilder;
  /** `order` and `no-recursion` findings, units in program order. */
  readonly reported: readonly DraftFinding[];
  readonly suffix: readonly DraftFinding[];
  readonly inventory: LockInventory;
  readonly edgesOf: (unit: FactUnit) => UnitLockEdges;
}

export class UnitCheckCache {
  private units = new Map<FactUnit, UnitChecks>();
  /** By the group's first member. */
  private groups = new Map<FactUnit, GroupChecks>();
  /** Units and suffix groups whose checks the last run computed rather than kept. */
  rechecked = 0;

  /** Forgets everything (a cold run). */
  clear(): void {
    this.units = new Map();
    this.groups = new Map();
  }

  /**
   * The per-unit checks of `units` (in program order), kept for the units that are not dirty, and
   * computed for the rest. `dirty` undefined: everything is (a cold run).
   */
  run(
    units: readonly FactUnit[],
    families: readonly (readonly FactUnit[])[],
    summaries: FactSummaries,
    policy: Policy,
    dirty: ReadonlySet<FactUnit> | undefined,
  ): UnitCheckResult {
    const isDirty = (unit: FactUnit): boolean => dirty === undefined || dirty.has(unit) || !unit.live;
    const chains = new ChainBuilder(summaries);
    const kept = new Map<FactUnit, UnitChecks>();
    const reported: DraftFinding[] = [];
    const sitesByUnit: (readonly InventorySite[])[] = [];
    let rechecked = 0;
    for (const unit of units) {
      let checks = this.units.get(unit);
      if (!checks || isDirty(unit) || checks.reads.some(isDirty)) {
        rechecked += 1;
        const reads = new Set<FactUnit>();
        chains.reads = reads;
        try {
          const flow = unitFlowFindings(unit, summaries, chains);
          const sites = unitInventorySites(unit, summaries.summaries, reads);
          reads.delete(unit);
          checks = { flow, sites, edges: unitLockEdges(unit, summaries), reads: [...reads] };
        } finally {
          chains.reads = undefined;
        }
      }
      kept.set(unit, checks);
      reported.push(...checks.flow);
      sitesByUnit.push(checks.sites);
    }
    this.units = kept;

    const keptGroups = new Map<FactUnit, GroupChecks>();
    const suffix: DraftFinding[] = [];
    for (const group of suffixGroups(units, families)) {
      let checks = this.groups.get(group[0]);
      if (!checks || checks.group.length !== group.length || checks.group.some((unit, i) => unit !== group[i] || isDirty(unit))) {
        rechecked += 1;
        checks = { group, findings: groupSuffixFindings(group, summaries, policy) };
      }
      keptGroups.set(group[0], checks);
      suffix.push(...checks.findings);
    }
    this.groups = keptGroups;
    this.rechecked = rechecked;
    return { chains, reported, suffix, inventory: inventoryOf(sitesByUnit), edgesOf: (unit) => kept.get(unit)!.edges };
  }
}
