/**
 * The libraries of the recognition table (core/recognition.ts), seen by the ESLint rules through a
 * lock-order.json that declares their instances (`Class.member`; a Web Lock by its name,
 * `navigator.locks:<name>`): the same shapes lock-audit reads (fixtures/audit, test/analyzer/libraries.test.ts).
 */
import { RuleTester } from "@typescript-eslint/rule-tester";
import noRecursion from "../../rules/no-recursion.js";
import order from "../../rules/order.js";
import release from "../../rules/release.js";
import suffix from "../../rules/suffix.js";
import { testable } from "./lock-rule-tester.js";

const policy = {
  locks: [
    { id: "ss", target: "Sessions.lock", kind: "mutex" },
    { id: "tk", target: "Tokens.lock", kind: "mutex" },
    { id: "rp", target: "Repo.lock", kind: "rwlock" },
    { id: "bs", target: "Blockstore.lock", kind: "rwlock" },
    { id: "ac", target: "Accounts.lock", kind: "keyed" },
    { id: "lg", target: "Ledger.lock", kind: "keyed" },
    { id: "wc", target: "navigator.locks:cache", kind: "rwlock" },
    { id: "ws", target: "navigator.locks:sync", kind: "mutex" },
    { id: "or", target: "Orders.redlock", kind: "keyed" },
    { id: "iv", target: "Inventory.redlock", kind: "keyed" },
  ],
};
const tester = new RuleTester({ settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } } });

const AWAIT_LOCK = `import AwaitLock from "await-lock";
class Sessions {
  readonly lock = new AwaitLock();
  forget() {}
}
`;

/** await-lock: `acquireAsync()` held until `release()`; `tryAcquire()` held where it succeeded, never waiting. */
tester.run("order (await-lock)", testable(order), {
  valid: [
    // tk held while ss is only tried: a try-lock cannot deadlock.
    `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async expire_ss_tk(sessions: Sessions) {
    await this.lock.acquireAsync();
    try {
      if (sessions.lock.tryAcquire()) {
        try { sessions.forget(); } finally { sessions.lock.release(); }
      }
    } finally {
      this.lock.release();
    }
  }
}`,
    // ss released before tk is taken: not nested.
    `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async later_ss_tk(sessions: Sessions) {
    await sessions.lock.acquireAsync();
    sessions.lock.release();
    await this.lock.acquireAsync();
    this.lock.release();
  }
}`,
  ],
  invalid: [
    {
      code: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async revoke_ss_tk(sessions: Sessions) {
    await this.lock.acquireAsync();
    try {
      await sessions.lock.acquireAsync();
      sessions.lock.release();
    } finally {
      this.lock.release();
    }
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", line: 11 }],
    },
    {
      // Held after `if (!tryAcquire()) return`: the call through a suffixed callee comes after it.
      code: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async revoke_ss_tk(sessions: Sessions & { close_ss(): Promise<void> }) {
    if (!this.lock.tryAcquire()) return;
    try {
      await sessions.close_ss();
    } finally {
      this.lock.release();
    }
  }
}`,
      errors: [{ messageId: "callOutOfOrder", line: 11 }],
    },
  ],
});

tester.run("no-recursion (await-lock)", testable(noRecursion), {
  valid: [
    // Trying a held lock returns false at once: no deadlock.
    `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async poll_tk() {
    await this.lock.acquireAsync();
    try {
      if (this.lock.tryAcquire()) this.lock.release();
    } finally {
      this.lock.release();
    }
  }
}`,
  ],
  invalid: [
    {
      code: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async twice_tk() {
    await this.lock.acquireAsync();
    await this.lock.acquireAsync();
    this.lock.release();
    this.lock.release();
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 10 }],
    },
    {
      // Taken by tryAcquire, then waited for: the second acquisition waits forever.
      code: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async again_tk() {
    if (this.lock.tryAcquire()) {
      await this.lock.acquireAsync();
      this.lock.release();
      this.lock.release();
    }
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 10 }],
    },
  ],
});

tester.run("release (await-lock)", testable(release), {
  valid: [
    `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async issue_tk() {
    await this.lock.acquireAsync();
    try { await this.save(); } finally { this.lock.release(); }
  }
  async sweep_tk() {
    if (this.lock.tryAcquire()) {
      try { await this.save(); } finally { this.lock.release(); }
    }
  }
  async flush_tk() {
    if (!this.lock.tryAcquire()) return false;
    try { await this.save(); return true; } finally { this.lock.release(); }
  }
  async save() {}
}`,
  ],
  invalid: [
    {
      code: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async issue_tk() {
    await this.lock.acquireAsync();
    await this.save();
    this.lock.release();
  }
  async sweep_tk() {
    if (this.lock.tryAcquire()) {
      this.count += 1;
    }
  }
  count = 0;
  async save() {}
}`,
      errors: [
        { messageId: "notReleasedOnException", line: 9 },
        { messageId: "notReleased", line: 14 },
      ],
    },
  ],
});

tester.run("suffix (await-lock)", testable(suffix), {
  valid: [
    `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  async issue_tk() {
    await this.lock.acquireAsync();
    this.lock.release();
  }
  sweep_ss_tk(sessions: Sessions) {
    if (!sessions.lock.tryAcquire()) return;
    sessions.lock.release();
    if (this.lock.tryAcquire()) this.lock.release();
  }
}`,
  ],
  invalid: [
    {
      // A try-lock is taken where it succeeds: the name says so.
      code: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  sweep() {
    if (!this.lock.tryAcquire()) return;
    this.lock.release();
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          line: 8,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "sweep_tk" },
              output: `${AWAIT_LOCK}class Tokens {
  readonly lock = new AwaitLock();
  /**
   * @acquires tk
   */
  sweep_tk() {
    if (!this.lock.tryAcquire()) return;
    this.lock.release();
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

const MORTICE = `import mortice from "mortice";
class Repo {
  readonly lock = mortice({ name: "repo" });
}
`;

/** mortice: `readLock()` / `writeLock()` resolve to a release function; it is an rwlock. */
tester.run("order (mortice)", testable(order), {
  valid: [
    `${MORTICE}class Blockstore {
  readonly lock = mortice();
  async put_rpr_bsw(repo: Repo) {
    const release = await repo.lock.readLock();
    try {
      const inner = await this.lock.writeLock();
      inner();
    } finally {
      release();
    }
  }
}`,
  ],
  invalid: [
    {
      code: `${MORTICE}class Blockstore {
  readonly lock = mortice();
  async flush_rpr_bsw(repo: Repo) {
    const release = await this.lock.writeLock();
    try {
      const inner = await repo.lock.readLock();
      inner();
    } finally {
      release();
    }
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", line: 10 }],
    },
  ],
});

tester.run("no-recursion (mortice)", testable(noRecursion), {
  valid: [
    // The promised releaser of `.then(cb)` holds the lock only while cb runs.
    `${MORTICE}class Store {
  async size_rpw(repo: Repo) {
    await repo.lock.readLock().then((release) => release());
    const release = await repo.lock.writeLock();
    release();
  }
}`,
  ],
  invalid: [
    {
      code: `${MORTICE}class Store {
  async gc_rpw(repo: Repo) {
    const release = await repo.lock.writeLock();
    try {
      const read = await repo.lock.readLock();
      read();
    } finally {
      release();
    }
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 9 }],
    },
  ],
});

tester.run("release (mortice)", testable(release), {
  valid: [
    `${MORTICE}class Store {
  async stat_rpr(repo: Repo) {
    const release = await repo.lock.readLock();
    try { return 1; } finally { release(); }
  }
}`,
  ],
  invalid: [
    {
      code: `${MORTICE}class Store {
  async stat_rpr(repo: Repo) {
    const release = await repo.lock.readLock();
    if (Math.random() > 0.5) return 0;
    release();
    return 1;
  }
}`,
      errors: [{ messageId: "notReleased", line: 7 }],
    },
  ],
});

tester.run("suffix (mortice)", testable(suffix), {
  valid: [
    `${MORTICE}class Store {
  async stat_rpr(repo: Repo) {
    const release = await repo.lock.readLock();
    release();
  }
}`,
  ],
  invalid: [
    {
      code: `${MORTICE}class Store {
  async stat_rpw(repo: Repo) {
    const release = await repo.lock.readLock();
    release();
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          line: 6,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "stat_rpr" },
              output: `${MORTICE}class Store {
  /**
   * @acquires rp:r
   */
  async stat_rpr(repo: Repo) {
    const release = await repo.lock.readLock();
    release();
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

const ASYNC_LOCK = `import AsyncLock from "async-lock";
class Accounts {
  readonly lock = new AsyncLock();
}
`;

/** async-lock: a keyed lock; `acquire(key, fn)` runs `fn` holding the key, `acquire([k1, k2], fn)` takes the keys in array order. */
tester.run("order (async-lock)", testable(order), {
  valid: [
    `${ASYNC_LOCK}class Ledger {
  readonly lock = new AsyncLock();
  async post_ac_lg(accounts: Accounts, id: string) {
    await accounts.lock.acquire(id, async () => {
      await this.lock.acquire("ledger", () => undefined);
    });
  }
}`,
  ],
  invalid: [
    {
      code: `${ASYNC_LOCK}class Ledger {
  readonly lock = new AsyncLock();
  async reconcile_ac_lg(accounts: Accounts, id: string) {
    await this.lock.acquire("ledger", async () => {
      await accounts.lock.acquire([id, "fees"], () => undefined);
    });
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", line: 9 }],
    },
  ],
});

tester.run("no-recursion (async-lock)", testable(noRecursion), {
  valid: [
    // Two different keys of one keyed lock, nested or listed: two instances.
    `${ASYNC_LOCK}class Ledger {
  async move_ac(accounts: Accounts, from: string, to: string) {
    await accounts.lock.acquire(from, () => accounts.lock.acquire(to, () => undefined));
    await accounts.lock.acquire([from, to], (done) => done());
  }
}`,
  ],
  invalid: [
    {
      code: `${ASYNC_LOCK}class Ledger {
  async audit_ac(accounts: Accounts, id: string) {
    await accounts.lock.acquire(id, async () => {
      await accounts.lock.acquire(id, () => undefined);
    });
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 8 }],
    },
    {
      // The same key twice in one list: the second waits for the first.
      code: `${ASYNC_LOCK}class Ledger {
  async swap_ac(accounts: Accounts, id: string) {
    await accounts.lock.acquire([id, id], () => undefined);
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 7 }],
    },
  ],
});

tester.run("suffix (async-lock)", testable(suffix), {
  valid: [
    `${ASYNC_LOCK}class Ledger {
  async touch_ac(accounts: Accounts, id: string) {
    await accounts.lock.acquire(id, () => undefined);
  }
}`,
  ],
  invalid: [
    {
      code: `${ASYNC_LOCK}class Ledger {
  async touch(accounts: Accounts, id: string) {
    await accounts.lock.acquire(id, () => undefined);
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          line: 6,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "touch_ac" },
              output: `${ASYNC_LOCK}class Ledger {
  /**
   * @acquires ac
   */
  async touch_ac(accounts: Accounts, id: string) {
    await accounts.lock.acquire(id, () => undefined);
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

/** Web Locks: each literal name declared as `navigator.locks:<name>`; `mode: "shared"` reads, `ifAvailable: true` never waits. */
tester.run("order (Web Locks)", testable(order), {
  valid: [
    `async function refresh_wcw_ws() {
  await navigator.locks.request("cache", async () => {
    await navigator.locks.request("sync", () => undefined);
  });
}`,
    // Only tried under sync: a request that never waits cannot deadlock.
    `async function poll_wcw_ws() {
  await navigator.locks.request("sync", async () => {
    await navigator.locks.request("cache", { ifAvailable: true }, (lock) => lock);
  });
}`,
    // An undeclared name is not a lock the rules check.
    `async function other_wcr() {
  await navigator.locks.request("other", async () => {
    await navigator.locks.request("cache", { mode: "shared" }, () => undefined);
  });
}`,
  ],
  invalid: [
    {
      code: `async function push_wcr_ws() {
  await navigator.locks.request("sync", { mode: "exclusive" }, async () => {
    await navigator.locks.request("cache", { mode: "shared" }, () => undefined);
  });
}`,
      errors: [{ messageId: "acquireOutOfOrder", line: 3 }],
    },
  ],
});

tester.run("no-recursion (Web Locks)", testable(noRecursion), {
  valid: [
    `async function twice_wcw() {
  await navigator.locks.request("cache", () => undefined);
  await navigator.locks.request("cache", () => undefined);
}`,
  ],
  invalid: [
    {
      code: `async function again_wcw() {
  await navigator.locks.request("cache", async () => {
    await navigator.locks.request("cache", { mode: "shared" }, () => undefined);
  });
}`,
      errors: [{ messageId: "acquireHeld", line: 3 }],
    },
  ],
});

tester.run("suffix (Web Locks)", testable(suffix), {
  valid: [
    `async function peek_wcr() {
  await navigator.locks.request("cache", { mode: "shared" }, () => undefined);
}`,
  ],
  invalid: [
    {
      code: `async function peek_wcw() {
  await navigator.locks.request("cache", { mode: "shared" }, () => undefined);
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          line: 1,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "peek_wcr" },
              output: `/**
 * @acquires wc:r
 */
async function peek_wcr() {
  await navigator.locks.request("cache", { mode: "shared" }, () => undefined);
}`,
            },
          ],
        },
      ],
    },
  ],
});

const REDLOCK = `import Redlock from "redlock";
class Orders {
  constructor(readonly redlock: Redlock) {}
}
`;

/** redlock: a keyed lock, the resources its key; v4 `lock`/`acquire` → a Lock (`unlock()`, `redlock.unlock(lock)`), v5 `using(resources, ttl, fn)`. */
tester.run("order (redlock)", testable(order), {
  valid: [
    `${REDLOCK}class Inventory {
  constructor(readonly redlock: Redlock) {}
  async place_or_iv(orders: Orders, id: string) {
    const lock = await orders.redlock.lock(id, 1000);
    try {
      await this.redlock.using([id], 500, async () => undefined);
    } finally {
      await lock.unlock();
    }
  }
}`,
  ],
  invalid: [
    {
      code: `${REDLOCK}class Inventory {
  constructor(readonly redlock: Redlock) {}
  async restock_or_iv(orders: Orders, id: string) {
    const lock = await this.redlock.acquire([id], 500);
    try {
      await orders.redlock.using([id], 1000, { retryCount: 0 }, async () => undefined);
    } finally {
      await this.redlock.release(lock);
    }
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", line: 10 }],
    },
  ],
});

tester.run("no-recursion (redlock)", testable(noRecursion), {
  valid: [
    // Two resources of one Redlock: two instances of the keyed lock.
    `${REDLOCK}class Inventory {
  async merge_or(orders: Orders, id: string, other: string) {
    const lock = await orders.redlock.lock(id, 1000);
    const second = await orders.redlock.lock(other, 1000);
    await second.unlock();
    await lock.unlock();
  }
}`,
  ],
  invalid: [
    {
      code: `${REDLOCK}class Inventory {
  async retry_or(orders: Orders, id: string) {
    const lock = await orders.redlock.lock(id, 1000);
    const again = await orders.redlock.lock(id, 1000);
    await again.unlock();
    await lock.unlock();
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 8 }],
    },
  ],
});

tester.run("release (redlock)", testable(release), {
  valid: [
    // `redlock.unlock(lock)` releases the Lock it is given, as `lock.unlock()` does.
    `${REDLOCK}class Inventory {
  async cancel_or(orders: Orders, id: string) {
    const lock = await orders.redlock.acquire([id], 1000);
    try { return 1; } finally { await orders.redlock.unlock(lock); }
  }
}`,
  ],
  invalid: [
    {
      code: `${REDLOCK}class Inventory {
  async cancel_or(orders: Orders, id: string) {
    const lock = await orders.redlock.lock(id, 1000);
    if (Math.random() > 0.5) return 0;
    await lock.unlock();
    return 1;
  }
}`,
      errors: [{ messageId: "notReleased", line: 7 }],
    },
  ],
});
