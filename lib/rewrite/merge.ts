/**
 * Merging of equal subexpressions (common subexpression elimination), incrementally: a table
 * from "op and inputs" to the node that computes it. A node is looked up when the driver visits
 * it; the table forgets a node whose inputs change or that leaves the graph, and the driver
 * visits such a node again, so the table always describes the graph as it is now.
 */
import { Apply, Constant } from '../graph/variable.js';
import type { FunctionGraph, GraphListener } from '../graph/fgraph.js';
import { Elemwise } from '../ops/elemwise.js';
import type { Op } from '../graph/op.js';

/** Constants up to this many elements are compared by value (larger ones stay apart). */
const MAX_COMPARED = 64;

const constantKeys = new WeakMap<Constant, string | null>();

function constantKey(c: Constant): string | null {
  let k = constantKeys.get(c);
  if (k === undefined) {
    k = c.value.size > MAX_COMPARED ? null : `${c.value.dtype}|${c.value.shape}|${Array.from(c.value.data, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
    constantKeys.set(c, k);
  }
  return k;
}

/** Ops are immutable, so each one's key (a JSON text for fused elementwise ops) is made once. */
const opKeys = new WeakMap<Op, string>();

function opKey(op: Op): string {
  let k = opKeys.get(op);
  if (k === undefined) opKeys.set(op, (k = op.key()));
  return k;
}

/** Input ids in the order that decides equality: sorted for a commutative scalar op. */
function inputIds(node: Apply): number[] {
  const ids = node.inputs.map((v) => v.id);
  const op = node.op;
  return op instanceof Elemwise && op.scalar?.commutative ? ids.sort((a, b) => a - b) : ids;
}

export class MergeTable implements GraphListener {
  private readonly fg: FunctionGraph;
  /** Nodes by a hash of their op and inputs; equal hashes are told apart by comparing. */
  private readonly buckets = new Map<number, Apply[]>();
  private readonly hashOf = new Map<Apply, number>();
  /** A small number for each distinct op key, so that hashes are made of numbers only. */
  private readonly opNumbers = new Map<string, number>();
  private readonly constants = new Map<string, Constant>();

  constructor(fg: FunctionGraph) {
    this.fg = fg;
    fg.addListener(this);
  }

  detach(): void {
    this.fg.removeListener(this);
  }

  onChangeInput(node: Apply): void {
    this.forget(node);
  }

  onPrune(node: Apply): void {
    this.forget(node);
  }

  /**
   * Make node's constant inputs the one constant of their value, then replace node by an equal
   * node already in the graph, if there is one. Returns whether node was replaced.
   */
  visit(node: Apply): boolean {
    for (const v of node.inputs) {
      if (!(v instanceof Constant)) continue;
      const key = constantKey(v);
      if (key === null) continue;
      const seen = this.constants.get(key);
      if (!seen) this.constants.set(key, v);
      else if (seen !== v) this.fg.replace(v, seen);
    }
    this.forget(node);
    const op = this.opNumber(node);
    const ids = inputIds(node);
    let h = op;
    for (const id of ids) h = (Math.imul(h, 0x9e3779b1) + id) | 0;
    let bucket = this.buckets.get(h);
    const prev = bucket?.find((m) => m !== node && this.opNumber(m) === op && sameIds(inputIds(m), ids) && this.fg.has(m));
    if (prev) {
      this.fg.replaceAll(node.outputs.map((o, i) => [o, prev.outputs[i]] as const));
      return true;
    }
    if (!bucket) this.buckets.set(h, (bucket = []));
    bucket.push(node);
    this.hashOf.set(node, h);
    return false;
  }

  private opNumber(node: Apply): number {
    const key = opKey(node.op);
    let n = this.opNumbers.get(key);
    if (n === undefined) this.opNumbers.set(key, (n = this.opNumbers.size + 1));
    return n;
  }

  private forget(node: Apply): void {
    const h = this.hashOf.get(node);
    if (h === undefined) return;
    this.hashOf.delete(node);
    const bucket = this.buckets.get(h)!;
    bucket.splice(bucket.indexOf(node), 1);
    if (bucket.length === 0) this.buckets.delete(h);
  }
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
