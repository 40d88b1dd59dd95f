/**
 * The ESLint front end of the held-set analysis: ESTree → the core `Step` IR, one program per function.
 * Lock resolution lives in resolve-lock.ts and is re-exported here for the other rules.
 */
export {
  isFunctionNode,
  lockEnvFor,
  lockRefOf,
  memberName,
  resolveLock,
  resolveLockCall,
  resolveLockIn,
  unwrapExpression,
  type LockCall,
  type LockEnv,
  type ResolvedLock,
  type TypeServices,
} from "./resolve-lock.js";
