/**
 * Extracting one file against the live program and recording the result as `FileFacts`
 * (analyzer/facts.ts): the only place where compiler nodes turn into sites and units into ids.
 */
import { ts } from "ts-morph";
import type { FlagValue, LockRef } from "../core/flow.js";
import { isFatalLoweringError } from "../core/lowering.js";
import { sourceExcerpt } from "../core/messages.js";
import { firstLine } from "./errors.js";
import type { FactExtractor } from "./extract.js";
import type { CalleeData, FileFacts, FlagValueData, LockData, StepData, UnitData } from "./facts.js";
import { mapSteps } from "./facts.js";
import type { Callee, FunctionUnit } from "./functions.js";
import type { SourceSpans } from "./locations.js";
import { isThisRooted } from "./locks.js";
import { findSuppressions } from "./rollout.js";

/** Stable ids for a file's units, in order: the label, and `@n` for the n-th unit of the same label. */
export function unitIdsOf(units: readonly FunctionUnit[], path: string): string[] {
  const seen = new Map<string, number>();
  return units.map((unit) => {
    const count = (seen.get(unit.label) ?? 0) + 1;
    seen.set(unit.label, count);
    return `${path}#${unit.label}${count === 1 ? "" : `@${count}`}`;
  });
}

/** The receiver a site calls a method on (the lock, for an acquisition), or undefined for a plain function call. */
function receiverOf(node: ts.Node): ts.Expression | undefined {
  if (ts.isPropertyAccessExpression(node)) return node.expression; // a method passed by reference
  if (!ts.isCallExpression(node) && !ts.isNewExpression(node)) return undefined;
  return ts.isPropertyAccessExpression(node.expression) ? node.expression.expression : undefined;
}

function flagData(value: FlagValue): FlagValueData {
  if (value.kind !== "object") return value;
  return { kind: "object", fields: [...value.fields].map(([name, field]) => [name, flagData(field)] as const), closed: value.closed, ...(value.spread ? { spread: value.spread } : {}) };
}

export interface RecordContext {
  extractor: FactExtractor;
  spans: SourceSpans;
  checker: ts.TypeChecker;
  /** Unit → id, for every unit of the program. */
  idOf: (unit: FunctionUnit) => string;
  /** The unit declared by a function node (lock parameters name their function). */
  unitOfNode: (node: unknown) => FunctionUnit | undefined;
}

/** Extracts every unit of one parsed file and records it. */
export function recordFile(sourceFile: ts.SourceFile, units: readonly FunctionUnit[], context: RecordContext): FileFacts {
  const { extractor, spans, checker } = context;
  const path = spans.relativePath(sourceFile.fileName);
  const siteIndex = new Map<ts.Node, number>();
  const sites: number[] = [];
  const texts: Record<number, string> = {};
  const thisRooted: number[] = [];
  const site = (node: ts.Node, quoted = false): number => {
    let index = siteIndex.get(node);
    if (index === undefined) {
      index = siteIndex.size;
      siteIndex.set(node, index);
      const start = node.getStart(sourceFile);
      const end = node.getEnd();
      const from = sourceFile.getLineAndCharacterOfPosition(start);
      const to = sourceFile.getLineAndCharacterOfPosition(Math.max(start, end));
      sites.push(start, end, from.line + 1, from.character + 1, to.line + 1, to.character + 1);
    }
    if (quoted && texts[index] === undefined) {
      texts[index] = sourceExcerpt((ts.isCallExpression(node) || ts.isNewExpression(node) ? node.expression : node).getText(sourceFile));
      const receiver = receiverOf(node);
      if (receiver !== undefined && isThisRooted(receiver, checker)) thisRooted.push(index);
    }
    return index;
  };
  const lockData = (lock: LockRef): LockData => {
    const owner = lock.parameter && context.unitOfNode(lock.parameter.owner);
    return {
      key: lock.key,
      ...(lock.declared ? { declared: lock.declared.id } : {}),
      ...(lock.kind === undefined ? {} : { kind: lock.kind }),
      ...(lock.parameter ? { parameter: { index: lock.parameter.index, owner: owner ? context.idOf(owner) : "" } } : {}),
    };
  };
  const calleeData = (callee: Callee): CalleeData => {
    if (callee.kind !== "functions") return callee;
    return {
      kind: "functions",
      targets: callee.targets.map(context.idOf),
      ...(callee.lockArguments ? { lockArguments: [...callee.lockArguments].map(([index, lock]) => [index, lockData(lock)] as const) } : {}),
    };
  };
  const map = {
    // Acquisitions and calls are what findings and chains point at: their sites carry the quoted text.
    node: (node: ts.Node, type: string) => site(node, type === "acquire" || type === "call"),
    lock: (lock: unknown) => lockData(lock as LockRef),
    callee: (callee: unknown) => calleeData(callee as Callee),
    flags: (flags: unknown) => [...(flags as ReadonlyMap<number, FlagValue>)].map(([index, value]) => [index, flagData(value)] as const),
  };

  const lockSitesBefore = extractor.lockSites;
  const counts = extractor.calls.counts;
  const callsBefore = { ...counts };
  const records: UnitData[] = [];
  const ids = units.map(context.idOf);
  units.forEach((unit, i) => {
    const base = {
      id: ids[i],
      kind: unit.kind,
      label: unit.label,
      ...(unit.name === undefined ? {} : { name: unit.name }),
      ...(unit.nameNode === undefined ? {} : { nameSite: site(unit.nameNode) }),
      site: site(unit.nameNode ?? unit.node),
      ...(unit.container === undefined ? {} : { container: unit.container.pos }),
    };
    try {
      const facts = extractor.extract(unit);
      const steps = mapSteps<ts.Node, StepData>(facts.steps as unknown as Record<string, unknown>[], map);
      records.push({
        ...base,
        facts: {
          steps,
          callees: [...facts.callees].map(context.idOf),
          spawn: [...facts.spawnNodes].map((node) => site(node, true)),
          acquires: facts.acquires,
          invokesParameter: facts.invokesParameter,
          flagSensitive: facts.flagSensitive,
        },
      });
    } catch (error) {
      if (isFatalLoweringError(error)) throw error;
      // Code nested deeper than the stack allows (or that the checker trips over): note it, analyze the rest.
      records.push({ ...base, unanalyzable: error instanceof RangeError ? "nested too deeply to analyze" : `not analyzable (${firstLine(error)})` });
    }
  });

  const unresolvedModules: { specifier: string; location: FileFacts["unresolvedModules"][number]["location"] }[] = [];
  for (const statement of sourceFile.statements) {
    const specifier = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier)) continue;
    if (checker.getSymbolAtLocation(specifier)) continue;
    unresolvedModules.push({ specifier: specifier.text, location: spans.of(specifier, sourceFile) });
  }
  const suppressions = findSuppressions([sourceFile], (fileName) => spans.relativePath(fileName)).map(({ location, rules, reason }) => ({ location, rules, reason }));
  return {
    fileName: sourceFile.fileName,
    path,
    sites,
    texts,
    thisRooted,
    units: records,
    lockSites: extractor.lockSites - lockSitesBefore,
    calls: {
      calls: counts.calls - callsBefore.calls,
      resolved: counts.resolved - callsBefore.resolved,
      external: counts.external - callsBefore.external,
      unresolved: counts.unresolved - callsBefore.unresolved,
    },
    suppressions,
    unresolvedModules,
  };
}

/** The facts of a file that does not parse: a note, no units. */
export function recordUnparsable(sourceFile: ts.SourceFile, diagnostic: ts.DiagnosticWithLocation, spans: SourceSpans): FileFacts {
  return {
    fileName: sourceFile.fileName,
    path: spans.relativePath(sourceFile.fileName),
    sites: [],
    texts: {},
    thisRooted: [],
    units: [],
    lockSites: 0,
    calls: { calls: 0, resolved: 0, external: 0, unresolved: 0 },
    suppressions: [],
    unresolvedModules: [],
    unparsable: { message: ts.flattenDiagnosticMessageText(diagnostic.messageText, " "), location: spans.ofRange(sourceFile, diagnostic.start, diagnostic.start + diagnostic.length) },
  };
}
