import rule from "../../rules/release.js";
import { ruleTester, testable, typedRuleTester } from "./lock-rule-tester.js";

ruleTester.run("release", testable(rule), {
  valid: [
    // A releaser released in finally, with early returns inside the try.
    `class RumorStore {
  list = new RwLock();
  async insert_rsw(rumor: Rumor) {
    const release = await this.list.write();
    try {
      if (this.has(rumor)) return false;
      await this.save(rumor);
      return true;
    } finally {
      release();
    }
  }
}`,
    // Guards: \`using\` (sync and async), release() and [Symbol.dispose]() in finally.
    `class MemberList {
  entries = new RwLock();
  async a_mlw() {
    using guard = await this.entries.write();
    if (this.empty) return;
    await this.refill();
  }
  async b_mlr() {
    await using guard = await this.entries.read();
    await this.scan();
  }
  async c_mlw() {
    const guard = await this.entries.write();
    try { await this.refill(); } finally { guard[Symbol.dispose](); }
  }
  async d_mlw() {
    const guard = await this.entries.write();
    try { await this.refill(); } finally { guard.release(); }
  }
}`,
    // Manual acquire paired with release in finally; released in catch and on the normal path.
    `class Server {
  member = new Mutex();
  async manual_sm() {
    await this.member.acquire();
    try { await this.touch(); } finally { this.member.release(); }
  }
  async both_sm() {
    const release = await this.member.acquire();
    try {
      await this.touch();
      release();
    } catch (error) {
      release();
      throw error;
    }
  }
}`,
    // Callback forms release by themselves.
    `class Server {
  member = new Mutex();
  async touch_sm() {
    await this.member.runExclusive(async () => { await this.touch(); });
  }
}`,
    // A releaser that escapes (returned, stored, handed to a closure) is released elsewhere.
    `class Server {
  member = new Mutex();
  async lock_sm() {
    return this.member.acquire();
  }
  async hold_sm() {
    const release = await this.member.acquire();
    return release;
  }
  async keep_sm() {
    this.releaseMember = await this.member.acquire();
  }
  async later_sm() {
    const release = await this.member.acquire();
    setTimeout(() => release(), 100);
  }
}`,
    // async-mutex Semaphore: [value, release].
    `class Server {
  member = new Semaphore(1);
  async slot_sm() {
    const [, release] = await this.member.acquire();
    try { await this.touch(); } finally { release(); }
  }
}`,
    // A switch whose every case releases once: a case in braces ending in break, and a fall-through.
    // (No calls between acquire and release here, so no exception can leave the lock held.)
    `class Server {
  blockList = new Mutex();
  async apply_sbl(action: Action) {
    const release = await this.blockList.acquire();
    switch (action.kind) {
      case "add": {
        this.size += 1;
        release();
        break;
      }
      case "remove":
        this.size -= 1;
      // falls through
      default:
        release();
    }
  }
}`,
  ],
  invalid: [
    {
      // An early return skips the release.
      code: `class Server {
  blockList = new Mutex();
  async block_sbl(id: string) {
    const release = await this.blockList.acquire();
    if (this.blocked.has(id)) return;
    this.blocked.add(id);
    release();
  }
}`,
      errors: [{ messageId: "notReleased", data: { lock: "sbl" }, line: 4, column: 27, endLine: 4, endColumn: 49 }],
    },
    {
      // A switch case that neither releases nor falls through to a release.
      code: `class Server {
  blockList = new Mutex();
  async apply_sbl(action: Action) {
    const release = await this.blockList.acquire();
    switch (action.kind) {
      case "add":
        this.size += 1;
        release();
        break;
      case "skip":
        break;
      default:
        release();
    }
  }
}`,
      errors: [{ messageId: "notReleased", data: { lock: "sbl" }, line: 4, column: 27 }],
    },
    {
      // Released on every normal path, but an exception in between leaves it held.
      code: `class RumorHeat {
  inner = new Mutex();
  async cool_rh(id: string) {
    await this.inner.acquire();
    await this.persist(id);
    this.inner.release();
  }
}`,
      errors: [{ messageId: "notReleasedOnException", data: { lock: "rh" }, line: 4, column: 11, endColumn: 29 }],
    },
    {
      // Never released; and a guard released twice.
      code: `class MemberList {
  entries = new RwLock();
  async forget_mlw() {
    const guard = await this.entries.write();
    this.clear();
  }
  async twice_mlw() {
    const guard = await this.entries.write();
    try {
      this.clear();
      guard.release();
    } finally {
      guard.release();
    }
  }
}`,
      errors: [
        { messageId: "notReleased", data: { lock: "ml" }, line: 4, column: 25, endColumn: 43 },
        { messageId: "doubleRelease", data: { lock: "'guard'" }, line: 13, column: 7, endColumn: 20 },
      ],
    },
    {
      // Releasing after the finally already did (the fixture's RumorHeat.reset_rh).
      code: `class RumorHeat {
  inner = new Mutex();
  async reset_rh() {
    await this.inner.acquire();
    try {
      this.heat.clear();
    } finally {
      this.inner.release();
    }
    this.inner.release();
  }
}`,
      errors: [{ messageId: "doubleRelease", data: { lock: "rh" }, line: 10, column: 5, endColumn: 23 }],
    },
    {
      // Releasing what this function did not acquire (acquire and release split across methods).
      code: `class Server {
  member = new Mutex();
  async lock() {
    await this.member.acquire();
  }
  unlock() {
    this.member.release();
  }
}`,
      errors: [
        { messageId: "notReleased", data: { lock: "sm" }, line: 4, column: 11 },
        { messageId: "unownedRelease", data: { lock: "sm" }, line: 7, column: 5, endColumn: 24 },
      ],
    },
    {
      // Inside an anonymous callback: its own obligations, checked where it is written.
      code: `class Server {
  member = new Mutex();
  async touchAll_sm(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      const release = await this.member.acquire();
      await this.touch(id);
      release();
    }));
  }
}`,
      errors: [{ messageId: "notReleasedOnException", data: { lock: "sm" }, line: 5, column: 29 }],
    },
  ],
});

// With typed linting, a lock reached through a typed reference is tracked too.
typedRuleTester.run("release (typed)", testable(rule), {
  valid: [],
  invalid: [
    {
      code: `declare class Mutex { acquire(): Promise<() => void>; }
class Server { readonly member = new Mutex(); }
export async function touch_sm(server: Server) {
  const release = await server.member.acquire();
  await Promise.resolve();
  release();
}`,
      errors: [{ messageId: "notReleasedOnException", data: { lock: "sm" }, line: 4, column: 25, endColumn: 46 }],
    },
  ],
});
