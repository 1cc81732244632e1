/**
 * BLAS insertion: C ± s·dot(A, B) (and C + dot(A, B)) becomes one gemm/gemv with alpha = ±s and
 * beta = 1, when the product is used nowhere else, C has the result's shape or is one row
 * (a bias), and the product is not one of a pair that the one-pass rewrite reads X once for.
 * The planner can then run it in C's storage — e.g. an SGD step W - lr·dot(X.T, G) updates W
 * in place. A relu of such a gemm (and of nothing else) joins it: a dense layer.
 */
import { Apply, Variable } from '../graph/variable.js';
import { Dot } from '../ops/dot.js';
import { Gemm } from '../ops/gemm.js';
import { dimshuffle } from '../ops/dimshuffle.js';
import { Elemwise } from '../ops/elemwise.js';
import { Softmax } from '../ops/softmax.js';
import { CrossentropySoftmax, CrossentropySoftmaxGrad } from '../ops/xent.js';
import { Shape, ShapeI } from '../ops/reshape.js';
import { SizeOf } from '../ops/reduce.js';
import { constValue, elem, named } from './pattern.js';
import type { FunctionGraph } from '../graph/fgraph.js';

// The graph-level ops of the Program's row-local opcodes (ROW_LOCAL_OPCODES in ops/rowpass.ts).
const ROW_LOCAL_OPS = [Elemwise, Softmax, CrossentropySoftmax, CrossentropySoftmaxGrad];
const SHAPE_READERS = [Shape, ShapeI, SizeOf];

function soleReader(fg: FunctionGraph, v: Variable): boolean {
  return !fg.isOutput(v) && (fg.clients().get(v)?.length ?? 0) === 1;
}

/** v as s·dot(A, B): the dot node and s, or null. */
function scaledDot(fg: FunctionGraph, v: Variable): { dot: Apply; scale: number } | null {
  if (v.owner?.op instanceof Dot) return soleReader(fg, v) ? { dot: v.owner, scale: 1 } : null;
  const m = elem(v, 'mul');
  if (!m || !soleReader(fg, v)) return null;
  for (const [d, s] of [[m[0], m[1]], [m[1], m[0]]]) {
    const scale = s.ndim === 0 ? constValue(s) : null;
    if (scale !== null && d.owner?.op instanceof Dot && soleReader(fg, d)) return { dot: d.owner, scale };
  }
  return null;
}

const isPlainDot = (n: Apply, transA: boolean) => n.op instanceof Dot && n.op.transA === transA && !n.op.transB;

/** Whether g is computed from z by row-local ops only (shape readers count as independent of z). */
function rowLocalFrom(z: Variable, g: Variable): boolean {
  const memo = new Map<Variable, 'local' | 'free' | 'no'>();
  const visit = (v: Variable): 'local' | 'free' | 'no' => {
    if (v === z) return 'local';
    const seen = memo.get(v);
    if (seen) return seen;
    const node = v.owner;
    let r: 'local' | 'free' | 'no' = 'free';
    if (node && !SHAPE_READERS.some((C) => node.op instanceof C)) {
      const ins = node.inputs.map(visit);
      if (ins.includes('no')) r = 'no';
      else if (ins.includes('local')) r = ROW_LOCAL_OPS.some((C) => node.op instanceof C) ? 'local' : 'no';
    }
    memo.set(v, r);
    return r;
  };
  return visit(g) === 'local';
}

/** Whether `dot` is half of a pair that lib/compile/rowpass.ts fuses (X·W, then X^T·G from it). */
function leftToOnePass(fg: FunctionGraph, dot: Apply): boolean {
  const [a, b] = dot.inputs;
  if (a.ndim !== 2 || (b.ndim !== 1 && b.ndim !== 2)) return false;
  const readers = (fg.clients().get(a) ?? []).map(([n]) => n);
  if (isPlainDot(dot, false)) return readers.some((n) => isPlainDot(n, true) && n.inputs[0] === a && n.inputs[1].ndim === b.ndim && rowLocalFrom(dot.outputs[0], n.inputs[1]));
  if (isPlainDot(dot, true)) return readers.some((n) => isPlainDot(n, false) && n.inputs[0] === a && n.inputs[1].ndim === b.ndim && rowLocalFrom(n.outputs[0], b));
  return false;
}

const samePattern = (a: Variable, b: Variable) => a.dtype === b.dtype && a.ndim === b.ndim && a.broadcastable.every((f, i) => f === b.broadcastable[i]);
/** C as gemm can take it for a result like `out`: the same shape, or one row repeated. */
const fitsAsC = (c: Variable, out: Variable) =>
  samePattern(c, out) ||
  (c.dtype === out.dtype && out.ndim === 2 && ((c.ndim === 2 && c.broadcastable[0] && c.broadcastable[1] === out.broadcastable[1]) || (c.ndim === 1 && c.broadcastable[0] === out.broadcastable[1])));

export const insertGemm = named('insert_gemm', (node, fg) => {
  const out = node.outputs[0];
  for (const name of ['add', 'sub'] as const) {
    const ins = elem(out, name);
    if (!ins) continue;
    const orders = name === 'add' ? [[0, 1], [1, 0]] : [[0, 1]];
    for (const [ci, ti] of orders) {
      const c = ins[ci];
      const found = scaledDot(fg, ins[ti]);
      if (!found) continue;
      const [a, b] = found.dot.inputs;
      const op = found.dot.op as Dot;
      const product = found.dot.outputs[0];
      if (a.ndim !== 2 || !fitsAsC(c, out) || !samePattern(product, out) || a.dtype !== out.dtype || b.dtype !== out.dtype) continue;
      if (out.dtype !== 'float64' && out.dtype !== 'float32') continue;
      // X·W and X^T·G with G made from X·W row by row are left to the one-pass rewrite.
      if (leftToOnePass(fg, found.dot)) continue;
      const alpha = (name === 'sub' ? -1 : 1) * found.scale;
      // A vector added to a matrix is a row repeated (numpy's broadcasting from the left).
      const cRow = c.ndim < out.ndim ? dimshuffle(c, ['x', 0]) : c;
      // gemv takes no broadcastable vector C (a length-1 result, e.g. from a 1-row A): leave it.
      if (cRow.ndim === 1 && cRow.broadcastable[0]) continue;
      return [new Gemm(alpha, 1, op.transA, op.transB).makeNode(cRow, a, b).outputs[0]];
    }
  }
  return null;
});

/** relu(gemm(...)) → gemm{relu}(...), when nothing else reads the gemm's result. */
export const gemmRelu = named('gemm_relu', (node, fg) => {
  const x = elem(node.outputs[0], 'relu');
  const inner = x?.[0].owner;
  if (!x || !inner || !(inner.op instanceof Gemm) || inner.op.relu || !soleReader(fg, x[0])) return null;
  if (!samePattern(x[0], node.outputs[0])) return null;
  return [inner.op.withRelu().makeNode(...(inner.inputs as [Variable, Variable, Variable])).outputs[0]];
});
