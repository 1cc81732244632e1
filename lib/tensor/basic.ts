/** The tensor API (theano.tensor): functions over TensorLike arguments, built from lib/ops. */
import type { Variable } from '../graph/variable.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { reduce as reduceOp, argReduce } from '../ops/reduce.js';
import { dot as dotOp } from '../ops/dot.js';
import { tensordot } from './tensordot.js';
import { dimshuffle as dimshuffleOp, transpose as transposeOp, Pattern } from '../ops/dimshuffle.js';
import { reshape as reshapeOp, flatten as flattenOp, shape as shapeOp } from '../ops/reshape.js';
import { concatenate as concatOp, stack as stackOp } from '../ops/join.js';
import { get as getOp, indexUpdate, IndexArg } from '../ops/index.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import type { DType } from '../ndarray/dtype.js';
import type { ReduceKind, ArgKind } from '../ops/reduce.js';
import { AxisArg, axisAndKeepdims, normalizeAxisArg } from '../ops/axis.js';
import { cumulative } from '../ops/cumulative.js';
import { sortOp } from '../ops/sort.js';
import { alloc as allocOp, eye as eyeOp, ShapeArg } from '../ops/alloc.js';
import { config } from '../config.js';
import { DTypeName, storageDType } from './variables.js';

const v = (x: TensorLike, where: string) => asVariable(x, where);
/** An axis, several axes, or `null` for all of them (negative numbers count from the end); also `{ axis, keepdims }`. */
export type Axis = AxisArg;
type Keep = boolean | undefined;
const red = (kind: ReduceKind, x: TensorLike, axis: Axis, keepdims: Keep) => {
  const a = axisAndKeepdims(axis, keepdims, kind);
  return reduceOp(kind, v(x, kind), a.axis, a.keepdims);
};
const arg = (kind: ArgKind, x: TensorLike, axis: Axis, keepdims: Keep) => {
  const a = axisAndKeepdims(axis, keepdims, kind);
  return argReduce(kind, v(x, kind), a.axis, a.keepdims);
};

/** Reductions: (x, axis?, keepdims?) or (x, { axis, keepdims }); axis a number, a list, negative, or null for all. */
export const sum = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('sum', x, axis, keepdims);
/**
 * The mean over `axis` (a number, a list, or all axes when omitted or null); `keepdims` keeps the reduced axes with length 1.
 * @example T.mean(xent)  // a scalar cost
 */
export const mean = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('mean', x, axis, keepdims);
/**
 * The product over `axis` (a number, a list, or all axes when omitted or null); `keepdims` keeps the reduced axes with length 1.
 * @example T.prod(x, 0, true)
 */
export const prod = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('prod', x, axis, keepdims);
/**
 * The largest value over `axis` (a number, a list, or all axes when omitted or null); `keepdims` keeps the reduced axes with length 1.
 * @example T.max(z, 1, true)
 */
export const max = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('max', x, axis, keepdims);
/**
 * The smallest value over `axis` (a number, a list, or all axes when omitted or null); `keepdims` keeps the reduced axes with length 1.
 * @example T.min(x)
 */
export const min = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('min', x, axis, keepdims);
/**
 * Whether every element is true over `axis` (a number, a list, or all axes when omitted or null); `keepdims` keeps the reduced axes with length 1.
 * @example T.all(T.ge(x, 0))
 */
export const all = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('all', x, axis, keepdims);
/**
 * Whether some element is true over `axis` (a number, a list, or all axes when omitted or null); `keepdims` keeps the reduced axes with length 1.
 * @example T.any(T.lt(x, 0), 1)
 */
export const any = (x: TensorLike, axis?: Axis, keepdims?: Keep) => red('any', x, axis, keepdims);
/**
 * The index of the largest value along `axis` (all axes, flattened, when omitted), as int32.
 * @example T.argmax(p, 1)  // predicted class per row
 */
export const argmax = (x: TensorLike, axis?: Axis, keepdims?: Keep) => arg('argmax', x, axis, keepdims);
/**
 * The index of the smallest value along `axis` (all axes, flattened, when omitted), as int32.
 * @example T.argmin(dist, 1)
 */
export const argmin = (x: TensorLike, axis?: Axis, keepdims?: Keep) => arg('argmin', x, axis, keepdims);
/** Variance and standard deviation over axes (population, like numpy's default ddof=0). */
export const var_ = (x: TensorLike, axis?: Axis, keepdims?: Keep) => {
  const a = axisAndKeepdims(axis, keepdims, 'var');
  const xv = v(x, 'var');
  const d = ew('sub', [xv, reduceOp('mean', xv, a.axis, true)]);
  return reduceOp('mean', ew('sqr', [d]), a.axis, a.keepdims);
};
/**
 * The standard deviation over `axis`: the square root of {@link var_}.
 * @example T.std(x, 0, true)
 */
export const std = (x: TensorLike, axis?: Axis, keepdims?: Keep) => ew('sqrt', [var_(x, axis, keepdims)]);

/**
 * numpy.dot: the matrix product of vectors and matrices in every combination (vector·vector is
 * a scalar), run as BLAS gemm/gemv; with more dimensions, the sum over the last axis of `a` and
 * the second-to-last of `b` (its only axis for a vector), the result having a's other axes then
 * b's (a tensordot, so one matrix product too).
 * @example T.dot(x, w)  // (n, k)·(k,) → (n,)
 * @example T.dot(images, w)  // (b, r, k)·(k, m) → (b, r, m)
 */
export const dot = (a: TensorLike, b: TensorLike) => {
  const av = v(a, 'dot');
  const bv = v(b, 'dot');
  if (av.ndim > 0 && bv.ndim > 0 && (av.ndim > 2 || bv.ndim > 2)) return tensordot(av, bv, [[av.ndim - 1], [Math.max(bv.ndim - 2, 0)]]);
  return dotOp(av, bv);
};
/**
 * The outer product of two vectors: a matrix with `a[i] * b[j]`.
 * @example T.outer(u, v)
 */
export const outer = (a: TensorLike, b: TensorLike) => {
  const av = v(a, 'outer');
  const bv = v(b, 'outer');
  if (av.ndim !== 1 || bv.ndim !== 1) throw new Error(`outer: needs two vectors, got ${av.ndim}-d and ${bv.ndim}-d`);
  return ew('mul', [dimshuffleOp(av, [0, 'x']), dimshuffleOp(bv, ['x', 0])]);
};
/**
 * The axes reversed, or permuted as `axes` says (a view, no copy).
 * @example T.transpose(x)  // also x.T
 */
export const transpose = (x: TensorLike, axes?: number[]) => transposeOp(v(x, 'transpose'), axes);
/**
 * Theano's dimshuffle: reorder axes, insert broadcastable axes (`'x'`), drop broadcastable ones.
 * @example T.dimshuffle(b, 'x', 0)  // a row vector that broadcasts over rows
 */
export const dimshuffle = (x: TensorLike, ...pattern: Pattern | [Pattern]) => {
  const p = (pattern.length === 1 && Array.isArray(pattern[0]) ? pattern[0] : pattern) as Pattern;
  return dimshuffleOp(v(x, 'dimshuffle'), p);
};
/**
 * The same elements in a new shape; one entry may be -1, and entries may be symbolic.
 * @example T.reshape(x, [x.shape.get(0), -1])
 */
export const reshape = (x: TensorLike, shape: readonly (number | Variable)[]) => reshapeOp(v(x, 'reshape'), shape);
/**
 * Keep the first `ndim - 1` axes and merge the rest (default: one axis).
 * @example T.flatten(images, 2)  // (n, 28, 28) → (n, 784)
 */
export const flatten = (x: TensorLike, ndim = 1) => flattenOp(v(x, 'flatten'), ndim);
const oneAxis = (axis: Axis, ndim: number, where: string) => normalizeAxisArg(axis ?? 0, ndim, where, { allowList: false })![0];
/**
 * Join tensors along an existing axis.
 * @example T.concatenate([a, b], 1)
 */
export const concatenate = (xs: readonly TensorLike[], axis: Axis = 0) => {
  const vs = xs.map((x, i) => v(x, `concatenate input ${i}`));
  return concatOp(vs, oneAxis(axis, vs[0]?.ndim ?? 1, 'concatenate'));
};
/**
 * Join tensors of one shape along a new axis.
 * @example T.stack([x, y])  // shape (2, ...)
 */
export const stack = (xs: readonly TensorLike[], axis: Axis = 0) => {
  const vs = xs.map((x, i) => v(x, `stack input ${i}`));
  return stackOp(vs, oneAxis(axis, (vs[0]?.ndim ?? 0) + 1, 'stack'));
};
/**
 * The runtime shape of `x` as a symbolic int32 vector (also `x.shape`).
 * @example T.shape(x).get(0)  // the number of rows
 */
export const shape = (x: TensorLike) => shapeOp(v(x, 'shape'));
/**
 * Zeros of the shape (and, unless `dtype` is given, the dtype) of `x`.
 * @example T.zerosLike(w)
 */
export const zerosLike = (x: TensorLike, dtype?: DType) => {
  const xv = v(x, 'zerosLike');
  return ew('second', [xv, 0], dtype ?? xv.dtype);
};
/**
 * Ones of the shape (and, unless `dtype` is given, the dtype) of `x`.
 * @example T.onesLike(w)
 */
export const onesLike = (x: TensorLike, dtype?: DType) => {
  const xv = v(x, 'onesLike');
  return ew('second', [xv, 1], dtype ?? xv.dtype);
};
/**
 * numpy indexing: numbers, int Variables, {@link slice}s, or int vectors (advanced indexing); also `x.get(...)`.
 * @example T.get(logp, T.arange(n), y)  // logp[arange(n), y]
 */
export const get = (x: TensorLike, ...idx: IndexArg[]) => getOp(v(x, 'get'), ...idx);
/**
 * Theano's set_subtensor(x[idx], y): a copy of x with x[idx] replaced by y.
 * @example T.setSubtensor(x, [0], 0)  // x with its first row set to 0
 */
export const setSubtensor = (x: TensorLike, idx: readonly IndexArg[], y: TensorLike) => indexUpdate(v(x, 'setSubtensor'), idx, v(y, 'setSubtensor'), 'set');
/**
 * Theano's inc_subtensor(x[idx], y): a copy of x with y added at x[idx] (repeated indices add up).
 * @example T.incSubtensor(counts, [labels], 1)  // a histogram of labels
 */
export const incSubtensor = (x: TensorLike, idx: readonly IndexArg[], y: TensorLike) => indexUpdate(v(x, 'incSubtensor'), idx, v(y, 'incSubtensor'), 'inc');

/** Running sums and products along an axis; axis null (the default) runs over the flattened array. */
export const cumsum = (x: TensorLike, axis: Axis = null) => cumulative('sum', v(x, 'cumsum'), axis);
export const cumprod = (x: TensorLike, axis: Axis = null) => cumulative('prod', v(x, 'cumprod'), axis);
/** Sorted along axis (default -1; null sorts the flattened array); stable, NaN last. */
export const sort = (x: TensorLike, axis: Axis = -1) => sortOp('values', v(x, 'sort'), axis);
/** The int32 indices that sort x along axis (default -1), stable, NaN last. */
export const argsort = (x: TensorLike, axis: Axis = -1) => sortOp('indices', v(x, 'argsort'), axis);

/** Theano's T.alloc(value, ...shape): value broadcast to the shape; sizes are numbers or int scalars. */
export const alloc = (value: TensorLike, ...shape: (number | Variable)[]) => allocOp(value, shape);
/** zeros(shape, dtype = floatX): shape an array of sizes (numbers or int scalars), x.shape, or a number. */
export const zeros = (shape: ShapeArg, dtype: DTypeName = config.floatX) => allocOp(0, shape, storageDType(dtype, 'zeros'));
export const ones = (shape: ShapeArg, dtype: DTypeName = config.floatX) => allocOp(1, shape, storageDType(dtype, 'ones'));
/** Theano's T.fill(model, value): value broadcast to the shape of model, with value's dtype. */
export const fill = (model: TensorLike, value: TensorLike) => ew('second', [v(model, 'fill'), v(value, 'fill')]);
/** The n x m identity (m defaults to n) with its diagonal moved by k; sizes may be int scalars. */
export const eye = (n: number | Variable, m: number | Variable | null = null, k: number | Variable = 0, dtype: DTypeName = config.floatX) =>
  eyeOp(n, m, k, storageDType(dtype, 'eye'));
/** Theano's shape_padleft / shape_padright: n broadcastable length-1 axes added on that side. */
export const shapePadleft = (x: TensorLike, n = 1) => {
  const xv = v(x, 'shapePadleft');
  return dimshuffleOp(xv, [...Array<'x'>(n).fill('x'), ...xv.broadcastable.map((_, i) => i)]);
};
export const shapePadright = (x: TensorLike, n = 1) => {
  const xv = v(x, 'shapePadright');
  return dimshuffleOp(xv, [...xv.broadcastable.map((_, i) => i), ...Array<'x'>(n).fill('x')]);
};
