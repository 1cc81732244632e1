/**
 * A topological order of Apply nodes kept up to date as the graph changes: a doubly linked list
 * whose entries carry increasing numeric labels, so that "does a come before b" is one
 * comparison and inserting or moving a node costs O(1) (plus, rarely, relabelling a small
 * window of neighbours when two labels leave no room between them). Each node keeps its own
 * entry (`orderEntry`), so finding it is a field read rather than a lookup in a large table:
 * on deep graphs the table's cache misses grew the cost per node with the graph.
 */
import type { Apply } from './variable.js';

interface Entry {
  order: NodeOrder | null;
  node: Apply | null;
  prev: Entry | null;
  next: Entry | null;
  label: number;
}

/** Labels live in [0, 2^52]: integers that doubles hold exactly. */
const TOP = 2 ** 52;
/** Room left between neighbours when labels are handed out in order. */
const SPACING = 2 ** 20;

export class NodeOrder {
  private readonly head: Entry = { order: null, node: null, prev: null, next: null, label: 0 };
  private readonly tail: Entry = { order: null, node: null, prev: null, next: null, label: TOP };
  private count = 0;

  constructor() {
    this.head.next = this.tail;
    this.tail.prev = this.head;
  }

  get size(): number {
    return this.count;
  }

  private entryOf(node: Apply): Entry | null {
    const e = node.orderEntry as Entry | null;
    return e !== null && e.order === this ? e : null;
  }

  has(node: Apply): boolean {
    return this.entryOf(node) !== null;
  }

  /** A number that increases along the order (valid until the next change). */
  label(node: Apply): number {
    const e = this.entryOf(node);
    if (!e) throw new Error('node is not in the order');
    return e.label;
  }

  /** Insert `node` right after `after` (null: at the front). */
  insertAfter(node: Apply, after: Apply | null): void {
    if (this.has(node)) throw new Error('node is already in the order');
    const prev = after === null ? this.head : this.entryOf(after);
    if (!prev) throw new Error('anchor node is not in the order');
    const e: Entry = { order: this, node, prev, next: prev.next, label: 0 };
    prev.next!.prev = e;
    prev.next = e;
    node.orderEntry = e;
    this.count++;
    this.placeLabel(e);
  }

  /** Append at the end (used when building from a sorted list): labels evenly spaced. */
  append(node: Apply): void {
    const last = this.tail.prev!;
    if (last.label + SPACING >= TOP) return this.insertAfter(node, last.node);
    if (this.has(node)) throw new Error('node is already in the order');
    const e: Entry = { order: this, node, prev: last, next: this.tail, label: last.label + SPACING };
    last.next = e;
    this.tail.prev = e;
    node.orderEntry = e;
    this.count++;
  }

  remove(node: Apply): void {
    const e = this.entryOf(node);
    if (!e) return;
    e.prev!.next = e.next;
    e.next!.prev = e.prev;
    e.order = null;
    node.orderEntry = null;
    this.count--;
  }

  /** Move `nodes` (given in the order they must keep) to right after `after`. */
  moveAfter(nodes: readonly Apply[], after: Apply): void {
    let anchor = after;
    for (const n of nodes) {
      this.remove(n);
      this.insertAfter(n, anchor);
      anchor = n;
    }
  }

  toArray(): Apply[] {
    const out: Apply[] = [];
    for (let e = this.head.next!; e !== this.tail; e = e.next!) out.push(e.node!);
    return out;
  }

  /** Give a freshly linked entry a label between its neighbours, relabelling a window if needed. */
  private placeLabel(e: Entry): void {
    const lo = e.prev!.label;
    const hi = e.next!.label;
    if (hi - lo >= 2) {
      e.label = Math.floor(lo + (hi - lo) / 2);
      return;
    }
    // Grow a window around e until its label range leaves a gap of at least its size between
    // neighbours: windows double, so a relabel costs amortised O(log n) per insertion.
    let left: Entry = e.prev!;
    let right: Entry = e.next!;
    let count = 1;
    for (let step = 1; ; step *= 2) {
      for (let i = 0; i < step && left.prev; i++, count++) left = left.prev;
      for (let i = 0; i < step && right.next; i++, count++) right = right.next;
      const gap = (right.label - left.label) / (count + 1);
      if (gap >= Math.max(2, count) || (!left.prev && !right.next)) {
        if (gap < 1) throw new Error('node order is full');
        let x = left.next!;
        for (let k = 1; x !== right; k++, x = x.next!) x.label = Math.floor(left.label + gap * k);
        return;
      }
    }
  }
}
