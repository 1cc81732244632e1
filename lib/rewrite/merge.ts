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

function nodeKey(node: Apply): string {
  const op = node.op;
  let k = opKeys.get(op);
  if (k === undefined) {
    const commutative = op instanceof Elemwise && !!op.scalar?.commutative;
    k = `${op.key()}${commutative ? '|c' : ''}|`;
    opKeys.set(op, k);
  }
  let ids = node.inputs.map((v) => v.id);
  if (k.endsWith('|c|')) ids = ids.sort((a, b) => a - b);
  return k + ids.join(',');
}

export class MergeTable implements GraphListener {
  private readonly fg: FunctionGraph;
  private readonly byKey = new Map<string, Apply>();
  private readonly keyOf = new Map<Apply, string>();
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
    const key = nodeKey(node);
    const prev = this.byKey.get(key);
    if (prev && prev !== node && this.fg.has(prev)) {
      this.fg.replaceAll(node.outputs.map((o, i) => [o, prev.outputs[i]] as const));
      return true;
    }
    this.byKey.set(key, node);
    this.keyOf.set(node, key);
    return false;
  }

  private forget(node: Apply): void {
    const k = this.keyOf.get(node);
    if (k === undefined) return;
    this.keyOf.delete(node);
    if (this.byKey.get(k) === node) this.byKey.delete(k);
  }
}
