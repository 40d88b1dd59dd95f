/**
 * What `analyze()` returns. These shapes are the `--format json` schema (documented in docs/cli.md):
 * add fields freely, never rename or remove one without bumping `JSON_SCHEMA_VERSION`.
 */

/** The SARIF `ruleId` of a finding: four checks, three notes, and problems with suppression comments. */
export type RuleId = "suffix" | "order" | "no-recursion" | "cycle" | "undeclared-lock" | "unused-lock" | "unanalyzable" | "suppression";

export type Level = "error" | "warning" | "note";

/** A range in a source file. Lines and columns are 1-based; columns count UTF-16 code units. */
export interface SourceSpan {
  /** Path relative to the analysis root, with `/` separators. */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One step of a call chain or of a cycle: where, and what happens there. */
export interface ChainStep {
  location: SourceSpan;
  message: string;
  /** The function the step is in (`MemberList.insert_mlw`), when it is in one. */
  function?: string;
}

export interface RenameFix {
  kind: "rename";
  from: string;
  to: string;
}

export interface Finding {
  ruleId: RuleId;
  level: Level;
  message: string;
  location: SourceSpan;
  /** The function the finding is in (for `suffix`: the function whose name is wrong). */
  function?: string;
  /**
   * `order`/`no-recursion`: where the held lock was taken, then the call path down to the
   * conflicting acquisition. `cycle`: each nesting edge of the cycle. Empty for other rules.
   */
  chain: ChainStep[];
  /** Other places that matter (a cycle's other acquisition sites). */
  related: ChainStep[];
  /** Lock keys involved: declared ids, or `Class.member` for undeclared locks. */
  locks: string[];
  /** `suffix` findings: the rename `--fix` applies. */
  fix?: RenameFix;
  /** Stable across line moves: rule, file, function and what is wrong, not the line number. */
  fingerprint: string;
  /** Set when a `// lock-audit-ignore-next-line` comment suppresses it: still reported (SARIF marks it dismissed), never counted. */
  suppressed?: { justification: string; location: SourceSpan };
}

export interface LockNode {
  /** The declared id, or `Class.member` / `path.ts#name` for an undeclared lock. */
  key: string;
  declared: boolean;
  /** Position in lock-order.json (declared locks only). */
  rank?: number;
  /** The declared kind; for an undeclared lock, the recognition table's kind for its library, else the kind its acquisitions suggest. */
  kind?: "mutex" | "rwlock" | "keyed";
  /** Where the lock lives (`Class.member`, `path.ts#name`). */
  target: string;
  /** Distinct acquisition sites in the program (0 for a declared lock nothing takes). */
  sites: number;
  /** The first acquisition site (by file and position), when there is one. */
  firstSite?: SourceSpan;
}

export interface LockEdge {
  /** Held lock key. */
  from: string;
  /** Lock key acquired while `from` was held. */
  to: string;
  /** Number of distinct sites where this nesting was observed. */
  sites: number;
  /** The first site (by file and position). */
  site: SourceSpan;
  /** Set when the nesting breaks the declared order, re-takes a lock, or is part of a cycle. */
  violation?: "order" | "no-recursion" | "cycle";
}

/** The observed lock graph: declared order plus every held → acquired nesting in the program. */
export interface LockGraph {
  locks: LockNode[];
  /** Declared ids in declared order. */
  order: string[];
  edges: LockEdge[];
}

export interface AnalysisStats {
  /** Source files analyzed (declaration files and libraries excluded). */
  files: number;
  /** Functions analyzed: named functions, methods, accessors, constructors and closures. */
  functions: number;
  /** Lock acquisition sites recognized. */
  lockSites: number;
  /** Calls seen. */
  calls: number;
  /** Calls resolved to at least one function in the program. */
  resolvedCalls: number;
  /** Calls to functions outside the program (libraries, declaration files, built-ins). */
  externalCalls: number;
  /** Calls whose target could not be determined (dynamic access, `any`, function values without a body). */
  unresolvedCalls: number;
  /** Files skipped because they cannot be parsed. */
  unanalyzableFiles: number;
  /** Functions left out because lowering them failed (each has an `unanalyzable` note; they count as taking no lock). */
  unanalyzableFunctions: number;
  /** Findings suppressed in code (they are in `findings`, marked `suppressed`). */
  suppressedFindings: number;
  /** Findings left out because the `--baseline` file accepts them. */
  baselinedFindings: number;
  durationMs: number;
}

export interface AnalysisResult {
  findings: Finding[];
  graph: LockGraph;
  stats: AnalysisStats;
  /** Absolute path of the folder that finding paths are relative to. */
  root: string;
  /** Absolute path of the (first) tsconfig.json analyzed. */
  projectFile: string;
  /** Every tsconfig given (`--project` may be repeated); referenced projects are found from them. */
  projectFiles: string[];
  /** Absolute path of the lock-order.json used; null in discovery mode (none was found). */
  configFile: string | null;
  /**
   * Declared locks whose target is declared only outside the analyzed project (another package, a
   * declaration file, a file the tsconfig leaves out): the program cannot check them, so `--fix` refuses.
   */
  outsideTargets: { id: string; target: string; declaredIn: string }[];
}

/** What `--fix` did: renames applied across the project, and those it had to leave. */
export interface FixReport {
  renamed: { location: SourceSpan; from: string; to: string; references: number }[];
  skipped: { location: SourceSpan; from: string; to: string; reason: string }[];
  /** `--fix --dry-run`: nothing was written; `renamed` lists what would be renamed. */
  dryRun?: boolean;
  /** `--fix --dry-run`: the unified diff of every file the fix would change. */
  diff?: string;
}
