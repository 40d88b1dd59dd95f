/**
 * The checks that read the summaries: `suffix` (a name vs what the function really takes), `order`
 * and `no-recursion` (from the held-set interpreter's findings, with the call chain down to the
 * acquisition), and `unanalyzable` notes.
 */
import type { HeldLock, LockAcquisition } from "../core/flow.js";
import { heldLockLabel, lockLabel, messageText, orderMessage, recursionMessage, sourceExcerpt, suffixMessage, type ConflictSource, type LockConflict } from "../core/messages.js";
import { parseTarget, type DeclaredLock, type Mode, type Policy } from "../core/policy.js";
import { compareSuffix, nameWithSuffix, requiredSuffix, suffixOf, type AcquiredLocks } from "../core/suffix.js";
import type { FactUnit, FileFacts, Site } from "./facts.js";
import { calleeLabel, keyInCallee, type SummaryResult, type UnitCallEffect } from "./summaries.js";
import type { ChainStep, Finding, RuleId } from "./types.js";

/**
 * A finding before its fingerprint: `detail` says what is wrong without line numbers;
 * `violatedEdges` (order and no-recursion) are the held → taken pairs it reports, for the graph.
 */
export type DraftFinding = Omit<Finding, "fingerprint"> & { detail: string; violatedEdges?: readonly (readonly [string, string])[] };

/** How many unresolved modules the summary note names. */
const MAX_MODULES_NAMED = 10;

/** Chains longer than this are cut (a generated 1,000-deep chain stays readable). */
const MAX_CHAIN_STEPS = 64;

export function acquisitionLabel(acquisition: LockAcquisition): string {
  return lockLabel(acquisition.lock, acquisition.mode);
}

/** One site on the way from a call down to an acquisition. */
export interface PathSite {
  unit: FactUnit;
  node: Site;
  /** What is called there, or undefined where the lock is taken. */
  calls?: UnitCallEffect<FactUnit>;
}

/** The summaries and outcomes of linked units. */
export type FactSummaries = SummaryResult<FactUnit, Site>;

export class ChainBuilder {
  /** While set, every unit whose summary or outcome a walk reads is added (a finding's chain rests on them). */
  reads: Set<FactUnit> | undefined;

  constructor(private readonly result: FactSummaries) {}

  /**
   * The sites from `node` in `unit` down to where the lock is really taken: the site itself, then
   * in each callee the call or acquisition its summary's witness names. Each function is followed
   * once (recursion), and the walk stops after MAX_CHAIN_STEPS sites (`cut`).
   */
  pathSites(unit: FactUnit, node: Site, via: UnitCallEffect<FactUnit> | undefined, key: string): { sites: PathSite[]; cut: boolean } {
    const sites: PathSite[] = [{ unit, node, ...(via ? { calls: via } : {}) }];
    const visited = new Set<FactUnit>();
    let call = via;
    let lockKey = key;
    while (call && call.targets.length > 0) {
      if (sites.length >= MAX_CHAIN_STEPS) return { sites, cut: true };
      // Through a lock parameter the callee knows the lock by the parameter's key.
      const lockArguments = call.lockArguments;
      const reads = this.reads;
      const next = call.targets.find((target) => {
        if (visited.has(target)) return false;
        reads?.add(target);
        return keyInCallee(this.result.summaries.get(target), lockKey, lockArguments) !== undefined;
      });
      const nextKey = next && keyInCallee(this.result.summaries.get(next), lockKey, lockArguments);
      const witness = next && nextKey !== undefined ? this.result.outcomes.get(next)?.witnesses.get(nextKey) : undefined;
      if (!next || !witness || nextKey === undefined) break;
      visited.add(next);
      lockKey = nextKey;
      sites.push({ unit: next, node: witness.node, ...(witness.via ? { calls: witness.via } : {}) });
      call = witness.via;
    }
    return { sites, cut: false };
  }

  /** The chain steps for `pathSites`: "calls f" at each call, "takes rs:w" where the lock is taken. */
  pathTo(unit: FactUnit, node: Site, via: UnitCallEffect<FactUnit> | undefined, acquisition: LockAcquisition): ChainStep[] {
    const label = acquisitionLabel(acquisition);
    const { sites, cut } = this.pathSites(unit, node, via, acquisition.lock.key);
    const steps: ChainStep[] = sites.map((site) => ({
      location: site.node.span,
      message: site.calls ? `calls ${site.calls.label}` : `takes ${label}`,
      function: site.unit.label,
    }));
    if (cut) steps.push({ location: steps[steps.length - 1].location, message: `… (chain cut after ${MAX_CHAIN_STEPS} calls)` });
    return steps;
  }

  /** "holds ml:w" at the site where the held lock was taken. */
  heldStep(unit: FactUnit, held: HeldLock<Site>): ChainStep {
    return { location: held.site.span, message: `holds ${heldLockLabel(held)} from here`, function: unit.label };
  }
}

/** What the catalog's order and no-recursion sentences name at a site: the callee as the source writes it, and lines. */
const CONFLICT_SOURCE: ConflictSource<Site> = {
  calleeText: (node) => node.text ?? "",
  line: (node) => node.span.line,
};

/**
 * An undeclared lock is a lock class (`TreeNode.lock`): every instance shares its key. A re-take is
 * reported as a self-deadlock only when every site involved acts on `this` — the held lock, each
 * call down the chain, the second acquisition. Through another object (`child.visit()` while
 * holding `this.lock`, `other.lock.acquire()`) it is usually another instance: a tree walk, not a
 * deadlock on itself.
 */
function mayBeAnotherInstance(finding: LockConflict<Site>, unit: FactUnit, chains: ChainBuilder): boolean {
  const memberClassesOnly = finding.acquiring.every((acquisition) => !acquisition.lock.declared && parseTarget(acquisition.lock.key)?.kind === "member");
  if (!memberClassesOnly) return false;
  const { sites } = chains.pathSites(unit, finding.node, finding.via as UnitCallEffect<FactUnit> | undefined, finding.acquiring[0].lock.key);
  const nodes = [...finding.held.map((held) => held.site), ...sites.map((site) => site.node)];
  return nodes.some((node) => !node.thisRooted);
}

/** `order` and `no-recursion` findings from the final run over one function. */
export function unitFlowFindings(unit: FactUnit, result: FactSummaries, chains: ChainBuilder): DraftFinding[] {
  const findings: DraftFinding[] = [];
  const outcome = result.outcomes.get(unit);
  if (!outcome) return findings;
  for (const finding of outcome.findings) {
    if (finding.kind !== "order" && finding.kind !== "recursion") continue;
    if (finding.kind === "recursion" && mayBeAnotherInstance(finding, unit, chains)) continue;
    findings.push(flowFinding(unit, finding, chains));
  }
  return findings;
}

function flowFinding(unit: FactUnit, finding: LockConflict<Site>, chains: ChainBuilder): DraftFinding {
  const via = finding.via as UnitCallEffect<FactUnit> | undefined;
  const source = CONFLICT_SOURCE;
  const ruleId: RuleId = finding.kind === "order" ? "order" : "no-recursion";
  const message = ruleId === "order" ? messageText("order", orderMessage(finding, source)) : messageText("no-recursion", recursionMessage(finding, source));
  const chain: ChainStep[] = [...finding.held.map((lock) => chains.heldStep(unit, lock)), ...chains.pathTo(unit, finding.node, via, finding.acquiring[0])];
  const locks = [...new Set([...finding.held.map((h) => h.lock.key), ...finding.acquiring.map((a) => a.lock.key)])];
  return {
    ruleId,
    level: "error",
    message,
    location: finding.node.span,
    function: unit.label,
    chain,
    related: [],
    locks,
    detail: `${locks.join(",")}|${via ? calleeLabel(via.targets) : "direct"}`,
    violatedEdges: finding.held.flatMap((held) =>
      finding.acquiring.filter((acquisition) => ruleId === "no-recursion" ? acquisition.lock.key === held.lock.key : acquisition.lock.key !== held.lock.key).map((acquisition) => [held.lock.key, acquisition.lock.key] as const),
    ),
  };
}

/**
 * Functions whose names must carry the same suffix: a getter and setter of one property, and the
 * members of a dispatch family (overrides and implementations of one member, see ClassHierarchy).
 */
export function suffixGroups(units: readonly FactUnit[], families: readonly (readonly FactUnit[])[]): FactUnit[][] {
  const parent = new Map<FactUnit, FactUnit>();
  const find = (unit: FactUnit): FactUnit => {
    let root = unit;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(unit, root);
    return root;
  };
  const union = (a: FactUnit, b: FactUnit) => {
    const rootA = find(a);
    const rootB = find(b);
    if (rootA !== rootB) parent.set(rootB, rootA);
  };
  const named = units.filter(
    (unit) => unit.name !== undefined && unit.nameSite !== undefined && !unit.unanalyzable && ["function", "method", "getter", "setter"].includes(unit.kind),
  );
  const accessors = new Map<string, Map<string, FactUnit>>();
  for (const unit of named) {
    find(unit);
    if ((unit.kind !== "getter" && unit.kind !== "setter") || !unit.container) continue;
    let byName = accessors.get(unit.container);
    if (!byName) {
      byName = new Map();
      accessors.set(unit.container, byName);
    }
    const other = byName.get(unit.name!);
    if (other) union(other, unit);
    else byName.set(unit.name!, unit);
  }
  for (const family of families) {
    const members = family.filter((unit) => parent.has(unit));
    for (const member of members.slice(1)) union(members[0], member);
  }
  const groups = new Map<FactUnit, FactUnit[]>();
  for (const unit of named) {
    const root = find(unit);
    const group = groups.get(root);
    if (group) group.push(unit);
    else groups.set(root, [unit]);
  }
  return [...groups.values()];
}

/** `suffix`: the suffix of each function of one group (`suffixGroups`) against the locks the group really takes. */
export function groupSuffixFindings(group: readonly FactUnit[], result: FactSummaries, policy: Policy): DraftFinding[] {
  const findings: DraftFinding[] = [];
  const acquired: AcquiredLocks = new Map<DeclaredLock, Mode>();
  for (const unit of group) {
    for (const acquisition of result.summaries.get(unit)?.acquired.values() ?? []) {
      const declared = acquisition.lock.declared;
      if (declared && acquired.get(declared) !== "w") acquired.set(declared, acquisition.mode);
    }
  }
  const required = requiredSuffix(acquired);
  for (const unit of group) {
    const name = unit.name!;
    const written = suffixOf(name, policy).tokens;
    const mismatch = compareSuffix(written, required);
    if (!mismatch) continue;
    const corrected = nameWithSuffix(name, required, policy);
    findings.push({
      ruleId: "suffix",
      level: "error",
      message: messageText("suffix", suffixMessage({ name, expected: corrected, mismatch, required, sharing: group.length - 1 })),
      location: unit.nameSite!.span,
      function: unit.label,
      chain: [],
      related: [],
      locks: required.map((token) => token.lock.id),
      fix: { kind: "rename", from: name, to: corrected },
      detail: `${name}->${corrected}`,
    });
  }
  return findings;
}

/** Notes for what the analysis could not see: files that do not parse, imports that do not resolve, functions nested too deep. */
export function unanalyzableFindings(files: readonly FileFacts[], units: readonly FactUnit[]): DraftFinding[] {
  const notes: DraftFinding[] = [];
  const note = (location: Finding["location"], message: string, detail: string, fn?: string): void => {
    notes.push({ ruleId: "unanalyzable", level: "note", message, location, chain: [], related: [], locks: [], detail, ...(fn ? { function: fn } : {}) });
  };
  for (const file of files) {
    if (!file.unparsable) continue;
    const text = file.unparsable.message;
    note(file.unparsable.location, `this file does not parse (${text}); it is not analyzed, and calls into it count as unresolved`, `parse:${text}`);
  }
  // One note per run for every module that does not resolve: a real package without its
  // dependencies installed has hundreds of such imports, and a note each would bury the findings.
  const unresolved = new Map<string, { first: Finding["location"]; statements: number; files: Set<string> }>();
  for (const file of files) {
    for (const { specifier, location } of file.unresolvedModules) {
      const entry = unresolved.get(specifier);
      if (entry) {
        entry.statements += 1;
        entry.files.add(file.fileName);
      } else {
        unresolved.set(specifier, { first: location, statements: 1, files: new Set([file.fileName]) });
      }
    }
  }
  if (unresolved.size === 1) {
    const [[name, { first }]] = unresolved;
    note(first, `cannot resolve module "${name}": calls into it are not analyzed`, `module:${name}`);
  } else if (unresolved.size > 1) {
    const entries = [...unresolved];
    const statements = entries.reduce((sum, [, entry]) => sum + entry.statements, 0);
    const fileCount = new Set(entries.flatMap(([, entry]) => [...entry.files])).size;
    const shown = entries.slice(0, MAX_MODULES_NAMED).map(([name]) => `"${name}"`);
    const more = entries.length > shown.length ? `, and ${entries.length - shown.length} more` : "";
    note(
      entries[0][1].first,
      `cannot resolve ${entries.length} modules (${shown.join(", ")}${more}), imported by ${statements} statements in ${fileCount} ${fileCount === 1 ? "file" : "files"}: calls into them are not analyzed; install the dependencies or fix the imports`,
      "modules",
    );
  }
  for (const unit of units) {
    if (!unit.unanalyzable) continue;
    note(unit.site.span, `${unit.label} is ${unit.unanalyzable}; it counts as taking no lock`, `function:${unit.label}`, unit.label);
  }
  return notes;
}
