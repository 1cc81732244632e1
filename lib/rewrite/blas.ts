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
import { constValue, elem, named, LocalRewrite } from './pattern.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { onePassProducts } from './one_pass.js';

function soleReader(fg: FunctionGraph, v: Variable): boolean {
  return !fg.isOutput(v) && fg.clientCount(v) === 1;
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

const samePattern = (a: Variable, b: Variable) => a.dtype === b.dtype && a.ndim === b.ndim && a.broadcastable.every((f, i) => f === b.broadcastable[i]);
/** C as gemm can take it for a result like `out`: the same shape, or one row repeated. */
const fitsAsC = (c: Variable, out: Variable) =>
  samePattern(c, out) ||
  (c.dtype === out.dtype && out.ndim === 2 && ((c.ndim === 2 && c.broadcastable[0] && c.broadcastable[1] === out.broadcastable[1]) || (c.ndim === 1 && c.broadcastable[0] === out.broadcastable[1])));

/**
 * The gemm rewrite for `fg`: products that lib/compile/rowpass.ts fuses into one pass (X·W, and
 * X^T·G with G made from X·W row by row) are left alone; they are found once for the phase.
 */
export function insertGemmFor(fg: FunctionGraph): LocalRewrite {
  const onePass = onePassProducts(fg);
  return named('insert_gemm', ['add', 'sub'], (node) => gemmOf(node, fg, onePass));
}

function gemmOf(node: Apply, fg: FunctionGraph, onePass: ReadonlySet<Apply>): Variable[] | null {
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
      if (onePass.has(found.dot)) continue;
      const alpha = (name === 'sub' ? -1 : 1) * found.scale;
      // A vector added to a matrix is a row repeated (numpy's broadcasting from the left).
      const cRow = c.ndim < out.ndim ? dimshuffle(c, ['x', 0]) : c;
      // gemv takes no broadcastable vector C (a length-1 result, e.g. from a 1-row A): leave it.
      if (cRow.ndim === 1 && cRow.broadcastable[0]) continue;
      return [new Gemm(alpha, 1, op.transA, op.transB).makeNode(cRow, a, b).outputs[0]];
    }
  }
  return null;
}

/** relu(gemm(...)) → gemm{relu}(...), when nothing else reads the gemm's result. */
export const gemmRelu = named('gemm_relu', ['relu'], (node, fg) => {
  const x = elem(node.outputs[0], 'relu');
  const inner = x?.[0].owner;
  if (!x || !inner || !(inner.op instanceof Gemm) || inner.op.relu || !soleReader(fg, x[0])) return null;
  if (!samePattern(x[0], node.outputs[0])) return null;
  return [inner.op.withRelu().makeNode(...(inner.inputs as [Variable, Variable, Variable])).outputs[0]];
});
