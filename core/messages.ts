/**
 * The message catalog: every sentence a lock-discipline finding is reported with, by rule and
 * message id, and the functions that build a sentence's data from what the front end found.
 *
 * The ESLint rules use `MESSAGES[rule]` as their `meta.messages` and report `{ messageId, data }`
 * (ESLint fills the `{{placeholders}}`); lock-audit builds the same `{ messageId, data }` with the
 * same functions and fills the same template with `messageText`. So a finding that both front ends
 * report (`order`, `no-recursion`, `suffix`) reads the same in both; lock-audit adds the chain.
 *
 * Plain data and string work only: no `typescript`, no Node built-ins (core is shared with the
 * runtime's dependency-free world).
 */
import type { FlowFinding, HeldLock, LockAcquisition, LockRef } from "./flow.js";
import { tokenLabel, type Mode, type SuffixToken } from "./policy.js";
import type { SuffixMismatch } from "./suffix.js";

export const MESSAGES = {
  order: {
    acquireOutOfOrder:
      "'{{callee}}' takes {{acquired}} while holding {{held}} ({{taken}}), but lock-order.json declares {{acquiredIds}} before {{heldIds}}: release {{heldIds}} first, or take {{acquiredIds}} before taking {{heldIds}}.",
    callOutOfOrder:
      "Calling '{{callee}}', which takes {{acquired}}, while holding {{held}} ({{taken}}), but lock-order.json declares {{acquiredIds}} before {{heldIds}}: release {{heldIds}} before the call, or make the call before taking {{heldIds}}.",
    keyOutOfOrder:
      "'{{callee}}' takes {{acquired}} while holding {{held}} ({{taken}}), but lock-order.json's keys of {{acquiredIds}} put {{key}} before {{heldKeys}}: release {{heldKeys}} first, or take {{key}} before taking {{heldKeys}}.",
  },
  "no-recursion": {
    acquireHeld:
      "'{{callee}}' takes {{acquired}} while already holding {{held}} ({{taken}}): locks are not reentrant, so this waits forever; release {{heldIds}} first, or do not take {{acquiredIds}} again.",
    callAcquiresHeld:
      "Calling '{{callee}}', which takes {{acquired}}, while already holding {{held}} ({{taken}}): locks are not reentrant, so this waits forever; release {{heldIds}} before the call, or call a variant that expects {{heldIds}} held.",
  },
  suffix: {
    wrongSuffix: "'{{name}}' should be named '{{expected}}': {{problem}}; {{takes}} {{required}}, directly or through callees.",
    renameTo: "Rename to '{{expected}}' (then rename its callers too, including those in other files).",
  },
  release: {
    notReleased:
      "Lock {{lock}}, acquired here, is not released on every path out of this function: release it in a `finally` block, or bind the guard with `using`.",
    notReleasedOnException:
      "Lock {{lock}}, acquired here, is not released when an exception is thrown before the release: release it in a `finally` block, or bind the guard with `using`.",
    doubleRelease: "{{lock}} is released a second time on this path.",
    unownedRelease: "This releases {{lock}}, which this function did not acquire: release a lock in the function that acquires it.",
  },
  doc: {
    missingDoc: "`{{name}}` takes {{expected}} (its suffix) but has no JSDoc; document each lock with `@acquires <id>`, in declared order.",
    wrongTags: "The JSDoc of `{{name}}` must list {{expected}} (its suffix, in declared order); it lists {{written}}.",
    staleTags: "`{{name}}` has no lock suffix, but its JSDoc still lists {{written}}; remove the tags or add the suffix.",
    writeTags: "Write {{expected}}.",
  },
  "key-source": {
    formattedKey:
      "The key of keyed lock `{{id}}` is formatted at this `{{method}}` call ({{form}}); build it in one function or variable that acquire and release share, so the two keys cannot drift apart.",
    keyMismatch:
      "`{{method}}` releases keyed lock `{{id}}` with key `{{key}}`, but this function acquires it with {{acquired}}; release with the same key variable or function.",
  },
  target: {
    noSuchField:
      'lock-order.json declares lock "{{id}}" as {{target}}, but class {{className}} has no field {{field}} ({{fields}}); {{suggestion}}fix the target in {{file}}, or the lock is never recognized.',
    similarClass:
      'lock-order.json declares lock "{{id}}" as {{target}}, but no class {{written}} is declared here, while class {{className}} has the field {{field}}; did you mean "{{suggestion}}"? Fix the target in {{file}}, or the lock is never recognized.',
    noSuchVariable:
      'lock-order.json declares lock "{{id}}" as {{target}}, but this file has no module-level variable {{name}}; {{suggestion}}fix the target in {{file}}, or the lock is never recognized.',
  },
} as const satisfies Record<string, Record<string, string>>;

/** A rule with messages in the catalog: every ESLint rule, three of them shared with lock-audit. */
export type CatalogRule = keyof typeof MESSAGES;
export type MessageId<R extends CatalogRule> = keyof (typeof MESSAGES)[R] & string;
export type MessageData = Readonly<Record<string, string>>;

/** A sentence before its placeholders are filled: what `context.report` takes, and what `messageText` fills. */
export interface CatalogMessage<Id extends string> {
  readonly messageId: Id;
  readonly data: MessageData;
}

const PLACEHOLDER = /\{\{([^{}]+)\}\}/gu;

/** Fills `{{name}}` placeholders as ESLint does: trimmed names; a placeholder without data stays as written. */
export function fillTemplate(template: string, data: MessageData): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const key = name.trim();
    return Object.prototype.hasOwnProperty.call(data, key) ? data[key] : whole;
  });
}

/** The sentence of a catalog message, as ESLint shows it: lock-audit's `message`. */
export function messageText<R extends CatalogRule>(rule: R, message: CatalogMessage<MessageId<R>>): string {
  const templates: Readonly<Record<string, string>> = MESSAGES[rule];
  return fillTemplate(templates[message.messageId], message.data);
}

// ---- the words for locks and code ----

/** `rs:w`, `sm`: a lock with the mode it is taken in, as suffix tokens and `@acquires` tags spell it; an undeclared lock by its key (`Class.member`). */
export function lockLabel(lock: LockRef, mode: Mode | undefined): string {
  const declared = lock.declared;
  if (!declared) return lock.key;
  return tokenLabel({ lock: declared, mode: declared.kind === "rwlock" ? mode : undefined });
}

/** `a`, `a and b`, `a, b and c`, each item once. */
export function wordList(items: readonly string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1 ? (unique[0] ?? "") : `${unique.slice(0, -1).join(", ")} and ${unique[unique.length - 1]}`;
}

/** Source text for a message (`this.list.runWrite`): whitespace runs collapsed, cut to keep messages one line. */
export function sourceExcerpt(text: string, max = 60): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

// ---- order and no-recursion ----

/** An `order` or `no-recursion` finding of the held-set interpreter, in either front end's nodes. */
export type LockConflict<N> = Extract<FlowFinding<N>, { kind: "order" | "recursion" }>;

/** What a front end tells the catalog about its nodes. */
export interface ConflictSource<N> {
  /** The callee as the source writes it (`this.a.runExclusive`, `this.takeA_sa`), for the acquiring or calling node. */
  calleeText(node: N): string;
  /** The line a node starts on. */
  line(node: N): number;
}

/**
 * `ml:w`, `sm`, and for a keyed lock the key as written (`job(jobId)`): a held lock's, or a callee's
 * as the call makes it (lock-audit: `ak(accountKey(id))`).
 */
export function heldLockLabel(held: LockAcquisition & { readonly keyText?: string }): string {
  const label = lockLabel(held.lock, held.mode);
  return held.keyText === undefined ? label : `${label}(${sourceExcerpt(held.keyText)})`;
}

/** The declared ids (or keys) of some locks, each once: `rs and ml`. */
function lockIds(locks: readonly { readonly lock: LockRef }[]): string {
  return wordList(locks.map((entry) => entry.lock.declared?.id ?? entry.lock.key));
}

/** Where the held locks were taken: `taken on line 13`, `taken on lines 13 and 14`, or at this very site in an earlier iteration of a loop. */
function takenText<N>(conflict: LockConflict<N>, source: ConflictSource<N>): string {
  // lock-audit: a callee nests two locks this call passes it (`withBoth(this.b, this.a, fn)`).
  if (conflict.held.some((held) => held.inCallee)) return "taken first by the callee, from the locks this call passes it";
  const here = conflict.held.some((held) => held.site === conflict.node);
  const lines = [...new Set(conflict.held.filter((held) => held.site !== conflict.node).map((held) => source.line(held.site)))].sort((a, b) => a - b);
  const parts: string[] = [];
  if (lines.length) parts.push(`taken on ${lines.length === 1 ? "line" : "lines"} ${wordList(lines.map(String))}`);
  // A key list (`acquire([k1, k2], fn)`) takes its keys at one call, one after another.
  if (here && conflict.keys) parts.push(lines.length ? "and before it in this call's key list" : "taken before it in this call's key list");
  else if (here) parts.push(lines.length ? "and here in an earlier iteration of the loop" : "taken here in an earlier iteration of the loop and not released");
  return parts.join(", ");
}

function conflictData<N>(conflict: LockConflict<N>, source: ConflictSource<N>): MessageData {
  return {
    callee: source.calleeText(conflict.node),
    acquired: wordList(conflict.acquiring.map(heldLockLabel)),
    held: wordList(conflict.held.map(heldLockLabel)),
    taken: takenText(conflict, source),
    acquiredIds: lockIds(conflict.acquiring),
    heldIds: lockIds(conflict.held),
  };
}

/** `order`: a lock declared earlier taken, directly or by a callee, while a later one is held. */
export function orderMessage<N>(conflict: LockConflict<N>, source: ConflictSource<N>): CatalogMessage<MessageId<"order">> {
  if (conflict.keys) {
    // Among the keys of one keyed lock (`keys`): the acquired key is named as the held ones are.
    const data = conflictData(conflict, source);
    const acquired = `${wordList(conflict.acquiring.map((acquisition) => lockLabel(acquisition.lock, acquisition.mode)))}(${sourceExcerpt(conflict.keys.acquired)})`;
    return { messageId: "keyOutOfOrder", data: { ...data, acquired, key: sourceExcerpt(conflict.keys.acquired), heldKeys: wordList(conflict.keys.held.map((key) => sourceExcerpt(key))) } };
  }
  return { messageId: conflict.via ? "callOutOfOrder" : "acquireOutOfOrder", data: conflictData(conflict, source) };
}

/** `no-recursion`: a held lock taken again, directly or by a callee. */
export function recursionMessage<N>(conflict: LockConflict<N>, source: ConflictSource<N>): CatalogMessage<MessageId<"no-recursion">> {
  return { messageId: conflict.via ? "callAcquiresHeld" : "acquireHeld", data: conflictData(conflict, source) };
}

// ---- suffix ----

export interface WrongSuffix {
  /** The name as written (`#flush`, `insertAll`). */
  readonly name: string;
  /** The name with the suffix it must carry. */
  readonly expected: string;
  readonly mismatch: SuffixMismatch;
  /** The suffix it must carry, as tokens. */
  readonly required: readonly SuffixToken[];
  /** lock-audit: how many other functions share its name and so its suffix (a getter and its setter, overrides). */
  readonly sharing?: number;
}

/** One human sentence for a mismatch: "missing rs:w; extra sm; ml is written as r but taken as w; out of declared order". */
export function describeMismatch(mismatch: SuffixMismatch): string {
  const parts: string[] = [];
  if (mismatch.missing.length) parts.push(`missing ${mismatch.missing.map(tokenLabel).join(", ")}`);
  if (mismatch.extra.length) parts.push(`extra ${mismatch.extra.map(tokenLabel).join(", ")}`);
  for (const wrong of mismatch.wrongMode) {
    parts.push(`${wrong.lock.id} is written as ${wrong.written} but taken as ${wrong.required === "w" ? "w (some acquisition writes)" : "r (no acquisition writes)"}`);
  }
  if (mismatch.duplicated.length) parts.push(`${mismatch.duplicated.map(tokenLabel).join(", ")} written twice`);
  if (mismatch.misordered) parts.push("tokens out of declared order");
  return parts.join("; ");
}

/** `suffix`: a name whose suffix is not exactly the locks the function takes. */
export function suffixMessage(wrong: WrongSuffix): CatalogMessage<"wrongSuffix"> {
  const others = wrong.sharing ?? 0;
  const takes = others > 0 ? `it and the ${others} other function${others > 1 ? "s" : ""} sharing its name take` : "it takes";
  return {
    messageId: "wrongSuffix",
    data: {
      name: wrong.name,
      expected: wrong.expected,
      problem: describeMismatch(wrong.mismatch),
      takes,
      required: wrong.required.length ? wrong.required.map(tokenLabel).join(", ") : "no declared lock",
    },
  };
}
