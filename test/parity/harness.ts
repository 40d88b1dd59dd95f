/**
 * The parity harness: one corpus of single-file snippets, run through the ESLint rules
 * (`Linter.verify`, untyped) and through `analyze()` with the same lock-order.json, compared as
 * verdicts and as sentences. All snippets share one temporary project, so lock-audit builds one
 * program for the corpus.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";
import { analyze } from "../../analyzer/analyze.js";
import type { Finding } from "../../analyzer/types.js";
import plugin from "../../rules/index.js";
import { REPO_ROOT } from "../analyzer/helpers.js";

/** The lock order of the corpus: an injected holder's rwlock, two mutexes and an rwlock of `class S`, a keyed lock of `class K` (its keys "retry" before "swap"), the Web Lock "cache", a pool `Db.pool` with one-shot methods, every `DBAdapter`. */
export const PARITY_LOCK_ORDER = {
  locks: [
    { id: "hl", target: "Holder.lock", kind: "rwlock" },
    { id: "sa", target: "S.a", kind: "mutex" },
    { id: "sb", target: "S.b", kind: "mutex" },
    { id: "sr", target: "S.r", kind: "rwlock" },
    { id: "kk", target: "K.locks", kind: "keyed", keys: ["retry", "swap"] },
    { id: "nc", target: "navigator.locks:cache", kind: "rwlock" },
    { id: "db", target: "Db.pool", kind: "rwlock", methods: { atomic: ["execute"], atomicRead: ["getAll"] } },
    { id: "da", target: "DBAdapter", kind: "rwlock" },
  ],
};

/** The rules both front ends implement; `release`, `doc` and `key-source` are ESLint-only. */
export const COMPARED_RULES = ["suffix", "order", "no-recursion"] as const;

export interface Snippet {
  /** A file name stem, unique in the corpus. */
  readonly name: string;
  readonly code: string;
}

/** One finding, front-end neutral: the rule, the line, and what it asks for (the name a suffix finding wants). */
export interface Verdict {
  readonly rule: string;
  readonly line: number;
  readonly wants?: string;
}

const linter = new Linter({ configType: "flat", cwd: "/virtual" });
const config: Linter.Config[] = [
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser as Linter.Parser },
    plugins: { "lock-discipline": plugin as never },
    settings: { "lock-discipline": { policy: PARITY_LOCK_ORDER, lockOrder: "/virtual/lock-order.json" } },
    rules: Object.fromEntries(COMPARED_RULES.map((rule) => [`lock-discipline/${rule}`, "error"])),
  },
];

/** The name a `suffix` message asks for, in either front end (one catalog sentence): `'k' should be named 'k_sa': …`. */
function wantedName(message: string): string | undefined {
  return /should be named '([^']+)'/.exec(message)?.[1];
}

function sortVerdicts(verdicts: Verdict[]): Verdict[] {
  return verdicts.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule) || (a.wants ?? "").localeCompare(b.wants ?? ""));
}

export function eslintVerdicts(snippet: Snippet): Verdict[] {
  const messages = linter.verify(snippet.code, config, `/virtual/${snippet.name}.ts`);
  const fatal = messages.filter((message) => message.fatal || message.ruleId === null);
  if (fatal.length) throw new Error(`${snippet.name}: ${fatal.map((message) => message.message).join("; ")}`);
  return sortVerdicts(
    messages.map((message) => {
      const rule = message.ruleId!.replace("lock-discipline/", "");
      const wants = rule === "suffix" ? wantedName(message.message) : undefined;
      return wants === undefined ? { rule, line: message.line } : { rule, line: message.line, wants };
    }),
  );
}

/** A compared finding's sentence, for the message-catalog check: `rule line:column message`. */
export type Sentence = string;

export function eslintSentences(snippet: Snippet): Sentence[] {
  return linter
    .verify(snippet.code, config, `/virtual/${snippet.name}.ts`)
    .map((message) => `${message.ruleId?.replace("lock-discipline/", "")} ${message.line}:${message.column} ${message.message}`)
    .sort();
}

export interface AuditRun {
  /** lock-audit's verdicts per snippet name. */
  readonly verdicts: ReadonlyMap<string, Verdict[]>;
  readonly sentences: ReadonlyMap<string, Sentence[]>;
  /** Findings of other rules than the compared ones (a lowering problem shows as `unanalyzable`). */
  readonly others: readonly Finding[];
}

/** Runs lock-audit once over the whole corpus, in a temporary project that is removed afterwards. */
export async function auditVerdicts(snippets: readonly Snippet[]): Promise<AuditRun> {
  const dir = mkdtempSync(join(tmpdir(), "lock-parity-"));
  try {
    mkdirSync(join(dir, "src"));
    // The snippets import async-mutex; resolve it from the repository's node_modules.
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "lock-order.json"), JSON.stringify(PARITY_LOCK_ORDER));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, lib: ["ES2022", "ESNext.Disposable"], types: [] },
        include: ["src"],
      }),
    );
    for (const snippet of snippets) writeFileSync(join(dir, "src", `${snippet.name}.ts`), snippet.code);
    const result = await analyze({ project: dir, root: dir });
    const verdicts = new Map<string, Verdict[]>(snippets.map((snippet) => [snippet.name, []]));
    const sentences = new Map<string, Sentence[]>(snippets.map((snippet) => [snippet.name, []]));
    const others: Finding[] = [];
    for (const finding of result.findings) {
      const name = /^src\/(.+)\.ts$/.exec(finding.location.file)?.[1];
      const list = name === undefined ? undefined : verdicts.get(name);
      if (!list || !(COMPARED_RULES as readonly string[]).includes(finding.ruleId)) {
        others.push(finding);
        continue;
      }
      sentences.get(name!)!.push(`${finding.ruleId} ${finding.location.line}:${finding.location.column} ${finding.message}`);
      const wants = finding.ruleId === "suffix" ? wantedName(finding.message) : undefined;
      list.push(wants === undefined ? { rule: finding.ruleId, line: finding.location.line } : { rule: finding.ruleId, line: finding.location.line, wants });
    }
    for (const list of verdicts.values()) sortVerdicts(list);
    for (const list of sentences.values()) list.sort();
    return { verdicts, sentences, others };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
