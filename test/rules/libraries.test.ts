/**
 * The libraries of the recognition table (core/recognition.ts), seen by the ESLint rules through a
 * lock-order.json that declares their instances (`Class.member`): the same shapes lock-audit reads
 * (fixtures/audit/await-lock*, test/analyzer/libraries.test.ts).
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
