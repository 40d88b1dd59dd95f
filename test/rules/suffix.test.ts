import rule from "../../rules/suffix.js";
import { bareRuleTester, ruleTester, testable, typedRuleTester } from "./lock-rule-tester.js";

/** A lock order with module-level and private-field targets, for the cases the Habitat order lacks. */
const moduleSettings = {
  "lock-discipline": {
    policy: {
      locks: [
        { id: "reg", target: "src/locks.ts#registry", kind: "mutex" },
        { id: "ca", target: "Cache.#lock", kind: "rwlock" },
      ],
    },
    lockOrder: "/virtual/lock-order.json",
  },
};

ruleTester.run("suffix", testable(rule), {
  valid: [
    // A lock handed to an unsuffixed helper (MetaMask's `withLock(mutex, cb)`): the helper may take it,
    // so the file proves no token extra (lock-audit follows the argument into the helper's summary).
    `async function withLock<R>(mutex: Mutex, callback: () => Promise<R>): Promise<R> {
  const release = await mutex.acquire();
  try { return await callback(); } finally { release(); }
}
class Server {
  member = new Mutex();
  /** @acquires sm */
  withMember_sm<R>(callback: () => Promise<R>): Promise<R> {
    return withLock(this.member, callback);
  }
}`,
    // A name that is all suffix in form (`_sm`, as deno's `_foo`) is a plain name: no suffix, nothing to rename to "".
    "export function _sm(): number { return 1; }",
    // The callback form: held while the callback runs.
    `class MemberList {
  entries = new RwLock();
  async touch_mlw(id: string) {
    await this.entries.runWrite(() => this.mark(id));
  }
}`,
    // Read only → r; a read and a write of one lock → w.
    `class MemberList {
  entries = new RwLock();
  async count_mlr() {
    return this.entries.runRead(() => this.size);
  }
  async touchIfAbsent_mlw(id: string) {
    const known = await this.entries.runRead(() => this.has(id));
    if (!known) await this.entries.runWrite(() => this.add(id));
  }
}`,
    // Callees' suffixes count, merged with direct acquisitions, in declared order.
    `class RumorStore {
  list = new RwLock();
  async insertService_rsw_mlw(rumor: Rumor) {
    const release = await this.list.write();
    try {
      this.rumors.set(rumor.id, rumor);
      await this.members.touch_mlw(rumor.member);
    } finally {
      release();
    }
  }
}`,
    // A guard bound with \`using\`, a releaser, a manual acquire/release.
    `class MemberList {
  entries = new RwLock();
  initialMembers = new RwLock();
  async guarded_mlw() {
    using guard = await this.entries.write();
    this.clear();
  }
  async seeds_imlr() {
    const release = await this.initialMembers.read();
    try { return this.seeds; } finally { release(); }
  }
}
class Server {
  member = new Mutex();
  async manual_sm() {
    await this.member.acquire();
    try { this.touch(); } finally { this.member.release(); }
  }
}`,
    // An alias and async-mutex's withTimeout are the same lock; a static member is Class.member.
    `class Server {
  static member = new Mutex();
  blockList = new Mutex();
  async block_sbl(id: string) {
    const lock = withTimeout(this.blockList, 500);
    await lock.runExclusive(() => this.blocked.add(id));
  }
}
async function touchServer_sm() {
  await Server.member.runExclusive(() => {});
}`,
    // Task boundaries: timers, event handlers and \`void\` run as separate tasks, not part of the suffix.
    `class MemberList {
  entries = new RwLock();
  schedule() {
    setTimeout(() => this.entries.runWrite(() => this.expire()), 1000);
    process.nextTick(() => this.touch_mlw("self"));
    queueMicrotask(this.touch_mlw.bind(this));
    this.socket.on("message", async () => { await this.touch_mlw("peer"); });
    void this.touch_mlw("later");
  }
}`,
    // A named inner function is its own function; defining it takes nothing.
    `class MemberList {
  entries = new RwLock();
  async prepare() {
    const touch_mlw = async () => {
      await this.entries.runWrite(() => {});
    };
    return touch_mlw;
  }
}`,
    // Constructors have no name to carry a suffix.
    `class MemberList {
  entries = new RwLock();
  constructor() {
    void this.entries.runWrite(() => {});
    this.entries.runWrite(() => {});
  }
}`,
    // Names whose underscore parts are not tokens have no suffix.
    "function get_user_id() { return 1; }",
    // Undeclared locks are not in any suffix.
    `class Cache {
  lock = new Mutex();
  async get() { return this.lock.runExclusive(() => 1); }
}`,
    // Module-level locks, declared in this module or imported from it.
    {
      code: `export const registry = new Mutex();
export async function register_reg(name: string) {
  await registry.runExclusive(() => names.add(name));
}`,
      settings: moduleSettings,
      filename: "/virtual/src/locks.ts",
    },
    {
      code: `import { registry } from "./locks.js";
import * as locks from "./locks.js";
export async function lookup_reg(name: string) {
  return registry.runExclusive(() => names.has(name));
}
export async function forget_reg(name: string) {
  await locks.registry.runExclusive(() => names.delete(name));
}`,
      settings: moduleSettings,
      filename: "/virtual/src/service.ts",
    },
    // A private field target.
    {
      code: `class Cache {
  #lock = new RwLock();
  async #refresh_caw() { await this.#lock.runWrite(() => {}); }
}`,
      settings: moduleSettings,
    },
  ],
  invalid: [
    {
      // Missing: the callback form takes ml for writing.
      code: `class MemberList {
  entries = new RwLock();
  async touch(id: string) {
    await this.entries.runWrite(() => this.mark(id));
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "touch", expected: "touch_mlw", problem: "missing ml:w", takes: "it takes", required: "ml:w" },
          line: 3,
          column: 9,
          endLine: 3,
          endColumn: 14,
          suggestions: [
            {
              messageId: "renameTo",
              data: { expected: "touch_mlw" },
              output: `class MemberList {
  entries = new RwLock();
  /**
   * @acquires ml:w
   */
  async touch_mlw(id: string) {
    await this.entries.runWrite(() => this.mark(id));
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // Extra: the name claims sm, which nothing here takes.
      code: `class MemberList {
  entries = new RwLock();
  async count_mlr_sm() {
    return this.entries.runRead(() => this.size);
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "count_mlr_sm", expected: "count_mlr", problem: "extra sm", takes: "it takes", required: "ml:r" },
          line: 3,
          column: 9,
          endColumn: 21,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class MemberList {
  entries = new RwLock();
  /**
   * @acquires ml:r
   */
  async count_mlr() {
    return this.entries.runRead(() => this.size);
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // Wrong mode: claiming w for a read misleads reviewers.
      code: `class MemberList {
  entries = new RwLock();
  async count_mlw() {
    return this.entries.runRead(() => this.size);
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: {
            name: "count_mlw",
            expected: "count_mlr",
            problem: "ml is written as w but taken as r (no acquisition writes)",
            takes: "it takes",
            required: "ml:r",
          },
          line: 3,
          column: 9,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class MemberList {
  entries = new RwLock();
  /**
   * @acquires ml:r
   */
  async count_mlr() {
    return this.entries.runRead(() => this.size);
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // Misordered tokens (and nested acquisitions in the declared order).
      code: `class MemberList {
  entries = new RwLock();
  initialMembers = new RwLock();
  async joinSeeds_mlw_imlr() {
    await this.initialMembers.runRead(async () => {
      await this.entries.runWrite(() => {});
    });
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "joinSeeds_mlw_imlr", expected: "joinSeeds_imlr_mlw", problem: "tokens out of declared order", takes: "it takes", required: "iml:r, ml:w" },
          line: 4,
          column: 9,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class MemberList {
  entries = new RwLock();
  initialMembers = new RwLock();
  /**
   * @acquires iml:r
   * @acquires ml:w
   */
  async joinSeeds_imlr_mlw() {
    await this.initialMembers.runRead(async () => {
      await this.entries.runWrite(() => {});
    });
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // Through callees, including callbacks run during a call (Promise.all over map).
      code: `class RumorStore {
  async insertAll(rumors: Rumor[]) {
    await Promise.all(rumors.map((rumor) => this.insertService_rsw_mlw(rumor)));
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "insertAll", expected: "insertAll_rsw_mlw", problem: "missing rs:w, ml:w", takes: "it takes", required: "rs:w, ml:w" },
          line: 2,
          column: 9,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class RumorStore {
  /**
   * @acquires rs:w
   * @acquires ml:w
   */
  async insertAll_rsw_mlw(rumors: Rumor[]) {
    await Promise.all(rumors.map((rumor) => this.insertService_rsw_mlw(rumor)));
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // A function passed by reference to a callback method runs under the lock; private names keep their #.
      code: `class Server {
  member = new Mutex();
  async #flush() {
    await this.member.runExclusive(this.drain_sbl);
  }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "#flush", expected: "#flush_sm_sbl", problem: "missing sm, sbl", takes: "it takes", required: "sm, sbl" },
          line: 3,
          column: 9,
          endColumn: 15,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class Server {
  member = new Mutex();
  /**
   * @acquires sm
   * @acquires sbl
   */
  async #flush_sm_sbl() {
    await this.member.runExclusive(this.drain_sbl);
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // A typed variable: only the name is reported and renamed, not its annotation.
      code: `const touchAll: (ids: string[]) => Promise<void> = async (ids) => {
  for (const id of ids) await list.touch_mlw(id);
};`,
      errors: [
        {
          messageId: "wrongSuffix",
          line: 1,
          column: 7,
          endLine: 1,
          endColumn: 15,
          suggestions: [
            {
              messageId: "renameTo",
              output: `/**
 * @acquires ml:w
 */
const touchAll_mlw: (ids: string[]) => Promise<void> = async (ids) => {
  for (const id of ids) await list.touch_mlw(id);
};`,
            },
          ],
        },
      ],
    },
    {
      // A string-literal method name keeps its quotes.
      code: `class Server {
  member = new Mutex();
  async "touch"() { await this.member.runExclusive(() => {}); }
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "touch", expected: "touch_sm", problem: "missing sm", takes: "it takes", required: "sm" },
          line: 3,
          column: 9,
          endColumn: 16,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class Server {
  member = new Mutex();
  /**
   * @acquires sm
   */
  async "touch_sm"() { await this.member.runExclusive(() => {}); }
}`,
            },
          ],
        },
      ],
    },
    {
      // A suffix with nothing behind it; an inner named function is checked on its own.
      code: `function outer_rsw() {
  function inner() {
    return Server.member.runExclusive(() => {});
  }
  return inner;
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "outer_rsw", expected: "outer", problem: "extra rs:w", takes: "it takes", required: "no declared lock" },
          line: 1,
          column: 10,
          suggestions: [
            {
              messageId: "renameTo",
              output: `function outer() {
  function inner() {
    return Server.member.runExclusive(() => {});
  }
  return inner;
}`,
            },
          ],
        },
        {
          messageId: "wrongSuffix",
          data: { name: "inner", expected: "inner_sm", problem: "missing sm", takes: "it takes", required: "sm" },
          line: 2,
          column: 12,
          suggestions: [
            {
              messageId: "renameTo",
              output: `function outer_rsw() {
  /**
   * @acquires sm
   */
  function inner_sm() {
    return Server.member.runExclusive(() => {});
  }
  return inner;
}`,
            },
          ],
        },
      ],
    },
    {
      // An imported module-level lock.
      code: `import { registry } from "./locks.js";
export async function lookup(name: string) {
  return registry.runExclusive(() => names.has(name));
}`,
      settings: moduleSettings,
      filename: "/virtual/src/service.ts",
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "lookup", expected: "lookup_reg", problem: "missing reg", takes: "it takes", required: "reg" },
          line: 2,
          column: 23,
          suggestions: [
            {
              messageId: "renameTo",
              output: `import { registry } from "./locks.js";
/**
 * @acquires reg
 */
export async function lookup_reg(name: string) {
  return registry.runExclusive(() => names.has(name));
}`,
            },
          ],
        },
      ],
    },
  ],
});

// With typed linting, `store.list` is RumorStore.list because `store: RumorStore`.
typedRuleTester.run("suffix (typed)", testable(rule), {
  valid: [
    `declare class RwLock { runRead<T>(fn: () => T): Promise<T>; }
class RumorStore { readonly list = new RwLock(); }
export async function count_rsr(store: RumorStore) {
  return store.list.runRead(() => 0);
}`,
  ],
  invalid: [
    {
      code: `declare class RwLock { runRead<T>(fn: () => T): Promise<T>; }
class RumorStore { readonly list = new RwLock(); }
export async function count(store: RumorStore) {
  return store.list.runRead(() => 0);
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "count", expected: "count_rsr", problem: "missing rs:r", takes: "it takes", required: "rs:r" },
          line: 3,
          column: 23,
          suggestions: [
            {
              messageId: "renameTo",
              output: `declare class RwLock { runRead<T>(fn: () => T): Promise<T>; }
class RumorStore { readonly list = new RwLock(); }
/**
 * @acquires rs:r
 */
export async function count_rsr(store: RumorStore) {
  return store.list.runRead(() => 0);
}`,
            },
          ],
        },
      ],
    },
  ],
});

// Without type information, an inferred `stores[0].list` is unknown: silent rather than guessing; an
// annotated `store: RumorStore` names the class.
ruleTester.run("suffix (untyped other.member)", testable(rule), {
  valid: [
    `class RumorStore { readonly list = new RwLock(); }
export async function count(stores: RumorStore[]) {
  return stores[0].list.runRead(() => 0);
}`,
  ],
  invalid: [
    {
      code: `class RumorStore { readonly list = new RwLock(); }
export async function count(store: RumorStore) {
  return store.list.runRead(() => 0);
}`,
      errors: [
        {
          messageId: "wrongSuffix",
          data: { name: "count", expected: "count_rsr", problem: "missing rs:r", takes: "it takes", required: "rs:r" },
          line: 2,
          column: 23,
          suggestions: [
            {
              messageId: "renameTo",
              output: `class RumorStore { readonly list = new RwLock(); }
/**
 * @acquires rs:r
 */
export async function count_rsr(store: RumorStore) {
  return store.list.runRead(() => 0);
}`,
            },
          ],
        },
      ],
    },
  ],
});


// No lock-order.json for this file (none in settings, none found from /nowhere up): the rule does nothing.
bareRuleTester.run("suffix (no lock order)", testable(rule), {
  valid: [
    {
      code: "class MemberList { entries = new RwLock(); async touch() { await this.entries.runWrite(() => {}); } }",
      filename: "/nowhere/src/member-list.ts",
    },
  ],
  invalid: [],
});
