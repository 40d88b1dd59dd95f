/**
 * Which declared lock an expression is: `this.entries` inside `class MemberList`, `Server.member`,
 * a local alias, `withTimeout(lock, ms)`, a module-level lock (declared here or imported), and with
 * typed linting `other.entries` where `other: MemberList`.
 *
 * Shared by the lock rules (through the extractor) and by the `doc` and `key-source` rules; keep the
 * exported signatures stable.
 */
import { createRequire } from "node:module";
import { dirname, isAbsolute, posix, relative, resolve } from "node:path";
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import type * as ts from "typescript";
import type { LockRef } from "../../core/flow.js";
import { joinLookupKeys, lookupKeyArgument, wrappedLockArgument } from "../../core/recognition.js";
import { allMethodNames, classifyMethod, memberNameOf, moduleTargetKey, perPolicy, typeTargets, type DeclaredLock, type MethodCategory, type Policy } from "../../core/policy.js";
import { typeTargetOfType } from "../../core/type-targets.js";

type RuleContext = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;

/** What lock resolution needs to know about the linted file; one per file (see `lockEnvFor`). */
export interface LockEnv {
  readonly policy: Policy;
  readonly sourceCode: Readonly<TSESLint.SourceCode>;
  /** Absolute path of the linted file, or undefined for `<input>` and the like. */
  readonly filename: string | undefined;
  /** Directory that module-level targets (`src/locks.ts#registry`) are relative to: that of lock-order.json. */
  readonly policyDir: string;
  /** The linted file as a module target path (relative to `policyDir`), when it has a real path. */
  readonly modulePath: string | undefined;
  /** Every method name that acquires or releases some declared lock (a fast first filter). */
  readonly lockMethodNames: ReadonlySet<string>;
  /** Present with typed linting (typescript-eslint `parserOptions.project` / `projectService`). */
  readonly types: TypeServices | undefined;
  /** Names of the getters declared in this file that carry an underscore (reading one runs it: a call). */
  readonly suffixedGetterNames: ReadonlySet<string>;
}

export interface TypeServices {
  readonly checker: ts.TypeChecker;
  readonly esTreeNodeToTSNodeMap: { get(node: TSESTree.Node): ts.Node | undefined };
}

export interface ResolvedLock {
  readonly lock: DeclaredLock;
  /** Keyed locks, when resolving a call such as `locks.acquire(key)`: the key argument's source text. */
  readonly keyText?: string;
  /** A lock looked up in a declared keyed collection (`this.locks.get(id)`): the lookup key's source text. */
  readonly lookupKey?: string;
}

/** A call of a lock method on a declared lock: `this.entries.runWrite(fn)`, `locks.acquire(key)`, `this.m.release()`. */
export interface LockCall {
  readonly lock: DeclaredLock;
  readonly call: TSESTree.CallExpression;
  readonly method: string;
  /** What the call does, per the lock's `methods` (`read` on a mutex counts as `write`). */
  readonly action: MethodCategory;
  /** Keyed locks: the key argument (the first argument that is not a function). */
  readonly keyNode?: TSESTree.Node;
  readonly keyText?: string;
}

let typescript: typeof ts | null | undefined;

/**
 * The `typescript` package that typescript-eslint parsed the file with (resolved next to its
 * typescript-estree, so its `SyntaxKind` values are those of the nodes), or our own peer.
 */
export function typescriptOfParser(): typeof ts | undefined {
  if (typescript !== undefined) return typescript ?? undefined;
  const require = createRequire(import.meta.url);
  for (const from of ["@typescript-eslint/typescript-estree", "@typescript-eslint/parser"]) {
    try {
      typescript = createRequire(require.resolve(from))("typescript") as typeof ts;
      return typescript;
    } catch {
      // not resolvable from there: try the next
    }
  }
  try {
    typescript = require("typescript") as typeof ts;
  } catch {
    typescript = null;
  }
  return typescript ?? undefined;
}

const envCache = new WeakMap<object, LockEnv>();

/** A class (not an object literal with an accessor) so that building one per file stays cheap. */
class FileLockEnv implements LockEnv {
  readonly lockMethodNames: ReadonlySet<string>;
  /** Computed on first use: most files have no module-level lock. `null` = not computed yet. */
  #modulePath: string | undefined | null = null;

  constructor(
    readonly policy: Policy,
    readonly sourceCode: Readonly<TSESLint.SourceCode>,
    readonly filename: string | undefined,
    readonly policyDir: string,
    readonly types: TypeServices | undefined,
  ) {
    this.lockMethodNames = lockMethodNamesOf(policy);
  }

  get modulePath(): string | undefined {
    if (this.#modulePath === null) this.#modulePath = this.filename === undefined ? undefined : toModulePath(this.policyDir, this.filename);
    return this.#modulePath;
  }

  /** Computed on first use, from the text (a getter's name follows `get`; a false match only names a non-getter). */
  #suffixedGetterNames: ReadonlySet<string> | undefined;
  get suffixedGetterNames(): ReadonlySet<string> {
    if (!this.#suffixedGetterNames) {
      const names = new Set<string>();
      for (const match of this.sourceCode.text.matchAll(/\bget\s+(#?[A-Za-z_$][\w$]*_[\w$]*)\s*\(/g)) names.add(match[1]);
      this.#suffixedGetterNames = names;
    }
    return this.#suffixedGetterNames;
  }
}

/** The lock environment of the file being linted, built once per file (keyed by its AST) and policy. */
export function lockEnvFor(context: RuleContext, policy: Policy): LockEnv {
  const sourceCode = context.sourceCode;
  const cached = envCache.get(sourceCode.ast);
  if (cached && cached.policy === policy) return cached;
  const filename = context.filename && isAbsolute(context.filename) ? context.filename : undefined;
  const policyDir = isAbsolute(policy.file) ? dirname(policy.file) : context.cwd;
  const services = sourceCode.parserServices;
  const program = services?.program;
  const types: TypeServices | undefined =
    program && services.esTreeNodeToTSNodeMap ? { checker: program.getTypeChecker(), esTreeNodeToTSNodeMap: services.esTreeNodeToTSNodeMap } : undefined;
  const env = new FileLockEnv(policy, sourceCode, filename, policyDir, types);
  envCache.set(sourceCode.ast, env);
  return env;
}

/** Every method name that acquires or releases some declared lock. */
export const lockMethodNamesOf = perPolicy((policy): ReadonlySet<string> => {
  const names = new Set<string>();
  for (const lock of policy.locks) {
    for (const name of allMethodNames(lock.methods)) names.add(name);
  }
  return names;
});

/** `lockRef` for a declared lock, shared so that every step about one lock carries the same object. */
const lockRefs = new WeakMap<DeclaredLock, LockRef>();
export function lockRefOf(lock: DeclaredLock): LockRef {
  let ref = lockRefs.get(lock);
  if (!ref) {
    ref = { key: lock.id, declared: lock };
    lockRefs.set(lock, ref);
  }
  return ref;
}

/** The name of a non-computed (or string-literal) member: `entries`, `#entries`. */
export function memberName(member: TSESTree.MemberExpression): string | undefined {
  const property = member.property;
  if (!member.computed) {
    if (property.type === AST_NODE_TYPES.Identifier) return property.name;
    if (property.type === AST_NODE_TYPES.PrivateIdentifier) return `#${property.name}`;
    return undefined;
  }
  if (property.type === AST_NODE_TYPES.Literal && typeof property.value === "string") return property.value;
  return undefined;
}

/** Strips what does not change which object an expression is: `x!`, `x as T`, `<T>x`, `x satisfies T`, `a?.b`. */
export function unwrapExpression(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  for (;;) {
    switch (current.type) {
      case AST_NODE_TYPES.TSNonNullExpression:
      case AST_NODE_TYPES.TSAsExpression:
      case AST_NODE_TYPES.TSTypeAssertion:
      case AST_NODE_TYPES.TSSatisfiesExpression:
      case AST_NODE_TYPES.ChainExpression:
        current = current.expression;
        break;
      default:
        return current;
    }
  }
}

/** Bounds alias chains (`const a = b; const b = a` must not loop). */
const MAX_ALIAS_DEPTH = 6;

/**
 * The declared lock an expression denotes (`this.entries`, an alias, `withTimeout(lock, ms)`, a
 * module-level lock, `other.entries` with typed linting), or undefined. Given a lock-method call
 * (`locks.acquire(key)`), resolves its receiver and also returns the key's source text (keyed locks).
 */
export function resolveLock(context: RuleContext, policy: Policy, expr: TSESTree.Node): ResolvedLock | undefined {
  return resolveLockIn(lockEnvFor(context, policy), expr);
}

/** `resolveLock` with the file's environment already built (the extractor calls this per call site). */
export function resolveLockIn(env: LockEnv, expr: TSESTree.Node): ResolvedLock | undefined {
  const node = unwrapExpression(expr);
  if (node.type === AST_NODE_TYPES.CallExpression) {
    const lockCall = resolveLockCall(node, env);
    if (lockCall) return lockCall.keyText === undefined ? { lock: lockCall.lock } : { lock: lockCall.lock, keyText: lockCall.keyText };
  }
  return lockFoundOf(node, env, 0);
}

/**
 * `lockOfExpression`, and besides the shapes that tell a lock of a declared keyed collection by its
 * key or hand a lock over: `this.locks.get(id)` (the collection is the declared lock, the key tells
 * its members apart), `… ?? new Mutex()`, a local assigned only that lock or fresh ones
 * (get-or-create), and `this.getLock()` / `this.lockFor(id)`, a method of the class whose every
 * return is the same lock (a returned lookup key that is a parameter is the call's argument).
 */
function lockFoundOf(node: TSESTree.Node, env: LockEnv, depth: number): ResolvedLock | undefined {
  if (depth > MAX_ALIAS_DEPTH) return undefined;
  switch (node.type) {
    case AST_NODE_TYPES.CallExpression: {
      const callee = unwrapExpression(node.callee);
      if (callee.type !== AST_NODE_TYPES.MemberExpression) break;
      const method = memberName(callee);
      const keyArgument = method === undefined ? undefined : lookupKeyArgument(method);
      if (keyArgument !== undefined) {
        const key = node.arguments[keyArgument];
        const found = key && lookupIn(unwrapExpression(callee.object), env.sourceCode.getText(key), env, depth);
        if (found) return found;
      }
      if (method !== undefined && unwrapExpression(callee.object).type === AST_NODE_TYPES.ThisExpression) {
        const returned = returnedLockOf(node, method, env, depth);
        if (returned) return returned;
      }
      break;
    }
    case AST_NODE_TYPES.LogicalExpression:
      if ((node.operator === "??" || node.operator === "||") && isCreation(node.right)) return lockFoundOf(unwrapExpression(node.left), env, depth + 1);
      break;
    case AST_NODE_TYPES.MemberExpression: {
      // `this.locks[i]`: an element of a declared keyed collection, its index the key.
      if (!node.computed || node.property.type === AST_NODE_TYPES.Literal) break;
      const found = lookupIn(unwrapExpression(node.object), env.sourceCode.getText(node.property), env, depth);
      if (found) return found;
      break;
    }
    case AST_NODE_TYPES.Identifier: {
      const direct = lockOfExpression(node, env, depth);
      if (direct) return { lock: direct };
      const variable = findVariableOf(node, env);
      const declarator = variable?.defs[0]?.node;
      if (!variable || declarator?.type !== AST_NODE_TYPES.VariableDeclarator || declarator.id.type !== AST_NODE_TYPES.Identifier || !declarator.init) return undefined;
      const found = lockFoundOf(unwrapExpression(declarator.init), env, depth + 1);
      if (!found) return undefined;
      // Get-or-create: every other assignment is a fresh lock (`lock = new Mutex()`) or the same lock.
      for (const reference of variable.references) {
        if (!reference.isWrite() || reference.init) continue;
        const written = reference.writeExpr;
        if (!written || isCreation(written)) continue;
        const other = lockFoundOf(unwrapExpression(written), env, depth + 1);
        if (other?.lock !== found.lock || other.lookupKey !== found.lookupKey) return undefined;
      }
      return found;
    }
    default:
      break;
  }
  const lock = lockOfExpression(node, env, depth);
  return lock ? { lock } : undefined;
}

/**
 * A lookup by `key` in a collection: the declared keyed collection itself (`this.locks.get(id)`), or
 * a lookup in it one level up (`this.locks.get(org)?.get(id)`, the keys joined: `org, id`).
 */
function lookupIn(collectionNode: TSESTree.Node, key: string, env: LockEnv, depth: number): ResolvedLock | undefined {
  const collection = lockOfExpression(collectionNode, env, depth + 1);
  if (collection) return collection.kind === "keyed" ? { lock: collection, lookupKey: key } : undefined;
  const outer = collectionNode.type === AST_NODE_TYPES.CallExpression || collectionNode.type === AST_NODE_TYPES.MemberExpression ? lockFoundOf(collectionNode, env, depth + 1) : undefined;
  return outer?.lookupKey !== undefined ? { lock: outer.lock, lookupKey: joinLookupKeys(outer.lookupKey, key) } : undefined;
}

/** `new Mutex()`, `createLock()`: a value made on the spot, not a lock someone else holds. */
function isCreation(node: TSESTree.Node): boolean {
  const inner = unwrapExpression(node);
  return inner.type === AST_NODE_TYPES.NewExpression || inner.type === AST_NODE_TYPES.CallExpression;
}

/** The lock `this.method(…)` returns, when the class in this file declares the method and its every return is that lock. */
function returnedLockOf(call: TSESTree.CallExpression, method: string, env: LockEnv, depth: number): ResolvedLock | undefined {
  const classNode = classOfThis(call);
  if (!classNode) return undefined;
  let fn: TSESTree.FunctionExpression | TSESTree.ArrowFunctionExpression | undefined;
  for (const element of classNode.body.body) {
    if (element.type !== AST_NODE_TYPES.MethodDefinition && element.type !== AST_NODE_TYPES.PropertyDefinition) continue;
    if (element.computed || element.static) continue;
    const key = element.key.type === AST_NODE_TYPES.Identifier ? element.key.name : element.key.type === AST_NODE_TYPES.PrivateIdentifier ? `#${element.key.name}` : undefined;
    if (key !== method) continue;
    const value = element.value && unwrapExpression(element.value);
    if (value && isFunctionNode(value)) fn = value;
    break;
  }
  if (!fn) return undefined;
  let found: ResolvedLock | undefined;
  for (const value of returnedExpressionsOf(fn)) {
    const lock = lockFoundOf(unwrapExpression(value), env, depth + 1);
    if (!lock) {
      if (isCreation(value)) continue;
      return undefined;
    }
    if (found && (found.lock !== lock.lock || found.lookupKey !== lock.lookupKey)) return undefined;
    found = lock;
  }
  if (!found || found.lookupKey === undefined) return found;
  const index = fn.params.findIndex((parameter) => parameter.type === AST_NODE_TYPES.Identifier && parameter.name === found!.lookupKey);
  if (index < 0) return found;
  const argument = call.arguments[index];
  return argument ? { lock: found.lock, lookupKey: env.sourceCode.getText(argument) } : undefined;
}

/** Each `return` expression of a function's own body, or an arrow's expression body. */
function returnedExpressionsOf(fn: TSESTree.FunctionExpression | TSESTree.ArrowFunctionExpression): TSESTree.Node[] {
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return [fn.body];
  const values: TSESTree.Node[] = [];
  const stack: TSESTree.Node[] = [...fn.body.body];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === AST_NODE_TYPES.ReturnStatement) {
      if (node.argument) values.push(node.argument);
      continue;
    }
    // Statements only: a nested function's returns are its own.
    switch (node.type) {
      case AST_NODE_TYPES.BlockStatement:
        stack.push(...node.body);
        break;
      case AST_NODE_TYPES.IfStatement:
        stack.push(node.consequent, ...(node.alternate ? [node.alternate] : []));
        break;
      case AST_NODE_TYPES.TryStatement:
        stack.push(node.block, ...(node.handler ? [node.handler.body] : []), ...(node.finalizer ? [node.finalizer] : []));
        break;
      case AST_NODE_TYPES.ForStatement:
      case AST_NODE_TYPES.ForInStatement:
      case AST_NODE_TYPES.ForOfStatement:
      case AST_NODE_TYPES.WhileStatement:
      case AST_NODE_TYPES.DoWhileStatement:
      case AST_NODE_TYPES.LabeledStatement:
        stack.push(node.body);
        break;
      case AST_NODE_TYPES.SwitchStatement:
        for (const switchCase of node.cases) stack.push(...switchCase.consequent);
        break;
      default:
        break;
    }
  }
  return values;
}

/** A call of one of a declared lock's methods, or undefined (any other call, or a lock that is not declared). */
export function resolveLockCall(call: TSESTree.CallExpression, env: LockEnv): LockCall | undefined {
  const callee = unwrapExpression(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
  const method = memberName(callee);
  if (method === undefined || !env.lockMethodNames.has(method)) return undefined;
  const lock = lockOfExpression(unwrapExpression(callee.object), env, 0);
  if (!lock) return undefined;
  const action = classifyMethod(lock, method);
  if (!action) return undefined;
  if (lock.kind !== "keyed") return { lock, call, method, action };
  const keyNode = call.arguments.find((argument) => !isFunctionNode(unwrapExpression(argument)));
  if (!keyNode) return { lock, call, method, action };
  return { lock, call, method, action, keyNode, keyText: env.sourceCode.getText(keyNode) };
}

export function isFunctionNode(node: TSESTree.Node): node is TSESTree.ArrowFunctionExpression | TSESTree.FunctionExpression {
  return node.type === AST_NODE_TYPES.ArrowFunctionExpression || node.type === AST_NODE_TYPES.FunctionExpression;
}

/**
 * The declared lock an expression denotes: a `Class.member` or module target it names, else, with a
 * type target declared (`"target": "DBAdapter"`), the value itself when its type is that type or
 * extends or implements it (core/type-targets.ts).
 */
function lockOfExpression(node: TSESTree.Node, env: LockEnv, depth: number): DeclaredLock | undefined {
  const named = lockByName(node, env, depth);
  if (named || depth > MAX_ALIAS_DEPTH || typeTargets(env.policy).size === 0) return named;
  return typeTargetLock(node, env);
}

function lockByName(node: TSESTree.Node, env: LockEnv, depth: number): DeclaredLock | undefined {
  if (depth > MAX_ALIAS_DEPTH) return undefined;
  switch (node.type) {
    case AST_NODE_TYPES.MemberExpression:
      return lockOfMember(node, env, depth);
    case AST_NODE_TYPES.Identifier:
      return lockOfIdentifier(node, env, depth);
    case AST_NODE_TYPES.CallExpression: {
      const callee = unwrapExpression(node.callee);
      const name =
        callee.type === AST_NODE_TYPES.Identifier ? callee.name : callee.type === AST_NODE_TYPES.MemberExpression ? memberName(callee) : undefined;
      // A same-lock wrapper of the recognition table (`withTimeout(lock, ms)`) is the lock it wraps.
      const lockArgument = name === undefined ? undefined : wrappedLockArgument(name);
      if (lockArgument !== undefined && node.arguments.length > lockArgument) {
        return lockOfExpression(unwrapExpression(node.arguments[lockArgument]), env, depth + 1);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function lockOfMember(member: TSESTree.MemberExpression, env: LockEnv, depth: number): DeclaredLock | undefined {
  const name = memberName(member);
  if (name === undefined) return undefined;
  const object = unwrapExpression(member.object);
  if (object.type === AST_NODE_TYPES.ThisExpression) {
    const classNode = classOfThis(member);
    const found = classNode ? memberOfClass(classNode, name, env) : undefined;
    if (found) return found;
  } else if (object.type === AST_NODE_TYPES.Identifier) {
    // `Server.member` (a static member) or `ns.registry` (a namespace import of a module with module-level locks).
    const byClassName = memberTarget(env.policy, object.name, name);
    if (byClassName) return byClassName;
    const namespaceTarget = namespaceImportTarget(object, name, env);
    if (namespaceTarget) return namespaceTarget;
  }
  // `this.holder.lock` with `holder: Holder` (a field or constructor parameter property), `holder.lock`
  // with a parameter or variable `holder: Holder`: the annotation names the class, no checker needed.
  const annotated = annotatedClassOf(object, env);
  if (annotated !== undefined) {
    const found = memberTarget(env.policy, annotated, name);
    if (found) return found;
  }
  return typedMemberLock(member, name, env);
}

// ---- type targets: what the file shows of a value's type ----

/**
 * The type-target lock of a value. Typed: its type, from the checker. Untyped: the type the file
 * writes for it — `this` in a class, an annotation (`db: DBAdapter` on a parameter, variable, field
 * or parameter property), or `new X()` initializing a variable — matched by name, through the
 * classes and interfaces this file declares (`class SqliteAdapter extends DBAdapter`); anything
 * else stays unresolved.
 */
function typeTargetLock(node: TSESTree.Node, env: LockEnv): DeclaredLock | undefined {
  if (env.types) {
    const ts = typescriptOfParser();
    try {
      const tsNode = env.types.esTreeNodeToTSNodeMap.get(node);
      return ts && tsNode ? typeTargetOfType(ts, env.types.checker, env.types.checker.getTypeAtLocation(tsNode), env.policy) : undefined;
    } catch {
      return undefined; // the checker can fail on broken programs: unresolved, never an exception
    }
  }
  if (node.type === AST_NODE_TYPES.ThisExpression) {
    const classNode = classOfThis(node);
    return classNode ? typeTargetOfDeclaration(classNode, env, 0) : undefined;
  }
  const written = annotatedClassOf(node, env) ?? constructedClassOf(node, env);
  return written === undefined ? undefined : typeTargetNamed(written, env, 0);
}

/** `X` for an identifier bound by `const x = new X()` (never reassigned), or undefined. */
function constructedClassOf(node: TSESTree.Node, env: LockEnv): string | undefined {
  if (node.type !== AST_NODE_TYPES.Identifier) return undefined;
  const variable = findVariableOf(node, env);
  const definition = variable?.defs[0];
  if (definition?.node.type !== AST_NODE_TYPES.VariableDeclarator || !variable!.references.every((ref) => !ref.isWrite() || ref.init)) return undefined;
  const init = definition.node.init && unwrapExpression(definition.node.init);
  return init?.type === AST_NODE_TYPES.NewExpression && init.callee.type === AST_NODE_TYPES.Identifier ? init.callee.name : undefined;
}

type TypeDeclarationNode = TSESTree.ClassDeclaration | TSESTree.ClassExpression | TSESTree.TSInterfaceDeclaration;

/** The type target a type of this name is, itself or through the supertypes this file declares for it. */
function typeTargetNamed(name: string, env: LockEnv, depth: number): DeclaredLock | undefined {
  const direct = typeTargets(env.policy).get(name);
  if (direct || depth > MAX_ALIAS_DEPTH) return direct;
  const declaration = typeDeclaredInFile(name, env);
  return declaration ? typeTargetOfDeclaration(declaration, env, depth + 1) : undefined;
}

function typeTargetOfDeclaration(declaration: TypeDeclarationNode, env: LockEnv, depth: number): DeclaredLock | undefined {
  const own = declaration.type === AST_NODE_TYPES.ClassExpression ? classNameOf(declaration) : declaration.id?.name;
  const direct = own === undefined ? undefined : typeTargets(env.policy).get(own);
  if (direct || depth > MAX_ALIAS_DEPTH) return direct;
  const supertypes =
    declaration.type === AST_NODE_TYPES.TSInterfaceDeclaration
      ? declaration.extends.map((heritage) => heritage.expression)
      : [...(declaration.superClass ? [declaration.superClass] : []), ...declaration.implements.map((heritage) => heritage.expression)];
  for (const supertype of supertypes) {
    const expression = unwrapExpression(supertype);
    const found = expression.type === AST_NODE_TYPES.Identifier ? typeTargetNamed(expression.name, env, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** A class or interface of this name declared at the top level of the file (exported or not). */
function typeDeclaredInFile(name: string, env: LockEnv): TypeDeclarationNode | undefined {
  for (const statement of env.sourceCode.ast.body) {
    const declaration =
      (statement.type === AST_NODE_TYPES.ExportNamedDeclaration || statement.type === AST_NODE_TYPES.ExportDefaultDeclaration) && statement.declaration
        ? statement.declaration
        : statement;
    if ((declaration.type === AST_NODE_TYPES.ClassDeclaration || declaration.type === AST_NODE_TYPES.TSInterfaceDeclaration) && declaration.id?.name === name) {
      return declaration;
    }
  }
  return undefined;
}

/** The class named by a type annotation, `Holder` in `x: Holder` (generic arguments ignored), or undefined. */
function annotationClassName(annotation: TSESTree.TSTypeAnnotation | undefined): string | undefined {
  const type = annotation?.typeAnnotation;
  return type?.type === AST_NODE_TYPES.TSTypeReference && type.typeName.type === AST_NODE_TYPES.Identifier ? type.typeName.name : undefined;
}

/** The annotated class of `this.member` (a field or constructor parameter property of the enclosing class) or of an annotated identifier. */
function annotatedClassOf(object: TSESTree.Node, env: LockEnv): string | undefined {
  if (object.type === AST_NODE_TYPES.Identifier) {
    const definition = findVariableOf(object, env)?.defs[0];
    const name = definition?.name;
    if (name?.type === AST_NODE_TYPES.Identifier) return annotationClassName(name.typeAnnotation);
    return undefined;
  }
  if (object.type !== AST_NODE_TYPES.MemberExpression || unwrapExpression(object.object).type !== AST_NODE_TYPES.ThisExpression) return undefined;
  const member = memberName(object);
  const classNode = member === undefined ? undefined : classOfThis(object);
  if (!classNode || member === undefined) return undefined;
  for (const element of classNode.body.body) {
    if (element.type === AST_NODE_TYPES.PropertyDefinition && !element.computed) {
      const key = element.key.type === AST_NODE_TYPES.Identifier ? element.key.name : element.key.type === AST_NODE_TYPES.PrivateIdentifier ? `#${element.key.name}` : undefined;
      if (key === member) return annotationClassName(element.typeAnnotation);
    } else if (element.type === AST_NODE_TYPES.MethodDefinition && element.kind === "constructor") {
      for (const parameter of element.value.params) {
        if (parameter.type !== AST_NODE_TYPES.TSParameterProperty) continue;
        const bound = parameter.parameter.type === AST_NODE_TYPES.AssignmentPattern ? parameter.parameter.left : parameter.parameter;
        if (bound.type === AST_NODE_TYPES.Identifier && bound.name === member) return annotationClassName(bound.typeAnnotation);
      }
    }
  }
  return undefined;
}

/** The class whose instance (or constructor, in static code) `this` is at `node`, or undefined (plain functions, object literals). */
function classOfThis(node: TSESTree.Node): TSESTree.ClassDeclaration | TSESTree.ClassExpression | undefined {
  let current: TSESTree.Node | undefined = node.parent;
  while (current) {
    switch (current.type) {
      case AST_NODE_TYPES.FunctionDeclaration:
        return undefined;
      case AST_NODE_TYPES.FunctionExpression: {
        const parent = current.parent;
        // A method's `this` is the class; any other `function` has its own `this`.
        if (parent?.type !== AST_NODE_TYPES.MethodDefinition && parent?.type !== AST_NODE_TYPES.TSAbstractMethodDefinition) return undefined;
        break;
      }
      case AST_NODE_TYPES.ClassBody: {
        const owner = current.parent;
        return owner?.type === AST_NODE_TYPES.ClassDeclaration || owner?.type === AST_NODE_TYPES.ClassExpression ? owner : undefined;
      }
      default:
        break;
    }
    current = current.parent;
  }
  return undefined;
}

function classNameOf(classNode: TSESTree.ClassDeclaration | TSESTree.ClassExpression): string | undefined {
  if (classNode.id) return classNode.id.name;
  const parent = classNode.parent;
  // `const MemberList = class { … }`
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier) return parent.id.name;
  return undefined;
}

const memberTargetsByClass = perPolicy((policy): ReadonlyMap<string, ReadonlyMap<string, DeclaredLock>> => {
  const byClass = new Map<string, Map<string, DeclaredLock>>();
  for (const lock of policy.locks) {
    const target = lock.parsedTarget;
    if (target.kind !== "member") continue;
    let members = byClass.get(target.className);
    if (!members) byClass.set(target.className, (members = new Map()));
    members.set(memberNameOf(target), lock);
  }
  return byClass;
});

/** The declared `Class.member` lock, looked up by class then member (no string building per lookup). */
function memberTarget(policy: Policy, className: string, member: string): DeclaredLock | undefined {
  return memberTargetsByClass(policy).get(className)?.get(member);
}

/** `Class.member` for the class and, for non-private members, its superclasses (by name; followed within this file). */
function memberOfClass(classNode: TSESTree.ClassDeclaration | TSESTree.ClassExpression, member: string, env: LockEnv): DeclaredLock | undefined {
  let current: TSESTree.ClassDeclaration | TSESTree.ClassExpression | undefined = classNode;
  for (let depth = 0; current && depth < MAX_ALIAS_DEPTH; depth += 1) {
    const className = classNameOf(current);
    if (className !== undefined) {
      const found = memberTarget(env.policy, className, member);
      if (found) return found;
    }
    if (member.startsWith("#")) return undefined; // private fields are not inherited
    const superClass = current.superClass ? unwrapExpression(current.superClass) : undefined;
    if (superClass?.type !== AST_NODE_TYPES.Identifier) return undefined;
    const inherited = memberTarget(env.policy, superClass.name, member);
    if (inherited) return inherited;
    current = classDeclaredAs(superClass, env);
  }
  return undefined;
}

function classDeclaredAs(identifier: TSESTree.Identifier, env: LockEnv): TSESTree.ClassDeclaration | TSESTree.ClassExpression | undefined {
  const variable = findVariableOf(identifier, env);
  const definition = variable?.defs[0];
  if (!definition) return undefined;
  if (definition.node.type === AST_NODE_TYPES.ClassDeclaration) return definition.node;
  if (definition.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init?.type === AST_NODE_TYPES.ClassExpression) return definition.node.init;
  return undefined;
}

function findVariableOf(identifier: TSESTree.Identifier, env: LockEnv): TSESLint.Scope.Variable | undefined {
  try {
    return ASTUtils.findVariable(env.sourceCode.getScope(identifier), identifier) ?? undefined;
  } catch {
    return undefined; // a node the scope manager does not know (synthetic code): unresolved, never an exception
  }
}

function lockOfIdentifier(identifier: TSESTree.Identifier, env: LockEnv, depth: number): DeclaredLock | undefined {
  const variable = findVariableOf(identifier, env);
  const definition = variable?.defs[0];
  if (variable && definition) {
    if (definition.type === "ImportBinding") {
      return importedLock(definition.node, definition.parent as TSESTree.ImportDeclaration, env) ?? typedIdentifierLock(identifier, env);
    }
    if (definition.node.type === AST_NODE_TYPES.VariableDeclarator) {
      const declarator = definition.node;
      const scopeType = variable.scope.type;
      if ((scopeType === "module" || scopeType === "global") && env.modulePath !== undefined) {
        const own = env.policy.byTarget.get(moduleTargetKey(env.modulePath, identifier.name));
        if (own) return own;
      }
      // A local alias: `const m = this.entries`, `const m = withTimeout(this.entries, 500)`, `const { entries } = this`.
      const declaration = declarator.parent;
      const neverReassigned = declaration?.type === AST_NODE_TYPES.VariableDeclaration && (declaration.kind === "const" || variable.references.every((ref) => !ref.isWrite() || ref.init));
      if (neverReassigned && declarator.init) {
        if (declarator.id.type === AST_NODE_TYPES.Identifier) return lockOfExpression(unwrapExpression(declarator.init), env, depth + 1);
        if (declarator.id.type === AST_NODE_TYPES.ObjectPattern) return lockOfDestructured(declarator.id, identifier.name, declarator.init, env);
      }
      return undefined;
    }
    return undefined;
  }
  return typedIdentifierLock(identifier, env);
}

/** `const { entries } = this` inside `class MemberList`: MemberList.entries. */
function lockOfDestructured(pattern: TSESTree.ObjectPattern, localName: string, init: TSESTree.Expression, env: LockEnv): DeclaredLock | undefined {
  const source = unwrapExpression(init);
  for (const property of pattern.properties) {
    if (property.type !== AST_NODE_TYPES.Property || property.computed) continue;
    const value = property.value.type === AST_NODE_TYPES.AssignmentPattern ? property.value.left : property.value;
    if (value.type !== AST_NODE_TYPES.Identifier || value.name !== localName) continue;
    const key = property.key.type === AST_NODE_TYPES.Identifier ? property.key.name : undefined;
    if (key === undefined) return undefined;
    if (source.type === AST_NODE_TYPES.ThisExpression) {
      const classNode = classOfThis(pattern);
      return classNode ? memberOfClass(classNode, key, env) : undefined;
    }
    if (source.type === AST_NODE_TYPES.Identifier) return memberTarget(env.policy, source.name, key);
    return undefined;
  }
  return undefined;
}

function importedLock(specifier: TSESTree.Node, declaration: TSESTree.ImportDeclaration, env: LockEnv): DeclaredLock | undefined {
  let exportName: string;
  if (specifier.type === AST_NODE_TYPES.ImportSpecifier) {
    exportName = specifier.imported.type === AST_NODE_TYPES.Identifier ? specifier.imported.name : String(specifier.imported.value);
  } else if (specifier.type === AST_NODE_TYPES.ImportDefaultSpecifier) {
    exportName = "default";
  } else {
    return undefined; // a namespace import is a module, not a lock (see namespaceImportTarget)
  }
  return moduleLock(declaration.source.value, exportName, env);
}

function namespaceImportTarget(object: TSESTree.Identifier, exportName: string, env: LockEnv): DeclaredLock | undefined {
  const definition = findVariableOf(object, env)?.defs[0];
  if (definition?.type !== "ImportBinding" || definition.node.type !== AST_NODE_TYPES.ImportNamespaceSpecifier) return undefined;
  return moduleLock((definition.parent as TSESTree.ImportDeclaration).source.value, exportName, env);
}

/** TypeScript ESM spells `./locks.ts` as `./locks.js`; an extensionless specifier may name `.ts` or `index.ts`. */
const SOURCE_EXTENSIONS: readonly [string, readonly string[]][] = [
  [".js", [".ts", ".tsx", ".js"]],
  [".mjs", [".mts", ".mjs"]],
  [".cjs", [".cts", ".cjs"]],
  [".jsx", [".tsx", ".jsx"]],
];

/** A module-level lock imported from a relative specifier (package imports and path aliases need typed linting). */
function moduleLock(specifier: string, exportName: string, env: LockEnv): DeclaredLock | undefined {
  if (env.filename === undefined || !specifier.startsWith(".")) return undefined;
  const base = toModulePath(env.policyDir, resolve(dirname(env.filename), specifier));
  const candidates = [base];
  const extension = SOURCE_EXTENSIONS.find(([ext]) => base.endsWith(ext));
  if (extension) {
    const stem = base.slice(0, -extension[0].length);
    candidates.push(...extension[1].map((ext) => stem + ext));
  } else if (!/\.[cm]?[jt]sx?$/.test(base)) {
    candidates.push(`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}.js`, `${base}/index.js`);
  }
  for (const candidate of candidates) {
    const found = env.policy.byTarget.get(moduleTargetKey(candidate, exportName));
    if (found) return found;
  }
  return undefined;
}

function toModulePath(policyDir: string, file: string): string {
  return relative(policyDir, file).split("\\").join(posix.sep);
}

// ---- typed linting: `other.entries` where `other: MemberList`, and imports the specifier does not reveal ----

/** A TS node's `name.text`, read structurally so the rules need no runtime `typescript` import. */
function nameTextOf(node: ts.Node | undefined): string | undefined {
  const name = (node as { name?: { text?: unknown } } | undefined)?.name;
  return typeof name?.text === "string" ? name.text : undefined;
}

function typedMemberLock(member: TSESTree.MemberExpression, name: string, env: LockEnv): DeclaredLock | undefined {
  const types = env.types;
  if (!types) return undefined;
  try {
    const tsMember = types.esTreeNodeToTSNodeMap.get(member) as (ts.Node & { name?: ts.Node; argumentExpression?: ts.Node }) | undefined;
    const nameNode = tsMember?.name ?? tsMember?.argumentExpression;
    if (!nameNode) return undefined;
    const symbol = types.checker.getSymbolAtLocation(nameNode);
    for (const declaration of symbol?.declarations ?? []) {
      // A class member's parent is the class; a constructor parameter property's grandparent is.
      const owner = nameTextOf(declaration.parent) ?? nameTextOf(declaration.parent?.parent);
      if (owner === undefined) continue;
      const found = memberTarget(env.policy, owner, name);
      if (found) return found;
    }
  } catch {
    // The checker can fail on broken programs; an unresolved lock just means silence.
  }
  return undefined;
}

/** Symbol flag `Alias` (1 << 21), stable across TypeScript versions; read as a number to avoid importing `typescript`. */
const SYMBOL_FLAG_ALIAS = 1 << 21;

function typedIdentifierLock(identifier: TSESTree.Identifier, env: LockEnv): DeclaredLock | undefined {
  const types = env.types;
  if (!types) return undefined;
  try {
    const tsNode = types.esTreeNodeToTSNodeMap.get(identifier);
    if (!tsNode) return undefined;
    let symbol = types.checker.getSymbolAtLocation(tsNode);
    if (symbol && symbol.flags & SYMBOL_FLAG_ALIAS) symbol = types.checker.getAliasedSymbol(symbol);
    const declaration = symbol?.declarations?.[0];
    if (!symbol || !declaration) return undefined;
    // Module level: VariableDeclaration → VariableDeclarationList → VariableStatement → SourceFile.
    const sourceFile = declaration.getSourceFile();
    if (declaration.parent?.parent?.parent !== sourceFile) return undefined;
    return env.policy.byTarget.get(moduleTargetKey(toModulePath(env.policyDir, sourceFile.fileName), symbol.getName()));
  } catch {
    return undefined;
  }
}
