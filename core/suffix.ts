/**
 * The suffix grammar: `insertService_rsw_mlw` says the function takes RumorStore.list for writing
 * and MemberList.entries for writing, directly or through its callees, in declared order.
 */
import { tokenText, type DeclaredLock, type Mode, type Policy, type SuffixToken } from "./policy.js";

export interface ParsedName {
  /** The name without its suffix (`insertService`). */
  base: string;
  /** The suffix tokens as written, in written order. */
  tokens: SuffixToken[];
  /** The suffix text as written, including the leading underscore (`_rsw_mlw`), or "". */
  suffixText: string;
}

/**
 * The longest run of trailing `_`-separated parts that are all valid lock tokens, leaving a base
 * with at least one non-empty part: a name is never all suffix (`sm`, `_sm` and `__sm` are names
 * without a suffix, so a rename can never produce an empty name). A leading `#` (private member)
 * is ignored.
 */
export function suffixOf(name: string, policy: Policy): ParsedName {
  const plain = name.charCodeAt(0) === HASH ? name.slice(1) : name;
  // Scanned from the end, part by part, without splitting: the rules ask for every name in a file.
  let firstNamed = 0;
  while (firstNamed < plain.length && plain.charCodeAt(firstNamed) === UNDERSCORE) firstNamed += 1;
  const tokens: SuffixToken[] = [];
  let end = plain.length;
  for (;;) {
    const cut = plain.lastIndexOf("_", end - 1);
    // The base keeps every part up to and including the first non-empty one.
    if (cut <= firstNamed) break;
    const token = policy.tokens.get(plain.slice(cut + 1, end));
    if (!token) break;
    tokens.unshift(token);
    end = cut;
  }
  return end === plain.length ? { base: plain, tokens, suffixText: "" } : { base: plain.slice(0, end), tokens, suffixText: plain.slice(end) };
}

const HASH = 0x23;
const UNDERSCORE = 0x5f;

/** What one function takes: lock → strongest mode (w beats r). */
export type AcquiredLocks = Map<DeclaredLock, Mode>;

export function addAcquired(into: AcquiredLocks, lock: DeclaredLock, mode: Mode): void {
  if (into.get(lock) !== "w") into.set(lock, mode);
}

/** The tokens of a suffix as acquisitions (mutex and keyed tokens are exclusive). */
export function acquiredOfTokens(tokens: readonly SuffixToken[]): AcquiredLocks {
  const acquired: AcquiredLocks = new Map();
  for (const token of tokens) addAcquired(acquired, token.lock, token.mode ?? "w");
  return acquired;
}

/** The suffix a function must carry: every lock it takes, in declared order, `w` where any acquisition writes. */
export function requiredSuffix(acquired: AcquiredLocks): SuffixToken[] {
  return [...acquired]
    .sort(([a], [b]) => a.rank - b.rank)
    .map(([lock, mode]) => ({ lock, mode: lock.kind === "rwlock" ? mode : undefined }));
}

export function formatSuffix(tokens: readonly SuffixToken[]): string {
  return tokens.map((token) => `_${tokenText(token)}`).join("");
}

/** `insertService` + [rs:w, ml:w] → `insertService_rsw_mlw` (keeps a leading `#`). */
export function nameWithSuffix(name: string, tokens: readonly SuffixToken[], policy: Policy): string {
  const hash = name.startsWith("#") ? "#" : "";
  return `${hash}${suffixOf(name, policy).base}${formatSuffix(tokens)}`;
}

export interface SuffixMismatch {
  missing: SuffixToken[];
  extra: SuffixToken[];
  wrongMode: { lock: DeclaredLock; written: Mode; required: Mode }[];
  /** Tokens written more than once. */
  duplicated: SuffixToken[];
  /** True when the written tokens (ignoring missing/extra) are not in declared order. */
  misordered: boolean;
}

/** Compares a written suffix with the required one; undefined when they are equal. */
export function compareSuffix(written: readonly SuffixToken[], required: readonly SuffixToken[]): SuffixMismatch | undefined {
  if (written.length === required.length && written.every((token, i) => token.lock === required[i].lock && token.mode === required[i].mode)) {
    return undefined;
  }
  const requiredByLock = new Map(required.map((token) => [token.lock, token]));
  const seen = new Set<DeclaredLock>();
  const mismatch: SuffixMismatch = { missing: [], extra: [], wrongMode: [], duplicated: [], misordered: false };
  let lastRank = -1;
  for (const token of written) {
    if (seen.has(token.lock)) {
      mismatch.duplicated.push(token);
      continue;
    }
    seen.add(token.lock);
    if (token.lock.rank < lastRank) mismatch.misordered = true;
    lastRank = Math.max(lastRank, token.lock.rank);
    const wanted = requiredByLock.get(token.lock);
    if (!wanted) mismatch.extra.push(token);
    else if (wanted.mode !== token.mode && wanted.mode && token.mode) {
      mismatch.wrongMode.push({ lock: token.lock, written: token.mode, required: wanted.mode });
    }
  }
  for (const token of required) if (!seen.has(token.lock)) mismatch.missing.push(token);
  return mismatch;
}
