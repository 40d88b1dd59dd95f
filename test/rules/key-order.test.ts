/**
 * The order among a keyed lock's constant keys (lock-order.json `keys`): holding one key, a key the
 * list puts before it may not be taken. Keys not listed are not ordered; the same key is recursion.
 * The lock-audit side: fixtures/audit/key-order.
 */
import { RuleTester } from "@typescript-eslint/rule-tester";
import noRecursion from "../../rules/no-recursion.js";
import order from "../../rules/order.js";
import { testable } from "./lock-rule-tester.js";

const policy = {
  locks: [{ id: "sn", target: "Nursery.locks", kind: "keyed", keys: ["retry", "swap", "Nursery.chainKey"] }],
};
const tester = new RuleTester({ settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } } });

const NURSERY = `import AsyncLock from "async-lock";
class Nursery {
  static readonly chainKey = "chain";
  readonly locks = new AsyncLock();
`;

tester.run("order (keys)", testable(order), {
  valid: [
    // In the listed order: retry, then swap under it; swap, then the constant Nursery.chainKey.
    `${NURSERY}  async settle_sn() {
    await this.locks.acquire("retry", async () => {
      await this.locks.acquire('swap', async () => {
        await this.locks.acquire(Nursery.chainKey, async () => 1);
      });
    });
  }
}`,
    // Keys not listed are unordered, among themselves and against the listed ones.
    `${NURSERY}  async other_sn(id: string) {
    await this.locks.acquire("swap", async () => {
      await this.locks.acquire(id, async () => {
        await this.locks.acquire("audit", async () => 1);
      });
    });
  }
}`,
    // Taken one after the other, not nested.
    `${NURSERY}  async sequential_sn() {
    await this.locks.acquire("swap", async () => 1);
    await this.locks.acquire("retry", async () => 1);
  }
}`,
  ],
  invalid: [
    {
      code: `${NURSERY}  async retry_sn() {
    await this.locks.acquire("swap", async () => {
      await this.locks.acquire("retry", async () => 1);
    });
  }
}`,
      errors: [
        {
          messageId: "keyOutOfOrder",
          data: { callee: "this.locks.acquire", acquired: 'sn("retry")', held: 'sn("swap")', taken: "taken on line 6", acquiredIds: "sn", heldIds: "sn", key: '"retry"', heldKeys: '"swap"' },
          line: 7,
        },
      ],
    },
    {
      // A key list taken in array order: `[chain, swap]` takes swap while holding the constant listed after it.
      code: `${NURSERY}  async both_sn() {
    await this.locks.acquire([Nursery.chainKey, "swap"], async () => 1);
  }
}`,
      errors: [{ messageId: "keyOutOfOrder", data: { callee: "this.locks.acquire", acquired: 'sn("swap")', held: "sn(Nursery.chainKey)", taken: "taken before it in this call's key list", acquiredIds: "sn", heldIds: "sn", key: '"swap"', heldKeys: "Nursery.chainKey" }, line: 6 }],
    },
  ],
});

tester.run("no-recursion (keys)", testable(noRecursion), {
  valid: [],
  invalid: [
    {
      // The same key is recursion, listed or not.
      code: `${NURSERY}  async again_sn() {
    await this.locks.acquire("swap", async () => {
      await this.locks.acquire("swap", async () => 1);
    });
  }
}`,
      errors: [{ messageId: "acquireHeld", line: 7 }],
    },
  ],
});
