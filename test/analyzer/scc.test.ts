/** Tarjan's components: checked against reachability on random graphs, and on a chain too deep to recurse. */
import { describe, expect, it } from "vitest";
import { stronglyConnectedComponents } from "../../analyzer/scc.js";

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function reachable(edges: number[][], from: number): Set<number> {
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length) for (const next of edges[stack.pop()!]) if (!seen.has(next)) seen.add(next), stack.push(next);
  return seen;
}

describe("stronglyConnectedComponents", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("matches mutual reachability and orders callees first (seed %i)", (seed) => {
    const next = random(seed);
    const size = 40;
    const edges = Array.from({ length: size }, () => Array.from({ length: Math.floor(next() * 4) }, () => Math.floor(next() * size)));
    const components = stronglyConnectedComponents([...edges.keys()], (node) => edges[node]);
    const reach = edges.map((_, node) => reachable(edges, node));
    const componentOf = new Map<number, number>();
    components.forEach((component, index) => component.forEach((node) => componentOf.set(node, index)));
    expect(componentOf.size).toBe(size);
    for (let a = 0; a < size; a += 1) {
      for (let b = 0; b < size; b += 1) {
        const mutual = reach[a].has(b) && reach[b].has(a);
        expect(componentOf.get(a) === componentOf.get(b)).toBe(mutual);
      }
      // Every edge leads to the same component or to one listed earlier.
      for (const target of edges[a]) expect(componentOf.get(target)!).toBeLessThanOrEqual(componentOf.get(a)!);
    }
  });

  it("handles a 200,000-node chain and a 200,000-node cycle without recursion", () => {
    const size = 200_000;
    const chain = stronglyConnectedComponents([...Array(size).keys()], (node) => (node + 1 < size ? [node + 1] : []));
    expect(chain).toHaveLength(size);
    expect(chain[0]).toEqual([size - 1]);
    const cycle = stronglyConnectedComponents([...Array(size).keys()], (node) => [(node + 1) % size]);
    expect(cycle).toHaveLength(1);
    expect(cycle[0]).toHaveLength(size);
  });
});
