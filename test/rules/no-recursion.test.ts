import rule from "../../rules/no-recursion.js";
import { ruleTester, testable, typedRuleTester } from "./lock-rule-tester.js";

ruleTester.run("no-recursion", testable(rule), {
  valid: [
    // One acquisition after another, never nested.
    `class RumorStore {
  list = new RwLock();
  async insertAll_rsw_mlw(rumors: Rumor[]) {
    for (const rumor of rumors) await this.insertService_rsw_mlw(rumor);
    const count = await this.list.runRead(() => this.size);
    await this.list.runWrite(() => this.trim(count));
  }
}`,
    // Re-taking the lock in a separate task (timer, event handler, void) does not nest.
    `class RumorStore {
  list = new RwLock();
  async expire_rsw() {
    await this.list.runWrite(() => {
      setTimeout(() => this.list.runWrite(() => this.clear()), 1000);
      this.events.on("rumor", (rumor) => this.insertService_rsw_mlw(rumor));
      void this.list.runRead(() => this.size);
    });
  }
}`,
    // Handlers stored in a collection or given to a route or listener run later, not when stored.
    `class RumorStore {
  list = new RwLock();
  handlers: (() => Promise<void>)[] = [];
  async subscribe_rsw() {
    await this.list.runWrite(() => {
      this.handlers.push(async () => { await this.list.runWrite(() => this.clear()); });
      this.byName.set("clear", () => this.list.runWrite(() => this.clear()));
      this.once.add(this.insertService_rsw_mlw);
      this.router.get("/rumors", async () => { await this.insertService_rsw_mlw(); });
      this.router.post(\`/rumors/\${this.id}\`, () => this.list.runWrite(() => this.clear()));
      this.emitter.addListener("rumor", () => this.list.runWrite(() => this.clear()));
    });
  }
}`,
    // A loop that releases before the next iteration re-acquires.
    `class RumorHeat {
  inner = new Mutex();
  async coolAll_rh(ids: string[]) {
    for (const id of ids) {
      const release = await this.inner.acquire();
      try { this.cool(id); } finally { release(); }
    }
  }
}`,
    // Keyed locks: two different keys are two different locks.
    `class WorkflowLocks {
  locks = new KeyedMutex();
  async moveStep_wl(from: string, to: string) {
    await this.locks.runExclusive(from, async () => {
      await this.locks.runExclusive(to, async () => {});
    });
  }
}`,
  ],
  invalid: [
    {
      // A generator of the file holds its read lock at its yields: the caller's loop body runs under it.
      code: `class RumorStore {
  list = new RwLock();
  async *rumors_rsr() {
    const release = await this.list.read();
    try { for (const rumor of this.all) yield rumor; } finally { release(); }
  }
  async rewrite_rsw() {
    for await (const rumor of this.rumors_rsr()) {
      await this.list.runWrite(() => this.replace(rumor));
    }
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 9 }],
    },
    {
      // Without a path, `get` and `use` are no registration: a function given to them may run during the call.
      code: `class RumorStore {
  list = new RwLock();
  async refresh_rsw() {
    await this.list.runWrite(async () => {
      await this.cache.get(this.key, () => this.list.runWrite(() => this.load()));
      this.plugins.use(() => this.list.runWrite(() => this.load()));
    });
  }
}`,
      errors: [
        { messageId: "acquireHeld", line: 5 },
        { messageId: "acquireHeld", line: 6 },
      ],
    },
    {
      // The example: callbacks run during Promise.all, while rs is held.
      code: `class RumorStore {
  list = new RwLock();
  async insertAll_rsw_mlw(rumors: Rumor[]) {
    await this.list.runWrite(async () => {
      await Promise.all(rumors.map((rumor) => this.insertService_rsw_mlw(rumor)));
    });
  }
}`,
      errors: [
        {
          messageId: "callAcquiresHeld",
          data: { callee: "this.insertService_rsw_mlw", acquired: "rs:w", held: "rs:w", taken: "taken on line 4", acquiredIds: "rs", heldIds: "rs" },
          line: 5,
          column: 47,
          endLine: 5,
          endColumn: 73,
        },
      ],
    },
    {
      // A read inside a write of the same rwlock is recursion too (any mode).
      code: `class MemberList {
  entries = new RwLock();
  async touch_mlw(id: string) {
    const guard = await this.entries.write();
    try {
      const known = await this.entries.runRead(() => this.has(id));
    } finally {
      guard.release();
    }
  }
}`,
      errors: [{ messageId: "acquireHeld", data: { callee: "this.entries.runRead", acquired: "ml:r", held: "ml:w", taken: "taken on line 4", acquiredIds: "ml", heldIds: "ml" }, line: 6, column: 27, endColumn: 47 }],
    },
    {
      // A function passed by reference to runExclusive runs under the lock.
      code: `class Server {
  member = new Mutex();
  async refresh_sm() {
    await this.member.runExclusive(this.reload_sm);
  }
}`,
      errors: [{ messageId: "callAcquiresHeld", data: { callee: "this.reload_sm", acquired: "sm", held: "sm", taken: "taken on line 4", acquiredIds: "sm", heldIds: "sm" }, line: 4, column: 36, endColumn: 50 }],
    },
    {
      // Through withTimeout and a static member: the same lock.
      code: `class Server {
  static member = new Mutex();
  static async touch_sm() {
    await withTimeout(Server.member, 100).runExclusive(async () => {
      await Server.member.runExclusive(() => {});
    });
  }
}`,
      errors: [{ messageId: "acquireHeld", data: { callee: "Server.member.runExclusive", acquired: "sm", held: "sm", taken: "taken on line 4", acquiredIds: "sm", heldIds: "sm" }, line: 5, column: 13 }],
    },
    {
      // A releaser kept across loop iterations on one path: the next iteration waits for itself.
      code: `class RumorHeat {
  inner = new Mutex();
  async heat_rh(ids: string[]) {
    for (const id of ids) {
      const release = await this.inner.acquire();
      if (this.skip(id)) continue;
      release();
    }
  }
}`,
      errors: [{ messageId: "acquireHeld", data: { callee: "this.inner.acquire", acquired: "rh", held: "rh", taken: "taken here in an earlier iteration of the loop and not released", acquiredIds: "rh", heldIds: "rh" }, line: 5, column: 29 }],
    },
    {
      // Keyed: the same key text twice.
      code: `class WorkflowLocks {
  locks = new KeyedMutex();
  async rerun_wl(key: string) {
    await this.locks.runExclusive(key, async () => {
      await this.locks.runExclusive(key, async () => {});
    });
  }
}`,
      errors: [{ messageId: "acquireHeld", data: { callee: "this.locks.runExclusive", acquired: "wl", held: "wl(key)", taken: "taken on line 4", acquiredIds: "wl", heldIds: "wl" }, line: 5, column: 13 }],
    },
  ],
});

// With typed linting, `other.entries` where `other: MemberList` is MemberList.entries.
typedRuleTester.run("no-recursion (typed)", testable(rule), {
  valid: [],
  invalid: [
    {
      code: `declare class RwLock { runRead<T>(fn: () => T): Promise<T>; runWrite<T>(fn: () => T): Promise<T>; }
class MemberList {
  readonly entries = new RwLock();
  async merge_mlw(other: MemberList) {
    await this.entries.runWrite(() => other.entries.runRead(() => 0));
  }
}`,
      errors: [{ messageId: "acquireHeld", data: { callee: "other.entries.runRead", acquired: "ml:r", held: "ml:w", taken: "taken on line 5", acquiredIds: "ml", heldIds: "ml" }, line: 5, column: 39, endColumn: 60 }],
    },
  ],
});
