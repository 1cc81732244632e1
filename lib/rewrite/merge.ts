/**
 * Merging of equal subexpressions (common subexpression elimination), incrementally: a table
 * from "op and inputs" to the node that computes it. A node is looked up when the driver visits
 * it; the table forgets a node whose inputs change or that leaves the graph, and the driver
 * visits such a node again, so the table always describes the graph as it is now.
 */
import { Apply, Constant } from '../graph/variable.js';
import type { FunctionGraph, GraphListener } from '../graph/fgraph.js';
import { Elemwise } from '../ops/elemwise.js';

/** Constants up to this many elements are compared by value (larger ones stay apart). */
const MAX_COMPARED = 64;

const constantKeys = new WeakMap<Constant, string | null>();

/** A constant's value as text, for comparing by value; null for large ones (compared by identity). */
export function constantKey(c: Constant): string | null {
  let k = constantKeys.get(c);
  if (k === undefined) {
    k = c.value.size > MAX_COMPARED ? null : `${c.value.dtype}|${c.value.shape}|${Array.from(c.value.data, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
    constantKeys.set(c, k);
  }
  return k;
}

/** What equality is decided on: a number for the op's key and the input ids (sorted when commutative). */
interface Signature {
  op: number;
  ids: number[];
  hash: number;
}

export class MergeTable implements GraphListener {
  private readonly fg: FunctionGraph;
  /** Nodes by a hash of their signature; equal hashes are told apart by comparing signatures. */
  private readonly buckets = new Map<number, Apply[]>();
  private readonly signatureOf = new Map<Apply, Signature>();
  /** A small number for each distinct op key (odd numbers: commutative ops). */
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
   * Make node's constant inputs the one constant of their value, then merge node with an equal
   * node already in the graph, if there is one. Returns which one was replaced: 'node' (it is
   * gone), 'other' (the equal node was, by node) or 'none'.
   */
  visit(node: Apply): 'node' | 'other' | 'none' {
    for (const v of node.inputs) {
      if (!(v instanceof Constant)) continue;
      const key = constantKey(v);
      if (key === null) continue;
      const seen = this.constants.get(key);
      if (!seen) this.constants.set(key, v);
      else if (seen !== v) this.fg.replace(v, seen);
    }
    this.forget(node);
    const sig = this.signature(node);
    let bucket = this.buckets.get(sig.hash);
    const prev = bucket?.find((m) => m !== node && sameSignature(this.signatureOf.get(m)!, sig) && this.fg.has(m));
    // Of two equal nodes the one first in the order stays, so that no reader has to move.
    if (prev && !this.fg.before(node, prev)) {
      this.fg.replaceAll(node.outputs.map((o, i) => [o, prev.outputs[i]] as const));
      return 'node';
    }
    if (prev) this.forget(prev);
    if (!bucket || !this.buckets.has(sig.hash)) this.buckets.set(sig.hash, (bucket = []));
    bucket.push(node);
    this.signatureOf.set(node, sig);
    if (!prev) return 'none';
    this.fg.replaceAll(prev.outputs.map((o, i) => [o, node.outputs[i]] as const));
    return 'other';
  }

  private signature(node: Apply): Signature {
    const key = node.op.cachedKey;
    let op = this.opNumbers.get(key);
    if (op === undefined) {
      const commutative = !!(node.op instanceof Elemwise && node.op.scalar?.commutative);
      op = 2 * this.opNumbers.size + (commutative ? 1 : 2);
      this.opNumbers.set(key, op);
    }
    const ids = node.inputs.map((v) => v.id);
    if (op & 1) ids.sort((a, b) => a - b);
    let hash = op;
    for (const id of ids) hash = (Math.imul(hash, 0x9e3779b1) + id) | 0;
    return { op, ids, hash };
  }

  private forget(node: Apply): void {
    const sig = this.signatureOf.get(node);
    if (sig === undefined) return;
    this.signatureOf.delete(node);
    const bucket = this.buckets.get(sig.hash)!;
    bucket.splice(bucket.indexOf(node), 1);
    if (bucket.length === 0) this.buckets.delete(sig.hash);
  }
}

function sameSignature(a: Signature, b: Signature): boolean {
  return a.op === b.op && a.ids.length === b.ids.length && a.ids.every((x, i) => x === b.ids[i]);
}
