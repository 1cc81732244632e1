/** Canonical forms: fewer, simpler nodes, so that later rewrites see one shape of each idea. */
import { named, elem, isConst, constValue, maybe, LocalRewrite } from './pattern.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { Dot } from '../ops/dot.js';
import { DimShuffle } from '../ops/dimshuffle.js';
import { IndexUpdate } from '../ops/index.js';
import type { Variable } from '../graph/variable.js';

export const doubleNegation = named('double_negation', ['neg'], (node) => {
  const a = elem(node.outputs[0], 'neg');
  const b = a && elem(a[0], 'neg');
  return b ? maybe(node.outputs[0], b[0]) : null;
});

/** x * 1, 1 * x, x + 0, 0 + x, x - 0, x / 1 → x, when x already has the result's type. */
export const neutralElements = named('neutral_elements', ['mul', 'add', 'sub', 'div'], (node) => {
  const out = node.outputs[0];
  for (const [name, neutral, sides] of [['mul', 1, [0, 1]], ['add', 0, [0, 1]], ['sub', 0, [1]], ['div', 1, [1]]] as const) {
    const ins = elem(out, name);
    if (!ins) continue;
    for (const side of sides) {
      if (isConst(ins[side], neutral)) {
        const other = ins[1 - side];
        if (other.dtype === out.dtype && other.ndim === out.ndim && other.broadcastable.every((b, i) => b === out.broadcastable[i])) return [other];
      }
    }
  }
  return null;
});

/** x ** 2 → sqr(x), x ** 1 → x, x ** 0.5 → sqrt(x): cheaper, and exact. */
export const powSpecialize = named('pow_specialize', ['pow'], (node) => {
  const out = node.outputs[0];
  const p = elem(out, 'pow');
  if (!p) return null;
  const c = constValue(p[1]);
  if (p[1].ndim > out.ndim) return null;
  if (c === 2) return maybe(out, ew('sqr', [p[0]]));
  if (c === 1) return maybe(out, p[0]);
  if (c === 0.5) return maybe(out, ew('sqrt', [p[0]]));
  return null;
});

/** second(x, y) → y when y already has the result's shape pattern (the fill does nothing). */
export const uselessFill = named('useless_fill', ['second'], (node) => {
  const out = node.outputs[0];
  const f = elem(out, 'second');
  if (!f) return null;
  const y = f[1];
  if (y.ndim !== out.ndim || !y.broadcastable.every((b, i) => b === out.broadcastable[i])) return null;
  // x's shape could still stretch y at run time unless x is no larger in pattern.
  const x = f[0];
  if (x.ndim > y.ndim || x.broadcastable.some((b, i) => !b && y.broadcastable[y.ndim - x.ndim + i])) return null;
  return maybe(out, y);
});

/** dot(A.T, B) → dot{T}(A, B): transposes become BLAS flags instead of copies. */
export const dotTranspose = named('dot_transpose', [Dot], (node) => {
  if (!(node.op instanceof Dot)) return null;
  const [a, b] = node.inputs;
  const isT = (v: typeof a) => {
    const op = v.owner?.op;
    return op instanceof DimShuffle && v.ndim === 2 && op.pattern.length === 2 && op.pattern[0] === 1 && op.pattern[1] === 0 ? v.owner!.inputs[0] : null;
  };
  const ua = isT(a);
  const ub = isT(b);
  if (!ua && !ub) return null;
  const op = new Dot(ua ? !node.op.transA : node.op.transA, ub ? !node.op.transB : node.op.transB);
  return [op.makeNode(ua ?? a, ub ?? b).outputs[0]];
});

/**
 * inc(zeros, idx, v) + y → inc(y, idx, v): the gradient of several slices of one value is a sum
 * of increments of zeros; this makes it one fill and increments in place (a set into zeros
 * counts too, unless array indices could repeat a position).
 */
export const addOfIncIntoZeros = named('add_of_inc_into_zeros', ['add'], (node) => {
  const out = node.outputs[0];
  const ins = elem(out, 'add');
  if (!ins) return null;
  const sameType = (v: Variable) => v.dtype === out.dtype && v.ndim === out.ndim && v.broadcastable.every((b, i) => b === out.broadcastable[i]);
  for (const side of [0, 1]) {
    const inc = ins[side].owner;
    const other = ins[1 - side];
    if (!inc || !(inc.op instanceof IndexUpdate) || !sameType(ins[side]) || !sameType(other)) continue;
    if (inc.op.mode === 'set' && inc.op.spec.some((e) => e.k === 'array')) continue;
    const fill = elem(inc.inputs[0], 'second');
    if (!fill || !isConst(fill[1], 0)) continue;
    const extra = inc.inputs.slice(1, -1);
    const v = inc.inputs[inc.inputs.length - 1];
    return [new IndexUpdate(inc.op.spec, 'inc').makeNode(other, v, ...extra).outputs[0]];
  }
  return null;
});

/** dimshuffle of a dimshuffle is one dimshuffle. */
export const mergeDimshuffles = named('merge_dimshuffles', [DimShuffle], (node) => {
  if (!(node.op instanceof DimShuffle)) return null;
  const inner = node.inputs[0].owner;
  if (!inner || !(inner.op instanceof DimShuffle)) return null;
  const p2 = node.op.pattern;
  const p1 = inner.op.pattern;
  const composed = p2.map((p) => (p === 'x' ? 'x' : p1[p])) as (number | 'x')[];
  const x = inner.inputs[0];
  const identity = composed.length === x.ndim && composed.every((p, i) => p === i);
  return [identity ? x : new DimShuffle(composed).makeNode(x).outputs[0]];
});

export const canonicalize: LocalRewrite[] = [doubleNegation, neutralElements, powSpecialize, uselessFill, mergeDimshuffles, dotTranspose, addOfIncIntoZeros];
