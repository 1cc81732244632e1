/**
 * Which products lib/compile/rowpass.ts will fuse into one pass over X: a pair Z = X·W and
 * X^T·G where G is computed from Z by row-local ops only (elementwise ops, the softmax family:
 * whatever lib/ops declares `rowLocal`; shape readers count as independent of Z). BLAS insertion
 * leaves both products of such a pair alone.
 *
 * All pairs are decided in one sweep over the graph in topological order, with one bit per
 * candidate Z: `dep` marks the Zs a variable depends on, `mixed` those it depends on through
 * some op that is not row-local. G qualifies for Z when Z is in dep(G) and not in mixed(G).
 * The sweep costs (nodes × candidates / 32) word operations, instead of one walk of the graph
 * per candidate pair.
 */
import type { Apply, Variable } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { Dot } from '../ops/dot.js';
import { kernelFor, kernelRowLocal } from '../ops/kernel.js';

const isPlainDot = (n: Apply, transA: boolean) => n.op instanceof Dot && n.op.transA === transA && !n.op.transB;

/** The kernel properties of a graph node, read from the declarations in lib/ops. */
function kernelOf(node: Apply): { rowLocal: boolean; shapeOnly: boolean } {
  const { opcode, attrs } = node.op.lower(node);
  return { rowLocal: kernelRowLocal(opcode, attrs), shapeOnly: !!kernelFor(opcode).shapeOnly };
}

/** X·W products with X a matrix and a transposed product X^T·(·) of the same rank beside them. */
function candidates(fg: FunctionGraph): Apply[] {
  const out: Apply[] = [];
  for (const node of fg.nodes) {
    if (!isPlainDot(node, false)) continue;
    const [a, b] = node.inputs;
    if (a.ndim !== 2 || (b.ndim !== 1 && b.ndim !== 2)) continue;
    if (fg.readers(a).some((n) => isPlainDot(n, true) && n.inputs[0] === a && n.inputs[1].ndim === b.ndim)) out.push(node);
  }
  return out;
}

/** The dot nodes that are halves of a pair the one-pass rewrite fuses. */
export function onePassProducts(fg: FunctionGraph): Set<Apply> {
  const found = new Set<Apply>();
  const zs = candidates(fg);
  if (zs.length === 0) return found;
  const words = Math.ceil(zs.length / 32);
  const bitOf = new Map(zs.map((n, i) => [n, i]));
  const dep = new Map<Variable, Uint32Array>();
  const mixed = new Map<Variable, Uint32Array>();
  const or = (into: Uint32Array | null, from: Uint32Array | undefined): Uint32Array | null => {
    if (!from) return into;
    const r = into ?? new Uint32Array(words);
    for (let w = 0; w < words; w++) r[w] |= from[w];
    return r;
  };
  for (const node of fg.nodes) {
    const k = kernelOf(node);
    if (k.shapeOnly) continue;
    let d: Uint32Array | null = null;
    let m: Uint32Array | null = null;
    for (const v of node.inputs) {
      d = or(d, dep.get(v));
      m = or(m, k.rowLocal ? mixed.get(v) : dep.get(v));
    }
    const bit = bitOf.get(node);
    if (bit !== undefined) {
      // Z itself: it depends on itself row-locally; what its inputs depend on is mixed.
      m = d ? d.slice() : null;
      d ??= new Uint32Array(words);
      d[bit >> 5] |= 1 << (bit & 31);
    }
    for (const o of node.outputs) {
      if (d) dep.set(o, d);
      if (m) mixed.set(o, m);
    }
  }
  const has = (bits: Uint32Array | undefined, i: number) => !!bits && (bits[i >> 5] & (1 << (i & 31))) !== 0;
  zs.forEach((d1, i) => {
    const [a, b] = d1.inputs;
    for (const d2 of fg.readers(a)) {
      if (!isPlainDot(d2, true) || d2.inputs[0] !== a || d2.inputs[1].ndim !== b.ndim) continue;
      const g = d2.inputs[1];
      if (has(dep.get(g), i) && !has(mixed.get(g), i)) {
        found.add(d1);
        found.add(d2);
      }
    }
  });
  return found;
}
