/**
 * The lock-order policy: the parsed, checked form of `lock-order.json`.
 *
 * This module has no dependencies (not even Node built-ins) because the runtime imports it and
 * applications import the runtime. JSON Schema validation (ajv) happens earlier, in `config.ts`,
 * for the front ends that read files; `buildPolicy` repeats the checks that matter so a policy
 * built from an in-memory object (the runtime's `defineLockOrder`) is just as safe. The default method
 * names come from the recognition table (core/recognition.ts, which imports nothing either).
 */
import { defaultMethodNames, NAMED_LOCK_GLOBALS } from "./recognition.js";

export type LockKind = "mutex" | "rwlock" | "keyed";
export type Mode = "r" | "w";

/** Method names by what they do to a lock. */
export interface MethodNames {
  /** Exclusive (write) acquisition. */
  write: readonly string[];
  /** Shared (read) acquisition; on a `mutex` these count as exclusive. */
  read: readonly string[];
  /** Release of a lock acquired manually. */
  release: readonly string[];
  /**
   * One-shot methods that take the lock exclusively and release it before they return (`pool.query(sql)`
   * on a pool that locks internally): they count for the order and recursion, and are never held after the call.
   */
  atomic: readonly string[];
  /** One-shot methods that take the lock shared (exclusive on a `mutex` or `keyed` lock), as `atomic`. */
  atomicRead: readonly string[];
}

/** What a method does to a lock: one of the `methods` categories. */
export type MethodCategory = keyof MethodNames;

/** How `methods` may be written in lock-order.json: any subset overrides that list. */
export type MethodOverrides = Partial<Record<keyof MethodNames, string[]>>;

export interface LockDeclaration {
  id: string;
  target: string;
  kind: LockKind;
  description?: string;
  methods?: MethodOverrides;
  /** A keyed lock's constant keys in the order they may be nested (`["retry", "swap"]`). */
  keys?: string[];
}

export interface LockOrderJson {
  $schema?: string;
  methods?: MethodOverrides;
  locks: LockDeclaration[];
  /** lock-audit settings: `rules` maps a finding id to "error", "warn", "note" or "off". */
  lockAudit?: { rules?: Record<string, string> };
}

/** Where a declared lock object lives. */
export type LockTarget =
  | { kind: "member"; className: string; member: string; isPrivate: boolean }
  | { kind: "module"; modulePath: string; exportName: string }
  /** A lock a global lock manager names by a literal (`navigator.locks:cache`: Web Locks' `request("cache", …)`). */
  | { kind: "named"; global: string; name: string }
  /** Every value of a class or interface type (or one extending or implementing it) is the lock itself (`DBAdapter`: `db.readLock(fn)`). */
  | { kind: "type"; typeName: string };

export interface DeclaredLock {
  readonly id: string;
  readonly kind: LockKind;
  readonly target: string;
  readonly parsedTarget: LockTarget;
  /** Position in the declared order: a lock may be taken only while every held lock has a lower rank. */
  readonly rank: number;
  readonly description?: string;
  readonly methods: MethodNames;
  /**
   * A keyed lock's constant keys, in the order they may be nested: holding one, a key listed before
   * it may not be taken (core/flow.ts `keyRank` says which key text is which entry). Keys not listed
   * are unordered among themselves and against the listed ones.
   */
  readonly keys?: readonly string[];
}

/** One element of a function-name suffix: `rsw` is { lock: rs, mode: "w" }, `sm` is { lock: sm, mode: undefined }. */
export interface SuffixToken {
  readonly lock: DeclaredLock;
  /** `r`/`w` for an rwlock; undefined for mutex and keyed locks, whose token is the bare id. */
  readonly mode: Mode | undefined;
}

export interface Policy {
  /** The file the policy came from (absolute path), or a label such as `<inline>`. */
  readonly file: string;
  readonly locks: readonly DeclaredLock[];
  readonly byId: ReadonlyMap<string, DeclaredLock>;
  readonly byTarget: ReadonlyMap<string, DeclaredLock>;
  /** Every valid suffix token text (`rsr`, `rsw`, `sm`, …) to what it means. */
  readonly tokens: ReadonlyMap<string, SuffixToken>;
  /** Method names used for locks without their own `methods`. */
  readonly methods: MethodNames;
  /** The JSON the policy was built from, so it can be embedded in ESLint settings. */
  readonly json: LockOrderJson;
}

/** Method names used for locks without their own `methods`: every entry's of the recognition table, by action. */
export const DEFAULT_METHODS: MethodNames = (() => {
  const names = defaultMethodNames();
  return Object.freeze({
    write: Object.freeze(names.write),
    read: Object.freeze(names.read),
    release: Object.freeze(names.release),
    // No library of the table has one-shot methods: they are the methods of a lock's own class, named in lock-order.json.
    atomic: Object.freeze([]),
    atomicRead: Object.freeze([]),
  });
})();

export const LOCK_ID_PATTERN = /^[a-z][a-z0-9]*$/;
const IDENTIFIER = "[A-Za-z_$][A-Za-z0-9_$]*";
const MEMBER_TARGET = new RegExp(`^(${IDENTIFIER})\\.(#?)(${IDENTIFIER})$`);
const TYPE_TARGET = new RegExp(`^${IDENTIFIER}$`);
const MODULE_TARGET = new RegExp(`^([^#\\s][^#]*\\.(?:[cm]?[jt]sx?))#(${IDENTIFIER})$`);
const KINDS: readonly LockKind[] = ["mutex", "rwlock", "keyed"];
const METHOD_CATEGORIES: readonly MethodCategory[] = ["write", "read", "release", "atomic", "atomicRead"];

/**
 * A problem in lock-order.json. The message is one line: file, JSON path, what is wrong, what to do.
 * Front ends print it as is (the CLI exits 2, ESLint reports a configuration error).
 */
export class LockOrderConfigError extends Error {
  override readonly name = "LockOrderConfigError";
  /** This problem alone, as one line (the message holds every problem found together, one per line). */
  readonly line: string;
  /** Every problem found together, this one first. */
  readonly errors: readonly LockOrderConfigError[];
  constructor(
    readonly file: string,
    readonly jsonPath: string,
    readonly problem: string,
    readonly fix: string,
    others: readonly LockOrderConfigError[] = [],
  ) {
    const line = `${file}: ${jsonPath ? `${jsonPath}: ` : ""}${problem}; ${fix}`;
    super([line, ...others.map((other) => other.line)].join("\n"));
    this.line = line;
    this.errors = [this, ...others];
  }
}

/** How many problems of one lock-order.json are reported together. */
export const MAX_CONFIG_ERRORS = 10;

/** One error carrying up to ten problems, one line each (undefined for none). */
export function combineConfigErrors(errors: readonly LockOrderConfigError[]): LockOrderConfigError | undefined {
  if (errors.length <= 1) return errors[0];
  const [first, ...others] = errors.slice(0, MAX_CONFIG_ERRORS);
  return new LockOrderConfigError(first.file, first.jsonPath, first.problem, first.fix, others);
}

/** A member target's name as code writes it: `#lock` for `Class.#lock`, `entries` for `Class.entries`. */
export function memberNameOf(target: Extract<LockTarget, { kind: "member" }>): string {
  return target.isPrivate ? `#${target.member}` : target.member;
}

export function parseTarget(target: string): LockTarget | undefined {
  const named = parseNamedTarget(target);
  if (named) return named;
  const member = MEMBER_TARGET.exec(target);
  if (member) {
    return { kind: "member", className: member[1], member: member[3], isPrivate: member[2] === "#" };
  }
  const module = MODULE_TARGET.exec(target);
  if (module) {
    return { kind: "module", modulePath: normalizeModulePath(module[1]), exportName: module[2] };
  }
  if (TYPE_TARGET.test(target)) return { kind: "type", typeName: target };
  return undefined;
}

/**
 * `compute`, remembered per policy: a policy never changes once built (a new lock-order.json is a new
 * policy), so what is derived from it alone is computed once, however many files ask.
 */
export function perPolicy<T>(compute: (policy: Policy) => T): (policy: Policy) => T {
  const known = new WeakMap<Policy, T>();
  return (policy) => {
    if (known.has(policy)) return known.get(policy) as T;
    const value = compute(policy);
    known.set(policy, value);
    return value;
  };
}

/** The declared type targets (`"target": "DBAdapter"`) by type name. */
export const typeTargets = perPolicy((policy): ReadonlyMap<string, DeclaredLock> => {
  const found = new Map<string, DeclaredLock>();
  for (const lock of policy.locks) if (lock.parsedTarget.kind === "type") found.set(lock.parsedTarget.typeName, lock);
  return found;
});

/**
 * `<global>:<name>` for a global of the recognition table whose locks are named by a literal
 * (`navigator.locks:cache`): the name is everything after the first colon, and may not be empty.
 */
function parseNamedTarget(target: string): LockTarget | undefined {
  const colon = target.indexOf(":");
  if (colon <= 0 || colon === target.length - 1) return undefined;
  const global = target.slice(0, colon);
  return NAMED_LOCK_GLOBALS.includes(global) ? { kind: "named", global, name: target.slice(colon + 1) } : undefined;
}

/** The target text (and undeclared lock key) of the lock `name` of a global lock manager: `navigator.locks:cache`. */
export function namedTargetKey(global: string, name: string): string {
  return `${global}:${name}`;
}

/** `./src/locks.ts` and `src\\locks.ts` both become `src/locks.ts`, so targets compare as strings. */
export function normalizeModulePath(modulePath: string): string {
  return modulePath.replace(/\\/g, "/").replace(/^(\.\/)+/, "");
}

/** The canonical target text for a module-level lock, as stored in `Policy.byTarget`. */
export function moduleTargetKey(modulePath: string, exportName: string): string {
  return `${normalizeModulePath(modulePath)}#${exportName}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function resolveMethods(
  overrides: unknown,
  base: MethodNames,
  fail: (path: string, problem: string, fix: string) => never,
  path: string,
): MethodNames {
  if (overrides === undefined) return base;
  if (!isRecord(overrides)) fail(path, "must be an object", 'write {"write": [...], "read": [...], "release": [...]}');
  const result: Record<keyof MethodNames, readonly string[]> = { ...base };
  for (const [key, names] of Object.entries(overrides)) {
    if (!METHOD_CATEGORIES.includes(key as keyof MethodNames)) {
      fail(`${path}.${key}`, `unknown method category "${key}"`, `use ${METHOD_CATEGORIES.map((category) => `"${category}"`).join(", ")}`);
    }
    if (!Array.isArray(names) || names.some((name) => typeof name !== "string" || !/^[A-Za-z_$][\w$]*$/.test(name))) {
      fail(`${path}.${key}`, "must be an array of method names", 'list identifiers, e.g. ["acquire"]');
    }
    result[key as keyof MethodNames] = Object.freeze([...(names as string[])]);
  }
  return Object.freeze(result);
}

/**
 * Builds a policy from parsed lock-order.json content, checking everything the order relies on:
 * ids, kinds, targets, duplicates and colliding suffix tokens. Throws `LockOrderConfigError`.
 */
export function buildPolicy(raw: unknown, file = "<inline>"): Policy {
  const fail = (path: string, problem: string, fix: string): never => {
    throw new LockOrderConfigError(file, path, problem, fix);
  };
  if (!isRecord(raw)) fail("", "the top level must be a JSON object", 'write {"locks": [...]}');
  const json = raw as Record<string, unknown>;
  for (const key of Object.keys(json)) {
    if (key !== "$schema" && key !== "locks" && key !== "methods" && key !== "lockAudit") {
      fail(key, `unknown field "${key}"`, 'remove it (allowed: "$schema", "methods", "locks", "lockAudit")');
    }
  }
  if (!Array.isArray(json.locks)) fail("locks", "must be an array of lock declarations", "list the locks in acquisition order");
  const globalMethods = resolveMethods(json.methods, DEFAULT_METHODS, fail, "methods");

  const locks: DeclaredLock[] = [];
  const byId = new Map<string, DeclaredLock>();
  const byTarget = new Map<string, DeclaredLock>();
  const tokens = new Map<string, SuffixToken>();
  const tokenOwner = new Map<string, string>(); // token text -> JSON path of the lock that makes it

  // Each entry is checked on its own, so that several broken entries are reported together.
  const entryErrors: LockOrderConfigError[] = [];
  (json.locks as unknown[]).forEach((entry, rank) => {
    try {
      addLock(entry, rank);
    } catch (error) {
      if (!(error instanceof LockOrderConfigError)) throw error;
      entryErrors.push(error);
    }
  });
  const combined = combineConfigErrors(entryErrors);
  if (combined) throw combined;

  function addLock(entry: unknown, rank: number): void {
    const path = `locks[${rank}]`;
    if (!isRecord(entry)) fail(path, "must be an object", 'write {"id": "...", "target": "...", "kind": "mutex"}');
    const decl = entry as Record<string, unknown>;
    for (const key of Object.keys(decl)) {
      if (!["id", "target", "kind", "description", "methods", "keys"].includes(key)) {
        fail(`${path}.${key}`, `unknown field "${key}"`, 'remove it (allowed: "id", "target", "kind", "description", "methods", "keys")');
      }
    }
    const { id, target, kind, description } = decl;
    if (typeof id !== "string") fail(`${path}.id`, "is missing or not a string", "give the lock a short lowercase id such as \"ms\"");
    if (!LOCK_ID_PATTERN.test(id as string)) {
      fail(`${path}.id`, `"${String(id)}" is not a valid id`, "use lowercase letters and digits, starting with a letter (^[a-z][a-z0-9]*$)");
    }
    if (typeof kind !== "string" || !KINDS.includes(kind as LockKind)) {
      fail(`${path}.kind`, `"${String(kind)}" is not a lock kind`, 'use "mutex", "rwlock" or "keyed"');
    }
    if (typeof target !== "string") fail(`${path}.target`, "is missing or not a string", 'write "Class.member", "path/to/module.ts#exportName" or "TypeName"');
    const parsedTarget = parseTarget(target as string);
    if (!parsedTarget) {
      fail(
        `${path}.target`,
        `"${String(target)}" is not a lock target`,
        `write "Class.member", "Class.#member", "path/to/module.ts#exportName", "TypeName" or ${NAMED_LOCK_GLOBALS.map((global) => `"${global}:<name>"`).join(", ")}`,
      );
    }
    if (description !== undefined && typeof description !== "string") fail(`${path}.description`, "must be a string", "write the description as text");
    const keys = decl.keys;
    if (keys !== undefined) {
      if (kind !== "keyed") fail(`${path}.keys`, `only a keyed lock has keys (this one is a ${String(kind)})`, 'remove "keys" or make the lock "keyed"');
      if (!Array.isArray(keys) || keys.length === 0 || keys.some((key) => typeof key !== "string" || key === "")) {
        fail(`${path}.keys`, "must be a non-empty array of keys", 'list the constant keys in nesting order, e.g. ["retry", "swap"]');
      }
      const repeated = (keys as string[]).find((key, index) => (keys as string[]).indexOf(key) !== index);
      if (repeated !== undefined) fail(`${path}.keys`, `lists "${repeated}" twice`, "list each key once, in nesting order");
    }
    const previous = byId.get(id as string);
    if (previous) fail(`${path}.id`, `duplicate id "${String(id)}" (also locks[${previous.rank}])`, "give each lock its own id");
    const targetKey =
      parsedTarget!.kind === "module" ? moduleTargetKey(parsedTarget!.modulePath, parsedTarget!.exportName) : (target as string);
    const sameTarget = byTarget.get(targetKey);
    if (sameTarget) fail(`${path}.target`, `duplicate target "${String(target)}" (also locks[${sameTarget.rank}])`, "declare each lock object once");

    const lock: DeclaredLock = Object.freeze({
      id: id as string,
      kind: kind as LockKind,
      target: target as string,
      parsedTarget: parsedTarget!,
      rank,
      ...(description === undefined ? {} : { description: description as string }),
      ...(decl.keys === undefined ? {} : { keys: Object.freeze([...(decl.keys as string[])]) }),
      methods: resolveMethods(decl.methods, globalMethods, fail, `${path}.methods`),
    });
    const made: SuffixToken[] = kind === "rwlock" ? [{ lock, mode: "r" }, { lock, mode: "w" }] : [{ lock, mode: undefined }];
    for (const token of made) {
      const text = tokenText(token);
      const owner = tokenOwner.get(text);
      if (owner !== undefined) {
        fail(`${path}.id`, `suffix token "${text}" collides with the token of ${owner}`, "rename one of the ids so every suffix token is unique");
      }
      tokenOwner.set(text, `${path} ("${lock.id}")`);
      tokens.set(text, Object.freeze(token));
    }
    locks.push(lock);
    byId.set(lock.id, lock);
    byTarget.set(targetKey, lock);
  }

  return Object.freeze({ file, locks: Object.freeze(locks), byId, byTarget, tokens, methods: globalMethods, json: raw as LockOrderJson });
}

export function tokenText(token: SuffixToken): string {
  return token.mode ? `${token.lock.id}${token.mode}` : token.lock.id;
}

/** `rs:w`, `sm`: the spelling used in `@acquires` tags and in messages. */
export function tokenLabel(token: SuffixToken): string {
  return token.mode ? `${token.lock.id}:${token.mode}` : token.lock.id;
}

/** Every method name that releases some lock of the policy (a guard's `release()` too). */
export const releaseMethodNames = perPolicy(
  (policy): ReadonlySet<string> => new Set([...policy.methods.release, ...policy.locks.flatMap((lock) => lock.methods.release)]),
);

/**
 * What a method call on a lock of this declaration does, or undefined when it is not a lock method.
 * Shared categories are exclusive except on an rwlock. A one-shot name wins over the acquiring lists,
 * so `methods.atomic` may name a method the defaults list as acquiring.
 */
export function classifyMethod(lock: Pick<DeclaredLock, "kind" | "methods">, method: string): MethodCategory | undefined {
  const methods = lock.methods;
  const shared = lock.kind === "rwlock";
  if (methods.release.includes(method)) return "release";
  if (methods.atomic.includes(method)) return "atomic";
  if (methods.atomicRead.includes(method)) return shared ? "atomicRead" : "atomic";
  if (methods.write.includes(method)) return "write";
  if (methods.read.includes(method)) return shared ? "read" : "write";
  return undefined;
}

/** Every method name of these lists, whatever it does. */
export function allMethodNames(methods: MethodNames): string[] {
  return METHOD_CATEGORIES.flatMap((category) => methods[category]);
}
