/**
 * The FIFO of waiting acquisitions: an intrusive doubly linked list.
 *
 * Intrusive (the links live in the waiter objects) so enqueueing allocates nothing beyond the waiter,
 * and doubly linked so a waiter that times out or is aborted leaves from the middle in O(1). An array
 * with `shift`/`splice` is several times slower under contention (both are O(n) copies).
 */

export interface QueueLinks<T> {
  prev: T | undefined;
  next: T | undefined;
  /** True while the node is in a queue; makes `remove` safe to call on a node that already left. */
  queued: boolean;
}

export class WaiterQueue<T extends QueueLinks<T>> {
  head: T | undefined = undefined;
  tail: T | undefined = undefined;
  size = 0;

  push(node: T): void {
    node.prev = this.tail;
    node.next = undefined;
    node.queued = true;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  /** Removes and returns the oldest node. */
  shift(): T | undefined {
    const node = this.head;
    if (node !== undefined) this.remove(node);
    return node;
  }

  /** Unlinks `node` wherever it is; returns false (and does nothing) when it is not queued. */
  remove(node: T): boolean {
    if (!node.queued) return false;
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    node.prev = undefined;
    node.next = undefined;
    node.queued = false;
    this.size--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let node = this.head; node !== undefined; node = node.next) yield node;
  }
}
