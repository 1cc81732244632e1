/**
 * tensordot and batchedDot (theano.tensor.tensordot / batched_dot), composed from dimshuffle,
 * reshape, dot and elementwise products, so they get gradients and both backends for free.
 */
import type { Variable } from '../graph/variable.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { dot } from '../ops/dot.js';
import { dimshuffle } from '../ops/dimshuffle.js';
import { reshape, shapeOf } from '../ops/reshape.js';
import { reduce } from '../ops/reduce.js';
import { applyElemwise as ew } from '../ops/elemwise.js';

/** The product of some axes' lengths, as an int scalar (1 for none). */
function sizeOfAxes(x: Variable, axes: number[]): Variable | number {
  return axes.reduce<Variable | number>((acc, a) => (acc === 1 ? shapeOf(x, a) : ew('mul', [acc, shapeOf(x, a)])), 1);
}

function checkAxes(axes: number[], ndim: number, which: string): number[] {
  const norm = axes.map((a) => (a < 0 ? a + ndim : a));
  if (norm.some((a) => !Number.isInteger(a) || a < 0 || a >= ndim)) throw new RangeError(`tensordot: axes ${JSON.stringify(axes)} are out of range for the ${ndim}-d ${which} operand`);
  if (new Set(norm).size !== norm.length) throw new Error(`tensordot: axes ${JSON.stringify(axes)} of the ${which} operand repeat`);
  return norm;
}

/**
 * Sums the products of `a` and `b` over the given axes: `axes` a number n (the last n axes of a
 * with the first n of b) or two lists of axes, paired in order; the result has a's other axes
 * then b's, as numpy.tensordot.
 */
export function tensordot(aIn: TensorLike, bIn: TensorLike, axes: number | readonly [readonly number[], readonly number[]] = 2): Variable {
  const a = asVariable(aIn, 'tensordot');
  const b = asVariable(bIn, 'tensordot');
  let sumA: number[];
  let sumB: number[];
  if (typeof axes === 'number') {
    if (!Number.isInteger(axes) || axes < 0 || axes > a.ndim || axes > b.ndim) throw new RangeError(`tensordot: cannot sum over ${axes} axes of ${a.ndim}-d and ${b.ndim}-d operands`);
    sumA = Array.from({ length: axes }, (_, i) => a.ndim - axes + i);
    sumB = Array.from({ length: axes }, (_, i) => i);
  } else {
    if (!Array.isArray(axes) || axes.length !== 2 || axes[0].length !== axes[1].length) throw new Error(`tensordot: axes must be a number or two lists of the same length, got ${JSON.stringify(axes)}`);
    sumA = checkAxes([...axes[0]], a.ndim, 'first');
    sumB = checkAxes([...axes[1]], b.ndim, 'second');
  }
  const freeA = Array.from({ length: a.ndim }, (_, i) => i).filter((i) => !sumA.includes(i));
  const freeB = Array.from({ length: b.ndim }, (_, i) => i).filter((i) => !sumB.includes(i));
  // a as (free, summed), b as (summed, free): one matrix product.
  const a2 = reshape(dimshuffle(a, [...freeA, ...sumA]), [sizeOfAxes(a, freeA), sizeOfAxes(a, sumA)]);
  const b2 = reshape(dimshuffle(b, [...sumB, ...freeB]), [sizeOfAxes(b, sumB), sizeOfAxes(b, freeB)]);
  return reshape(dot(a2, b2), [...freeA.map((i) => shapeOf(a, i)), ...freeB.map((i) => shapeOf(b, i))]);
}

/**
 * Theano's batched_dot: for each i along axis 0, dot(a[i], b[i]) — (B, n, m)·(B, m, p) ->
 * (B, n, p), and vectors per row, (B, m)·(B, m) -> (B,), (B, n, m)·(B, m) -> (B, n),
 * (B, m)·(B, m, p) -> (B, p). Computed as a broadcast product summed over the shared axis.
 */
export function batchedDot(aIn: TensorLike, bIn: TensorLike): Variable {
  const a = asVariable(aIn, 'batchedDot');
  const b = asVariable(bIn, 'batchedDot');
  if (a.ndim < 2 || a.ndim > 3 || b.ndim < 2 || b.ndim > 3) throw new Error(`batchedDot: operands must be 2-d or 3-d (a batch of vectors or matrices), got ${a.ndim}-d and ${b.ndim}-d`);
  // Put both on axes (batch, n, m, p) with 'x' where an operand has no such axis, then sum over m.
  const pa = a.ndim === 3 ? [0, 1, 2, 'x'] : [0, 'x', 1, 'x'];
  const pb = b.ndim === 3 ? [0, 'x', 1, 2] : [0, 'x', 1, 'x'];
  const prod = ew('mul', [dimshuffle(a, pa as never), dimshuffle(b, pb as never)]);
  const summed = reduce('sum', prod, 2);
  // Drop the axes neither operand had: n when a is a batch of vectors, p when b is.
  const keep = [0, ...(a.ndim === 3 ? [1] : []), ...(b.ndim === 3 ? [2] : [])];
  return dimshuffle(summed, keep);
}
