import rule from "../../rules/order.js";
import { ruleTester, testable, typedRuleTester } from "./lock-rule-tester.js";

ruleTester.run("order", testable(rule), {
  valid: [
    // Nested in declared order: iml before ml.
    `class MemberList {
  entries = new RwLock();
  initialMembers = new RwLock();
  async joinSeeds_imlr_mlw() {
    await this.initialMembers.runRead(async () => {
      await this.entries.runWrite(() => {});
    });
  }
}`,
    // Taking an earlier lock after the later one is released: callback ended, guard released, `using` scope left.
    `class MemberList {
  entries = new RwLock();
  initialMembers = new RwLock();
  async sequential_imlr_mlw() {
    await this.entries.runWrite(() => {});
    await this.initialMembers.runRead(() => {});
    const release = await this.entries.write();
    try { this.clear(); } finally { release(); }
    await this.initialMembers.runRead(() => {});
    {
      using guard = await this.entries.write();
    }
    await this.initialMembers.runRead(() => {});
  }
}`,
    // An earlier lock taken in a separate task while a later one is held: not nested.
    `class Server {
  member = new Mutex();
  async gossip_sm() {
    await this.member.runExclusive(() => {
      setTimeout(() => this.store.insertService_rsw_mlw(rumor), 0);
      this.emitter.once("ready", () => this.store.count_rsr());
      void this.store.count_rsr();
    });
  }
}`,
    // A call to a function without suffix is not known to take anything.
    `class Server {
  member = new Mutex();
  async touch_sm() {
    await this.member.runExclusive(() => this.store.insertService());
  }
}`,
    // Without type information, \`stores[0].list\` is not known to be RumorStore.list (no annotation names its class).
    `class Server {
  member = new Mutex();
  async count_sm(stores: RumorStore[]) {
    return this.member.runExclusive(() => stores[0].list.runRead(() => 0));
  }
}`,
  ],
  invalid: [
    {
      // Direct: iml (declared before ml) while holding ml, callback form.
      code: `class MemberList {
  entries = new RwLock();
  initialMembers = new RwLock();
  async refresh_imlr_mlw() {
    await this.entries.runWrite(async () => {
      const seeds = await this.initialMembers.runRead(() => this.seeds);
    });
  }
}`,
      errors: [
        {
          messageId: "acquireOutOfOrder",
          data: { callee: "this.initialMembers.runRead", acquired: "iml:r", held: "ml:w", taken: "taken on line 5", acquiredIds: "iml", heldIds: "ml" },
          line: 6,
          column: 27,
          endLine: 6,
          endColumn: 54,
        },
      ],
    },
    {
      // Through a suffixed callee while holding a guard; the call after the release is fine.
      code: `class Server {
  member = new Mutex();
  async announce_rsw_mlw_sm(rumor: Rumor) {
    const release = await this.member.acquire();
    try {
      await this.store.insertService_rsw_mlw(rumor);
    } finally {
      release();
    }
    await this.store.insertService_rsw_mlw(rumor);
  }
}`,
      errors: [
        {
          messageId: "callOutOfOrder",
          data: { callee: "this.store.insertService_rsw_mlw", acquired: "rs:w and ml:w", held: "sm", taken: "taken on line 4", acquiredIds: "rs and ml", heldIds: "sm" },
          line: 6,
          column: 13,
          endLine: 6,
          endColumn: 45,
        },
      ],
    },
    {
      // Manual acquire/release: held between them, on every path through the if.
      code: `class Server {
  blockList = new Mutex();
  async purge_sm_sbl(force: boolean) {
    await this.blockList.acquire();
    try {
      if (force) await Server.member.runExclusive(() => {});
    } finally {
      this.blockList.release();
    }
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", data: { callee: "Server.member.runExclusive", acquired: "sm", held: "sbl", taken: "taken on line 4", acquiredIds: "sm", heldIds: "sbl" }, line: 6, column: 24 }],
    },
    {
      // A callback run during a call (forEach) runs under what is held; an alias is the same lock.
      code: `class MemberList {
  entries = new RwLock();
  async seedAll_imlr_mlw(ids: string[]) {
    const entries = this.entries;
    await entries.runWrite(() => {
      ids.forEach((id) => this.seed_imlr(id));
    });
  }
}`,
      errors: [{ messageId: "callOutOfOrder", data: { callee: "this.seed_imlr", acquired: "iml:r", held: "ml:w", taken: "taken on line 5", acquiredIds: "iml", heldIds: "ml" }, line: 6, column: 27, endColumn: 41 }],
    },
    {
      // A loop body: the rwlock read guard is held while an earlier lock's holder is called.
      code: `class GatewayState {
  inner = new RwLock();
  async census_rsr_gsr(ids: string[]) {
    for (const id of ids) {
      using guard = await this.inner.read();
      await this.store.count_rsr();
    }
  }
}`,
      errors: [{ messageId: "callOutOfOrder", data: { callee: "this.store.count_rsr", acquired: "rs:r", held: "gs:r", taken: "taken on line 5", acquiredIds: "rs", heldIds: "gs" }, line: 6, column: 13 }],
    },
  ],
});

// Without type information, an annotation names the class: `store: RumorStore`, and a constructor-injected `private readonly store: RumorStore`.
ruleTester.run("order (untyped, annotated)", testable(rule), {
  valid: [],
  invalid: [
    {
      code: `class Server {
  readonly member = new Mutex();
  async count_rsr_sm(store: RumorStore) {
    return this.member.runExclusive(() => store.list.runRead(() => 0));
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", data: { callee: "store.list.runRead", acquired: "rs:r", held: "sm", taken: "taken on line 4", acquiredIds: "rs", heldIds: "sm" }, line: 4, column: 43, endColumn: 61 }],
    },
    {
      code: `class Server {
  readonly member = new Mutex();
  constructor(private readonly store: RumorStore) {}
  async count_rsr_sm() {
    return this.member.runExclusive(() => this.store.list.runRead(() => 0));
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", data: { callee: "this.store.list.runRead", acquired: "rs:r", held: "sm", taken: "taken on line 5", acquiredIds: "rs", heldIds: "sm" }, line: 5, column: 43, endColumn: 66 }],
    },
  ],
});

// With typed linting, `store.list` is RumorStore.list because `store: RumorStore`.
typedRuleTester.run("order (typed)", testable(rule), {
  valid: [],
  invalid: [
    {
      code: `declare class Mutex { runExclusive<T>(fn: () => T): Promise<T>; }
declare class RwLock { runRead<T>(fn: () => T): Promise<T>; }
class RumorStore { readonly list = new RwLock(); }
class Server {
  readonly member = new Mutex();
  async count_rsr_sm(store: RumorStore) {
    return this.member.runExclusive(() => store.list.runRead(() => 0));
  }
}`,
      errors: [{ messageId: "acquireOutOfOrder", data: { callee: "store.list.runRead", acquired: "rs:r", held: "sm", taken: "taken on line 7", acquiredIds: "rs", heldIds: "sm" }, line: 7, column: 43, endColumn: 61 }],
    },
  ],
});
