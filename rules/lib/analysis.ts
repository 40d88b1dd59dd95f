/**
 * One analysis per linted file, shared by `suffix`, `order`, `no-recursion` and `release`: the file is
 * extracted once, each function's steps run once through the core's held-set interpreter, and every
 * rule reads the part it reports. The cache is keyed by the file's AST (a per-file cache: nothing is
 * kept across files, so rules stay correct when ESLint lints files in parallel or re-lints a buffer).
 */
import type { TSESLint, TSESTree } from "@typescript-eslint/utils";
import type * as TS from "typescript";
import { analyzeFlow, CONSUMER_ARGUMENT, type CallEffect, type CallStep, type FlowFinding, type FlowResult, type LockAcquisition, type Step } from "../../core/flow.js";
import { isFatalLoweringError } from "../../core/lowering.js";
import { sourceExcerpt, type ConflictSource } from "../../core/messages.js";
import { perPolicy, type Policy, type SuffixToken } from "../../core/policy.js";
import { suffixOf } from "../../core/suffix.js";
import { extractFile, toESTree, type CalleeRef, type ExtractedFunction } from "./lowering.js";
import { policyFor } from "./policy.js";
import { lockEnvFor, lockMethodNamesOf, lockRefOf, type LockEnv } from "./resolve-lock.js";

type RuleContext = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;

export interface AnalyzedFunction extends ExtractedFunction {
  /**
   * What the function does to locks, its findings' nodes mapped back to ESTree. `acquired` reports
   * only what the file proves wrong: for a function that calls code the file cannot see (an
   * unsuffixed import), it also holds the locks its suffix claims and the file does not show.
   */
  readonly flow: FlowResult<TSESTree.Node>;
}

export interface FileLockAnalysis {
  readonly policy: Policy;
  readonly env: LockEnv;
  readonly functions: readonly AnalyzedFunction[];
  /** The held-set findings of all those functions, for the rules that report them (order, no-recursion, release). */
  readonly findings: readonly FlowFinding<TSESTree.Node>[];
  /** Parts of the file the front end could not handle (left out silently; tests assert there are none). */
  readonly failures: readonly { readonly node: TSESTree.Node; readonly error: unknown }[];
  /** The suffix tokens of a name (`suffixOf(name).tokens`), memoized for this file. */
  readonly suffixTokens: (name: string) => readonly SuffixToken[];
}

/** `null` records "no lock-order.json for this file" so the other rules skip the lookup too. */
const analyses = new WeakMap<object, FileLockAnalysis | null>();

const NO_FLOW: FlowResult<TSESTree.Node> = Object.freeze({ acquired: new Map(), findings: [] });

/**
 * The lock analysis of the file being linted, or undefined when it has no lock order (the rules then
 * do nothing). Throws only a configuration error for a broken lock-order.json, as `policyFor` does.
 */
export function analyzeFileLocks(context: RuleContext): FileLockAnalysis | undefined {
  const ast = context.sourceCode.ast;
  const cached = analyses.get(ast);
  if (cached !== undefined) return cached ?? undefined;
  const policy = policyFor(context);
  if (!policy) {
    analyses.set(ast, null);
    return undefined;
  }
  const env = lockEnvFor(context, policy);
  const mentions = lockMentions(context.sourceCode.text, policy);
  const analysis = mentions.length ? analyze(env, mentions) : { policy, env, functions: [], findings: [], failures: [], suffixTokens: () => NO_TOKENS };
  analyses.set(ast, analysis);
  return analysis;
}

function analyze(env: LockEnv, mentions: readonly number[]): FileLockAnalysis {
  const extraction = extractFile(env, { relevant: (start, end) => mentionedWithin(mentions, start, end) });
  if (!extraction) return { policy: env.policy, env, functions: [], findings: [], failures: [], suffixTokens: () => NO_TOKENS };
  const failures = [...extraction.failures];
  const suffixTokens = suffixMemo(env.policy);
  const heldAtYield = new Map<string, readonly LockAcquisition[]>();
  const resolveCall = callResolver(suffixTokens, heldAtYield);
  recordHeldAtYield(extraction.functions, resolveCall, heldAtYield);
  const functions: AnalyzedFunction[] = [];
  for (const extracted of extraction.functions) {
    try {
      const compacted = compact(extracted.steps, resolveCall, true);
      // Nothing to hold, release or inherit: no findings and nothing acquired (the interpreter would agree, slower).
      const proven = compacted.takesLocks ? toESTree(analyzeFlow(compacted.steps, { resolveCall }), extraction.maps) : NO_FLOW;
      const flow = extracted.name ? withUndisprovedClaims(proven, suffixTokens(extracted.name.name), extracted.steps) : proven;
      functions.push({ ...extracted, flow });
    } catch (error) {
      if (isFatalLoweringError(error)) throw error;
      failures.push({ node: extracted.node, error });
    }
  }
  const findings = functions.flatMap((fn) => fn.flow.findings);
  return { policy: env.policy, env, functions, findings, failures, suffixTokens };
}

/** The flow with the suffix's claimed locks added that the function may take through a call the file cannot see. */
function withUndisprovedClaims(flow: FlowResult<TSESTree.Node>, claimed: readonly SuffixToken[], steps: readonly Step<TS.Node, CalleeRef>[]): FlowResult<TSESTree.Node> {
  const unproven = claimed.filter((token) => !flow.acquired.has(token.lock.id));
  if (unproven.length === 0 || !callsUnseen(steps)) return flow;
  const acquired = new Map(flow.acquired);
  for (const token of unproven) acquired.set(token.lock.id, { lock: lockRefOf(token.lock), mode: token.mode ?? "w" });
  return { acquired, findings: flow.findings };
}

/** Whether the function, in its own task (spawned tasks aside), calls a function the file cannot see. */
function callsUnseen(steps: readonly Step<TS.Node, CalleeRef>[]): boolean {
  for (const step of steps) {
    switch (step.type) {
      case "call":
        if (step.callee.unseen || step.callbacks.some((callback) => callsUnseen(callback.body))) return true;
        break;
      case "acquire":
        if (step.body && callsUnseen(step.body)) return true;
        break;
      case "branch":
        if (step.arms.some(callsUnseen)) return true;
        break;
      case "try":
        if (callsUnseen(step.block) || (step.handler && callsUnseen(step.handler)) || (step.finalizer && callsUnseen(step.finalizer))) return true;
        break;
      case "loop":
      case "scope":
        if (callsUnseen(step.body)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

/** `suffixOf(name).tokens`, memoized for the file (names repeat: every call of a method, every reference). */
function suffixMemo(policy: Policy): (name: string) => readonly SuffixToken[] {
  const byName = new Map<string, readonly SuffixToken[]>();
  return (name) => {
    if (!name.includes("_")) return NO_TOKENS;
    let tokens = byName.get(name);
    if (!tokens) {
      tokens = suffixOf(name, policy).tokens;
      byName.set(name, tokens);
    }
    return tokens;
  };
}

const NO_TOKENS: readonly SuffixToken[] = Object.freeze([]);

/** A generator's consumer: a call that takes nothing itself, kept (not compacted away) so that what is held there is seen. */
const CONSUMER_EFFECT: CallEffect = Object.freeze({ label: "consumer", acquires: [] });

/**
 * What each generator of the file holds at its `yield`s, by name (`getMany_bsr` holds bs:r): the
 * shared interpreter runs each generator and notes the held set at every call of its consumer. Two
 * rounds, so a generator delegating to one declared after it (`yield* this.getMany_bsr()`) sees it.
 */
function recordHeldAtYield(functions: readonly ExtractedFunction[], resolveCall: CallResolver, heldAtYield: Map<string, readonly LockAcquisition[]>): void {
  const generators = functions.filter((fn) => fn.name && "generator" in fn.node && fn.node.generator);
  if (generators.length === 0) return;
  for (let round = 0; round < 2; round += 1) {
    // A second round only helps a delegating generator once some generator holds something.
    if (round === 1 && heldAtYield.size === 0) break;
    for (const generator of generators) {
      const held = new Map<string, LockAcquisition>();
      analyzeFlow(generator.steps, {
        resolveCall,
        onCall: (step, locks) => {
          if (!step.callee.consumer) return;
          for (const lock of locks) {
            const known = held.get(lock.lock.key);
            if (!known || (known.mode === "r" && lock.mode === "w")) held.set(lock.lock.key, { lock: lock.lock, mode: lock.mode });
          }
        },
      });
      if (held.size > 0) heldAtYield.set(generator.name!.name, [...held.values()]);
    }
  }
}

/**
 * What a call takes, as its callee's name says: `add_rsw` acquires rs for writing; a generator of the
 * file also holds, while its consumer (a caller's loop body) runs, what it holds at its yields.
 */
function callResolver(suffixTokens: (name: string) => readonly SuffixToken[], heldAtYield: ReadonlyMap<string, readonly LockAcquisition[]>): CallResolver {
  const byName = new Map<string, CallEffect | null>();
  return (step) => {
    if (step.callee.consumer) return CONSUMER_EFFECT;
    const name = step.callee.name;
    const yielded = name === undefined ? undefined : heldAtYield.get(name);
    if (yielded) {
      const acquires = step.callee.switchable ? [] : suffixTokens(name!).map((token): LockAcquisition => ({ lock: lockRefOf(token.lock), mode: token.mode ?? "w" }));
      return { label: name!, acquires, heldDuringCallback: (argIndex) => (argIndex === CONSUMER_ARGUMENT ? yielded : undefined) };
    }
    if (name === undefined || !name.includes("_") || step.callee.switchable) return undefined;
    let effect = byName.get(name);
    if (effect === undefined) {
      const tokens = suffixTokens(name);
      effect = tokens.length
        ? { label: name, acquires: tokens.map((token): LockAcquisition => ({ lock: lockRefOf(token.lock), mode: token.mode ?? "w" })) }
        : null;
      byName.set(name, effect);
    }
    return effect ?? undefined;
  };
}

type CallResolver = (step: CallStep<TS.Node, CalleeRef>) => CallEffect | undefined;

/** Compaction only looks at step kinds and asks `resolveCall`; it is generic so tests can feed it plain step programs. */
type Resolver<N, C> = (step: CallStep<N, C>) => CallEffect | undefined;

interface Compacted<N, C> {
  readonly steps: readonly Step<N, C>[];
  /** Some step takes, releases or (through a suffixed callee) acquires a lock, at any depth. */
  readonly takesLocks: boolean;
}

/** A point where an exception may arrive and nothing else happens: `await`, or a call that takes no lock and runs no callback. */
function isPlainExceptionPoint<N, C>(step: Step<N, C>, resolveCall: Resolver<N, C>): boolean {
  return step.type === "await" || (step.type === "call" && step.callbacks.length === 0 && resolveCall(step) === undefined);
}

/** Steps that leave the held set as it was and may throw with it (their thrown states are their normal ones). */
function throwsWithStateUnchanged<N, C>(step: Step<N, C>): boolean {
  return step.type === "await" || step.type === "call" || (step.type === "acquire" && step.form === "callback");
}

/** Steps that may change what is held or released on the path. */
function mayChangeHeld<N, C>(step: Step<N, C>): boolean {
  switch (step.type) {
    case "acquire":
      return step.form !== "callback";
    case "release":
    case "branch":
    case "loop":
    case "try":
    case "scope":
      return true;
    default:
      return false;
  }
}

/**
 * The same program without plain exception points (`a(); await b;`) that cannot change a finding, so
 * the interpreter's work follows the lock operations rather than the function's length. Most calls in
 * a function are plain; a plain point is dropped when
 * - the step before it already throws with the same state (`a(); b();`, `await lock.runWrite(fn)`);
 * - in a function body, nothing the body owns can be held yet (before its first acquire or release);
 * - in a function body, nothing changes after it: the state it would throw with is the one the body
 *   ends with, whose leaks are reported anyway (as leaks on a normal path, which outrank exception-only ones).
 * Unchanged lists are returned as is.
 */
/** `compact` for a whole function body: exported for the property test that it changes no finding. */
export function compactFunctionBody<N, C>(steps: readonly Step<N, C>[], resolveCall: Resolver<N, C>): readonly Step<N, C>[] {
  return compact(steps, resolveCall, true).steps;
}

function compact<N, C>(steps: readonly Step<N, C>[], resolveCall: Resolver<N, C>, functionBody: boolean): Compacted<N, C> {
  let copy: Step<N, C>[] | undefined;
  let takesLocks = false;
  let previousThrowsSame = false;
  let leading = functionBody;
  let lastChange = steps.length;
  if (functionBody) {
    lastChange = -1;
    for (let index = steps.length - 1; index >= 0; index -= 1) {
      if (mayChangeHeld(steps[index])) {
        lastChange = index;
        break;
      }
    }
  }
  for (let index = 0; index < steps.length; index += 1) {
    const step = steps[index];
    if (isPlainExceptionPoint(step, resolveCall) && (previousThrowsSame || leading || index > lastChange)) {
      copy ??= steps.slice(0, index);
      continue;
    }
    if (mayChangeHeld(step)) leading = false;
    previousThrowsSame = throwsWithStateUnchanged(step);
    const nested = compactStep(step, resolveCall);
    if (nested.takesLocks) takesLocks = true;
    if (copy) copy.push(nested.step);
    else if (nested.step !== step) {
      copy = steps.slice(0, index);
      copy.push(nested.step);
    }
  }
  return { steps: copy ?? steps, takesLocks };
}

function compactStep<N, C>(step: Step<N, C>, resolveCall: Resolver<N, C>): { step: Step<N, C>; takesLocks: boolean } {
  switch (step.type) {
    case "acquire": {
      if (!step.body) return { step, takesLocks: true };
      const body = compact(step.body, resolveCall, true);
      return { step: body.steps === step.body ? step : { ...step, body: body.steps }, takesLocks: true };
    }
    case "release":
      return { step, takesLocks: true };
    case "call": {
      let takesLocks = resolveCall(step) !== undefined;
      let changed = false;
      const callbacks = step.callbacks.map((callback) => {
        const body = compact(callback.body, resolveCall, true);
        if (body.takesLocks) takesLocks = true;
        if (body.steps === callback.body) return callback;
        changed = true;
        return { ...callback, body: body.steps };
      });
      return { step: changed ? { ...step, callbacks } : step, takesLocks };
    }
    case "branch": {
      let takesLocks = false;
      let changed = false;
      const arms = step.arms.map((arm) => {
        const compacted = compact(arm, resolveCall, false);
        if (compacted.takesLocks) takesLocks = true;
        if (compacted.steps !== arm) changed = true;
        return compacted.steps;
      });
      return { step: changed ? { ...step, arms } : step, takesLocks };
    }
    case "try": {
      const block = compact(step.block, resolveCall, false);
      const handler = step.handler ? compact(step.handler, resolveCall, false) : undefined;
      const finalizer = step.finalizer ? compact(step.finalizer, resolveCall, false) : undefined;
      const takesLocks = block.takesLocks || Boolean(handler?.takesLocks) || Boolean(finalizer?.takesLocks);
      const changed = block.steps !== step.block || handler?.steps !== step.handler || finalizer?.steps !== step.finalizer;
      if (!changed) return { step, takesLocks };
      return {
        step: { ...step, block: block.steps, ...(handler ? { handler: handler.steps } : {}), ...(finalizer ? { finalizer: finalizer.steps } : {}) },
        takesLocks,
      };
    }
    case "loop":
    case "scope":
    case "spawn": {
      const body = compact(step.body, resolveCall, step.type === "spawn");
      return { step: body.steps === step.body ? step : { ...step, body: body.steps }, takesLocks: body.takesLocks };
    }
    default:
      return { step, takesLocks: false };
  }
}


/**
 * Where the text calls a lock method (`.acquire`, `.runWrite`, …) or spells a suffix token (`_rsw`):
 * sorted offsets. Code without any has nothing for these rules (no acquisition, no release, no
 * suffixed call or name), so a file or a function without one is not walked at all.
 */
export function lockMentions(text: string, policy: Policy): number[] {
  const pattern = mentionPattern(policy);
  const offsets: number[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[1] === undefined || policy.tokens.has(match[1])) offsets.push(match.index);
  }
  return offsets;
}

const mentionPattern = perPolicy((policy): RegExp => {
  const methods = [...lockMethodNamesOf(policy)].map(escapeRegExp);
  // Group 1: a `_word` that may be a token (checked against the policy below; a long alternation of every token is slower).
  const alternatives = ["_([a-z][a-z0-9]*)(?![A-Za-z0-9$])"];
  if (methods.length) alternatives.push(`\\.\\s*#?(?:${methods.join("|")})(?![\\w$])`);
  return new RegExp(alternatives.join("|"), "g");
});

/** Whether a sorted offset list has one in [start, end). */
function mentionedWithin(offsets: readonly number[], start: number, end: number): boolean {
  let low = 0;
  let high = offsets.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (offsets[middle] < start) low = middle + 1;
    else high = middle;
  }
  return low < offsets.length && offsets[low] < end;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- what the rules' messages name (the sentences are core/messages.ts's) ----

/**
 * Where to report about a call: from its start to the end of its callee (`this.list.runWrite`), so a
 * call with a long callback does not underline the whole callback.
 */
export function callLoc(node: TSESTree.Node): TSESTree.SourceLocation {
  if (node.type === "CallExpression" || node.type === "NewExpression") return { start: node.loc.start, end: node.callee.loc.end };
  return node.loc;
}

/** What the catalog's order and no-recursion sentences name: the callee as written (`this.list.runWrite`), and lines. */
export function conflictSource(sourceCode: Readonly<TSESLint.SourceCode>): ConflictSource<TSESTree.Node> {
  return {
    calleeText: (node) => sourceExcerpt(sourceCode.getText(node.type === "CallExpression" || node.type === "NewExpression" ? node.callee : node)),
    line: (node) => node.loc.start.line,
  };
}
