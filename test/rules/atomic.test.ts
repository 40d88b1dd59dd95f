/**
 * One-shot lock methods (lock-order.json `methods.atomic` / `methods.atomicRead`): a call that takes
 * the lock and releases it before it returns (`db.getAll(sql)` on a pool that locks internally). It
 * counts for the order and recursion like a callback form with an empty callback, and is never held
 * after the call (the lock-audit side: fixtures/audit/atomic, test/analyzer/atomic.test.ts).
 */
import { RuleTester } from "@typescript-eslint/rule-tester";
import noRecursion from "../../rules/no-recursion.js";
import order from "../../rules/order.js";
import release from "../../rules/release.js";
import suffix from "../../rules/suffix.js";
import { testable } from "./lock-rule-tester.js";

const policy = {
  locks: [
    { id: "ac", target: "Accounts.lock", kind: "mutex" },
    { id: "db", target: "Store.pool", kind: "rwlock", methods: { atomic: ["execute"], atomicRead: ["getAll"] } },
    { id: "lg", target: "Ledger.lock", kind: "mutex", methods: { atomic: ["append"] } },
  ],
};
const tester = new RuleTester({ settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } } });

const STORE = `class Store {
  readonly pool = new Pool();
`;

tester.run("suffix (methods.atomic)", testable(suffix), {
  valid: [
    // A one-shot read takes db:r, a one-shot write db:w.
    `${STORE}  async list_dbr(sql: string) {
    return this.pool.getAll(sql);
  }
  async save_dbw(sql: string) {
    await this.pool.getAll(sql);
    await this.pool.execute(sql);
  }
}`,
    // On a mutex the shared one-shot list counts as exclusive: the bare id.
    `class Ledger {
  readonly lock = new Mutex();
  async record_lg(entry: string) {
    await this.lock.append(entry);
  }
}`,
  ],
  invalid: [
    {
      code: `${STORE}  async list(sql: string) {
    return this.pool.getAll(sql);
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "list", expected: "list_dbr", problem: "missing db:r", takes: "it takes", required: "db:r" },
          line: 3,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "list_dbr" },
              output: `${STORE}  /**
   * @acquires db:r
   */
  async list_dbr(sql: string) {
    return this.pool.getAll(sql);
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

tester.run("order (methods.atomic)", testable(order), {
  valid: [
    // ac is declared before db: a one-shot call of db while holding ac is in order.
    `${STORE}  async refresh_ac_dbw(accounts: Accounts, sql: string) {
    await accounts.lock.runExclusive(async () => {
      await this.pool.execute(sql);
    });
  }
}
class Accounts { readonly lock = new Mutex(); }`,
    // db held while the one-shot append takes lg, declared after it: in order.
    `${STORE}  async close_dbw_lg(ledger: Ledger, sql: string) {
    await this.pool.writeLock(async () => {
      await ledger.lock.append(sql);
    });
  }
}
class Ledger { readonly lock = new Mutex(); }`,
    // Never held after the call: ac taken after a one-shot db call is not nested in it.
    `${STORE}  async sync_ac_dbw(accounts: Accounts, sql: string) {
    await this.pool.execute(sql);
    const release = await accounts.lock.acquire();
    try { this.touch(); } finally { release(); }
  }
}
class Accounts { readonly lock = new Mutex(); }`,
  ],
  invalid: [
    {
      // lg is declared after db: a one-shot db call while lg is held is out of order.
      code: `${STORE}  async close_dbw_lg(ledger: Ledger, sql: string) {
    await ledger.lock.runExclusive(async () => {
      await this.pool.execute(sql);
    });
  }
}
class Ledger { readonly lock = new Mutex(); }`,
      errors: [{ messageId: "acquireOutOfOrder", data: { callee: "this.pool.execute", acquired: "db:w", held: "lg", taken: "taken on line 4", acquiredIds: "db", heldIds: "lg" }, line: 5 }],
    },
    {
      // ac is declared before db: taking it inside db's callback, by a one-shot call of its own, is out of order.
      code: `class Accounts {
  readonly lock = new Mutex();
  async audit_ac_dbr(store: Store, sql: string) {
    await store.pool.readLock(async () => {
      const release = await this.lock.acquire();
      release();
    });
    await store.pool.getAll(sql);
  }
}
${STORE}}`,
      errors: [{ messageId: "acquireOutOfOrder", line: 5 }],
    },
  ],
});

tester.run("no-recursion (methods.atomic)", testable(noRecursion), {
  valid: [
    // Two one-shot calls in a row: the first released the lock before the second takes it.
    `${STORE}  async twice_dbw(sql: string) {
    await this.pool.execute(sql);
    await this.pool.execute(sql);
  }
}`,
  ],
  invalid: [
    {
      // A one-shot call of the lock the caller holds waits for itself.
      code: `${STORE}  async migrate_dbw(sql: string) {
    await this.pool.writeLock(async () => {
      await this.pool.execute(sql);
    });
  }
}`,
      errors: [{ messageId: "acquireHeld", data: { callee: "this.pool.execute", acquired: "db:w", held: "db:w", taken: "taken on line 4", acquiredIds: "db", heldIds: "db" }, line: 5 }],
    },
  ],
});

tester.run("release (methods.atomic)", testable(release), {
  valid: [
    // Released by the call itself: never a lock left held.
    `${STORE}  async save_dbw(sql: string) {
    await this.pool.execute(sql);
    const rows = await this.pool.getAll(sql);
    return rows;
  }
}`,
  ],
  invalid: [],
});
