// Internals of the held-set chains (runtime/task-context.ts) that the public API cannot show.
import { expect, test } from "vitest";
import { defineLockOrder } from "../../runtime/index.js";
import { currentChain, type ChainLink } from "../../runtime/task-context.js";
import { HABITAT_ORDER } from "./helpers.js";

function chainIds(chain: ChainLink | undefined): string[] {
  const ids: string[] = [];
  for (let link = chain; link !== undefined; link = link.parent) ids.unshift(link.entry.id);
  return ids;
}

test("a long-running task's chain does not grow with the locks it took and released", async () => {
  const locks = defineLockOrder(HABITAT_ORDER);
  const [rs, sm] = [locks.rwlock("rs"), locks.mutex("sm")];
  await rs.runRead(async () => {
    for (let i = 0; i < 1000; i++) {
      const guard = await sm.acquire();
      guard.release();
      await sm.runExclusive(() => undefined);
    }
    expect(chainIds(currentChain())).toEqual(["rs"]);
  });
});

test("releasing an outer lock first leaves a chain of the live ones only", async () => {
  const locks = defineLockOrder(HABITAT_ORDER);
  const [ms, gs, sbl] = [locks.rwlock("ms"), locks.rwlock("gs"), locks.mutex("sbl")];
  const outer = await ms.write();
  const middle = await gs.read();
  const inner = await sbl.acquire();
  middle.release();
  expect(chainIds(currentChain())).toEqual(["ms", "sbl"]);
  outer.release();
  expect(chainIds(currentChain())).toEqual(["sbl"]);
  inner.release();
  expect(currentChain()).toBeUndefined();
});
