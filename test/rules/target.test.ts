import rule from "../../rules/target.js";
import { bareRuleTester, ruleTester, testable, typedRuleTester } from "./lock-rule-tester.js";

// Suites with an order of their own use bareRuleTester: RuleTester merges settings, lock lists included.

// The root lock order (fixtures/habitat): rs → RumorStore.list, ml → MemberList.entries, iml →
// MemberList.initialMembers, sm → Server.member, sbl → Server.blockList, …
ruleTester.run("target", testable(rule), {
  valid: [
    "class RumorStore { readonly list = new RwLock(); }",
    "class Server { constructor(readonly member: Mutex, private readonly blockList: Mutex) {} }",
    "class MemberList { get entries() { return lock; } accessor initialMembers = new RwLock(); }",
    // Classes no target names, and anonymous classes, say nothing.
    "class Cache { lock = new Mutex(); }",
    "export default class { list = 1; }",
    // A class declared elsewhere is not this file's to judge without types.
    "import { RumorStore } from './store.js'; new RumorStore();",
  ],
  invalid: [
    {
      code: "class RumorStore {\n  readonly lsit = new RwLock();\n}",
      errors: [
        {
          messageId: "noSuchField",
          data: {
            id: "rs",
            target: "RumorStore.list",
            className: "RumorStore",
            field: "list",
            fields: "its fields: lsit",
            suggestion: 'did you mean "RumorStore.lsit"? ',
            file: "/virtual/lock-order.json",
          },
          line: 1,
          column: 7,
        },
      ],
    },
    {
      // Both targets of MemberList are checked; methods are not fields.
      code: "const MemberList = class MemberList { entries() {} };",
      errors: [
        { messageId: "noSuchField", data: { id: "iml", target: "MemberList.initialMembers", className: "MemberList", field: "initialMembers", fields: "it has no fields", suggestion: "", file: "/virtual/lock-order.json" } },
        { messageId: "noSuchField", data: { id: "ml", target: "MemberList.entries", className: "MemberList", field: "entries", fields: "it has no fields", suggestion: "", file: "/virtual/lock-order.json" } },
      ],
    },
  ],
});

bareRuleTester.run("target (a near-miss class name)", testable(rule), {
  valid: [
    // A similar name without the field is another class.
    {
      code: "class RumorStore { readonly items = []; }",
      settings: { "lock-discipline": { policy: { locks: [{ id: "rs", target: "RumorStor.list", kind: "rwlock" }] }, lockOrder: "/virtual/lock-order.json" } },
    },
  ],
  invalid: [
    {
      code: "class RumorStore {\n  readonly list = new RwLock();\n}",
      settings: { "lock-discipline": { policy: { locks: [{ id: "rs", target: "RumorStor.list", kind: "rwlock" }] }, lockOrder: "/virtual/lock-order.json" } },
      errors: [
        {
          messageId: "similarClass",
          data: { id: "rs", target: "RumorStor.list", written: "RumorStor", className: "RumorStore", field: "list", suggestion: "RumorStore.list", file: "/virtual/lock-order.json" },
          line: 1,
          column: 7,
        },
      ],
    },
  ],
});

const moduleOrder = {
  "lock-discipline": {
    policy: { locks: [{ id: "cfg", target: "src/locks.ts#configLock", kind: "mutex" }] },
    lockOrder: "/virtual/lock-order.json",
  },
};

bareRuleTester.run("target (module targets)", testable(rule), {
  valid: [
    { code: "export const configLock = new Mutex();", filename: "/virtual/src/locks.ts", settings: moduleOrder },
    // Another file: the target is not about it.
    { code: "export const other = 1;", filename: "/virtual/src/other.ts", settings: moduleOrder },
  ],
  invalid: [
    {
      code: "export const configLok = new Mutex();",
      filename: "/virtual/src/locks.ts",
      settings: moduleOrder,
      errors: [
        {
          messageId: "noSuchVariable",
          data: { id: "cfg", target: "src/locks.ts#configLock", name: "configLock", suggestion: 'did you mean "src/locks.ts#configLok"? ', file: "/virtual/lock-order.json" },
          line: 1,
        },
      ],
    },
  ],
});

const poolOrder = { "lock-discipline": { policy: { locks: [{ id: "pc", target: "Pool.conn", kind: "mutex" }] }, lockOrder: "/virtual/lock-order.json" } };

typedRuleTester.run("target (typed)", testable(rule), {
  valid: [
    { code: "import { Pool } from './pool.js';\nexport const pools: Pool[] = [];", settings: { "lock-discipline": { policy: { locks: [{ id: "pc", target: "Pool.connection", kind: "mutex" }] }, lockOrder: "/virtual/lock-order.json" } } },
  ],
  invalid: [
    {
      // Pool is declared in pool.ts of the typed project: the checker finds it, reported once at the first use.
      code: "import { Pool } from './pool.js';\nexport const pools: Pool[] = [new Pool()];",
      settings: poolOrder,
      errors: [
        {
          messageId: "noSuchField",
          data: { id: "pc", target: "Pool.conn", className: "Pool", field: "conn", fields: "its fields: connection", suggestion: "", file: "/virtual/lock-order.json" },
          line: 1,
          column: 10,
        },
      ],
    },
  ],
});
