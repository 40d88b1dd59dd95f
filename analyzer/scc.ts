/**
 * Tarjan's strongly connected components, iterative: call graphs of real programs have chains
 * thousands of calls deep, and a recursive walk would overflow the stack.
 */

/**
 * The strongly connected components of the graph, callees before callers: every edge leaving a
 * component goes to a component listed earlier (reverse topological order).
 */
export function stronglyConnectedComponents<T>(nodes: Iterable<T>, successors: (node: T) => Iterable<T>): T[][] {
  const index = new Map<T, number>();
  const lowLink = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const components: T[][] = [];
  let nextIndex = 0;

  interface Frame {
    node: T;
    edges: Iterator<T>;
  }
  const visit = (node: T, work: Frame[]) => {
    index.set(node, nextIndex);
    lowLink.set(node, nextIndex);
    nextIndex += 1;
    stack.push(node);
    onStack.add(node);
    work.push({ node, edges: successors(node)[Symbol.iterator]() });
  };

  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Frame[] = [];
    visit(root, work);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const next = frame.edges.next();
      if (!next.done) {
        const successor = next.value;
        if (!index.has(successor)) visit(successor, work);
        else if (onStack.has(successor)) lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(successor)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        lowLink.set(parent, Math.min(lowLink.get(parent)!, lowLink.get(frame.node)!));
      }
      if (lowLink.get(frame.node) === index.get(frame.node)) {
        const component: T[] = [];
        let member: T;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}
