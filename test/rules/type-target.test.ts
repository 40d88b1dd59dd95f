/**
 * A target naming a type (`"target": "DBAdapter"`): every value of that type, or of one extending or
 * implementing it, is the lock itself (`db.readLock(fn)`, `this.writeLock(fn)`). Untyped, the rules
 * read the type the file writes (`this` in such a class, `db: DBAdapter`, `new MemoryAdapter()`);
 * typed, the checker's. The lock-audit side: fixtures/audit/type-target.
 */
import { RuleTester } from "@typescript-eslint/rule-tester";
import noRecursion from "../../rules/no-recursion.js";
import order from "../../rules/order.js";
import suffix from "../../rules/suffix.js";
import { testable, typedRoot } from "./lock-rule-tester.js";

const policy = {
  locks: [
    { id: "sy", target: "SyncService.syncLock", kind: "mutex" },
    { id: "db", target: "DBAdapter", kind: "rwlock" },
  ],
};
const settings = { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } };
const tester = new RuleTester({ settings });
const typedTester = new RuleTester({ settings, languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: typedRoot } } });

const ADAPTER = `interface LockContext { execute(sql: string): Promise<void> }
abstract class DBAdapter {
  abstract readLock<T>(fn: (tx: LockContext) => Promise<T>): Promise<T>;
  abstract writeLock<T>(fn: (tx: LockContext) => Promise<T>): Promise<T>;
}
class MemoryAdapter extends DBAdapter {
  async readLock<T>(fn: (tx: LockContext) => Promise<T>): Promise<T> { return fn(context); }
  async writeLock<T>(fn: (tx: LockContext) => Promise<T>): Promise<T> { return fn(context); }
}
declare const context: LockContext;
`;

tester.run("suffix (type target)", testable(suffix), {
  valid: [
    // A parameter annotated with the type, a field of it, a subclass instance, and `this` in a subclass.
    `${ADAPTER}async function read_dbr(db: DBAdapter) {
  await db.readLock(async () => 1);
}
class Service {
  constructor(readonly db: DBAdapter) {}
  async save_dbw() {
    await this.db.writeLock(async (tx) => tx.execute("x"));
  }
}
async function fresh_dbw() {
  const adapter = new MemoryAdapter();
  await adapter.writeLock(async () => 1);
}
class Sqlite extends MemoryAdapter {
  async vacuum_dbw() {
    await this.writeLock(async () => 1);
  }
}`,
    // Without a written type, the untyped rules cannot tell: silent.
    `${ADAPTER}async function unknown(db: any, other) {
  await db.writeLock(async () => 1);
  await other.readLock(async () => 1);
}`,
  ],
  invalid: [
    {
      code: `${ADAPTER}async function reset(db: DBAdapter) {
  await db.writeLock(async (tx) => tx.execute("DELETE"));
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "reset", expected: "reset_dbw", problem: "missing db:w", takes: "it takes", required: "db:w" },
          line: 11,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "reset_dbw" },
              output: `${ADAPTER}/**
 * @acquires db:w
 */
async function reset_dbw(db: DBAdapter) {
  await db.writeLock(async (tx) => tx.execute("DELETE"));
}`,
            },
          ],
        },
      ],
    },
    {
      // `this` in a class that implements the type through its superclass.
      code: `${ADAPTER}class Sqlite extends MemoryAdapter {
  async vacuum() {
    await this.readLock(async () => 1);
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "vacuum", expected: "vacuum_dbr", problem: "missing db:r", takes: "it takes", required: "db:r" },
          line: 12,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "vacuum_dbr" },
              output: `${ADAPTER}class Sqlite extends MemoryAdapter {
  /**
   * @acquires db:r
   */
  async vacuum_dbr() {
    await this.readLock(async () => 1);
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

tester.run("order (type target)", testable(order), {
  valid: [
    `${ADAPTER}class SyncService {
  syncLock = new Mutex();
  constructor(readonly db: DBAdapter) {}
  async upload_sy_dbr() {
    await this.syncLock.runExclusive(async () => {
      await this.db.readLock(async () => 1);
    });
  }
}`,
  ],
  invalid: [
    {
      code: `${ADAPTER}class SyncService {
  syncLock = new Mutex();
  constructor(readonly db: DBAdapter) {}
  async apply_sy_dbw() {
    await this.db.writeLock(async () => {
      await this.syncLock.runExclusive(async () => 1);
    });
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", data: { callee: "this.syncLock.runExclusive", acquired: "sy", held: "db:w", taken: "taken on line 15", acquiredIds: "sy", heldIds: "db" }, line: 16 }],
    },
  ],
});

tester.run("no-recursion (type target)", testable(noRecursion), {
  valid: [
    // Two different variables of the type are one lock, taken one after the other.
    `${ADAPTER}async function copy_dbw(from: DBAdapter, to: MemoryAdapter) {
  await from.readLock(async () => 1);
  await to.writeLock(async () => 1);
}`,
  ],
  invalid: [
    {
      // Every instance is the one lock: holding one adapter, taking another waits like re-taking it.
      code: `${ADAPTER}async function copy_dbw(from: DBAdapter, to: MemoryAdapter) {
  await from.readLock(async () => {
    await to.writeLock(async () => 1);
  });
}`,
      errors: [{ messageId: "acquireHeld", line: 13 }],
    },
  ],
});

typedTester.run("suffix (type target, typed)", testable(suffix), {
  valid: [
    // The checker sees through what the file does not write: a factory's return type.
    {
      code: `${ADAPTER}function open(): DBAdapter { return new MemoryAdapter(); }
async function read_dbr() {
  const db = open();
  await db.readLock(async () => 1);
}`,
      filename: "file.ts",
    },
  ],
  invalid: [
    {
      code: `${ADAPTER}function open(): DBAdapter { return new MemoryAdapter(); }
async function read() {
  await open().readLock(async () => 1);
}`,
      filename: "file.ts",
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "read", expected: "read_dbr", problem: "missing db:r", takes: "it takes", required: "db:r" },
          line: 12,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "read_dbr" },
              output: `${ADAPTER}function open(): DBAdapter { return new MemoryAdapter(); }
/**
 * @acquires db:r
 */
async function read_dbr() {
  await open().readLock(async () => 1);
}`,
            },
          ],
        },
      ],
    },
  ],
});

tester.run("suffix (type target, untyped: a factory's result is unknown)", testable(suffix), {
  valid: [
    `${ADAPTER}function open(): DBAdapter { return new MemoryAdapter(); }
async function read() {
  await open().readLock(async () => 1);
}`,
  ],
  invalid: [],
});
