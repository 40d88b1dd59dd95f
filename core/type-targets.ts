/**
 * Type targets (`"target": "DBAdapter"` in lock-order.json): every value whose type is that class or
 * interface, or one that extends or implements it, is that lock, the object itself (`db.readLock(fn)`,
 * `this.writeLock(fn)` inside the class). Both front ends ask with the checker they have (lock-audit's,
 * the ESLint rules' with typed linting); like the lowering, this module is handed the `ts` namespace
 * its types come from and never imports `typescript` at run time.
 */
import type * as TS from "typescript";
import { typeTargets, type DeclaredLock, type Policy } from "./policy.js";

/** What the type walk reads from its caller's `ts` namespace. */
export type TypeScriptTypes = Pick<typeof TS, "TypeFlags" | "ObjectFlags" | "SyntaxKind">;

/** How far base classes, extended interfaces and implemented interfaces are followed. */
const MAX_TYPE_DEPTH = 12;

/**
 * The declared type-target lock a type denotes, or undefined. A type matches by its name (or its
 * alias's name) or the name of any type it extends or implements, from any module; a `this` type or a
 * type parameter by its constraint; a union only when every member is the same lock (`DBAdapter |
 * undefined` is, after `undefined` is dropped); an intersection when one member is.
 */
export function typeTargetOfType(ts: TypeScriptTypes, checker: TS.TypeChecker, type: TS.Type, policy: Policy): DeclaredLock | undefined {
  const targets = typeTargets(policy);
  if (targets.size === 0) return undefined;
  const seen = new Set<TS.Type>();
  const visit = (candidate: TS.Type, depth: number): DeclaredLock | undefined => {
    if (depth > MAX_TYPE_DEPTH || seen.has(candidate)) return undefined;
    seen.add(candidate);
    let current = checker.getNonNullableType(candidate);
    if (current.flags & ts.TypeFlags.TypeParameter) {
      const constraint = checker.getBaseConstraintOfType(current);
      if (!constraint || constraint === current) return undefined;
      current = constraint;
    }
    if (current.isUnion()) {
      const locks = current.types.map((member) => visit(member, depth + 1));
      return locks.every((lock) => lock !== undefined && lock === locks[0]) ? locks[0] : undefined;
    }
    if (current.isIntersection()) {
      for (const member of current.types) {
        const lock = visit(member, depth + 1);
        if (lock) return lock;
      }
      return undefined;
    }
    for (const symbol of [current.aliasSymbol, current.getSymbol()]) {
      const lock = symbol && targets.get(symbol.getName());
      if (lock) return lock;
    }
    // `DBAdapter<T>` is a reference to the generic class: its bases are the generic's.
    const declared =
      current.flags & ts.TypeFlags.Object && (current as TS.ObjectType).objectFlags & ts.ObjectFlags.Reference ? (current as TS.TypeReference).target : current;
    if (declared.isClassOrInterface()) {
      for (const base of checker.getBaseTypes(declared)) {
        const lock = visit(base, depth + 1);
        if (lock) return lock;
      }
    }
    for (const declaration of declared.getSymbol()?.declarations ?? []) {
      for (const clause of (declaration as Partial<TS.ClassLikeDeclaration>).heritageClauses ?? []) {
        if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
        for (const implemented of clause.types) {
          const lock = visit(checker.getTypeAtLocation(implemented), depth + 1);
          if (lock) return lock;
        }
      }
    }
    return undefined;
  };
  return visit(type, 0);
}
