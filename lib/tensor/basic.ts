/** The tensor API (theano.tensor): functions over TensorLike arguments, built from lib/ops. */
import type { Variable } from '../graph/variable.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { reduce as reduceOp, argReduce } from '../ops/reduce.js';
import { dot as dotOp } from '../ops/dot.js';
import { dimshuffle as dimshuffleOp, transpose as transposeOp, Pattern } from '../ops/dimshuffle.js';
import { reshape as reshapeOp, flatten as flattenOp, shape as shapeOp } from '../ops/reshape.js';
import { concatenate as concatOp, stack as stackOp } from '../ops/join.js';
import { get as getOp, indexUpdate, IndexArg } from '../ops/index.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import type { DType } from '../ndarray/dtype.js';

const v = (x: TensorLike, where: string) => asVariable(x, where);
/** An axis, several axes, or `null` for all of them (negative numbers count from the end). */
export type Axis = number | readonly number[] | null;

export const sum = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('sum', v(x, 'sum'), axis, keepdims);
export const mean = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('mean', v(x, 'mean'), axis, keepdims);
export const prod = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('prod', v(x, 'prod'), axis, keepdims);
export const max = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('max', v(x, 'max'), axis, keepdims);
export const min = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('min', v(x, 'min'), axis, keepdims);
export const all = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('all', v(x, 'all'), axis, keepdims);
export const any = (x: TensorLike, axis?: Axis, keepdims = false) => reduceOp('any', v(x, 'any'), axis, keepdims);
export const argmax = (x: TensorLike, axis?: number | null, keepdims = false) => argReduce('argmax', v(x, 'argmax'), axis, keepdims);
export const argmin = (x: TensorLike, axis?: number | null, keepdims = false) => argReduce('argmin', v(x, 'argmin'), axis, keepdims);
/** Variance and standard deviation over axes (population, like numpy's default ddof=0). */
export const var_ = (x: TensorLike, axis?: Axis, keepdims = false) => {
  const xv = v(x, 'var');
  const d = ew('sub', [xv, reduceOp('mean', xv, axis, true)]);
  return reduceOp('mean', ew('sqr', [d]), axis, keepdims);
};
export const std = (x: TensorLike, axis?: Axis, keepdims = false) => ew('sqrt', [var_(x, axis, keepdims)]);

export const dot = (a: TensorLike, b: TensorLike) => dotOp(v(a, 'dot'), v(b, 'dot'));
export const outer = (a: TensorLike, b: TensorLike) => {
  const av = v(a, 'outer');
  const bv = v(b, 'outer');
  if (av.ndim !== 1 || bv.ndim !== 1) throw new Error(`outer: needs two vectors, got ${av.ndim}-d and ${bv.ndim}-d`);
  return ew('mul', [dimshuffleOp(av, [0, 'x']), dimshuffleOp(bv, ['x', 0])]);
};
export const transpose = (x: TensorLike, axes?: number[]) => transposeOp(v(x, 'transpose'), axes);
export const dimshuffle = (x: TensorLike, ...pattern: Pattern | [Pattern]) => {
  const p = (pattern.length === 1 && Array.isArray(pattern[0]) ? pattern[0] : pattern) as Pattern;
  return dimshuffleOp(v(x, 'dimshuffle'), p);
};
export const reshape = (x: TensorLike, shape: readonly (number | Variable)[]) => reshapeOp(v(x, 'reshape'), shape);
export const flatten = (x: TensorLike, ndim = 1) => flattenOp(v(x, 'flatten'), ndim);
export const concatenate = (xs: readonly TensorLike[], axis = 0) => concatOp(xs.map((x, i) => v(x, `concatenate input ${i}`)), axis);
export const stack = (xs: readonly TensorLike[], axis = 0) => stackOp(xs.map((x, i) => v(x, `stack input ${i}`)), axis);
export const shape = (x: TensorLike) => shapeOp(v(x, 'shape'));
export const zerosLike = (x: TensorLike, dtype?: DType) => {
  const xv = v(x, 'zerosLike');
  return ew('second', [xv, 0], dtype ?? xv.dtype);
};
export const onesLike = (x: TensorLike, dtype?: DType) => {
  const xv = v(x, 'onesLike');
  return ew('second', [xv, 1], dtype ?? xv.dtype);
};
export const get = (x: TensorLike, ...idx: IndexArg[]) => getOp(v(x, 'get'), ...idx);
/** Theano's set_subtensor(x[idx], y): a copy of x with x[idx] replaced by y. */
export const setSubtensor = (x: TensorLike, idx: readonly IndexArg[], y: TensorLike) => indexUpdate(v(x, 'setSubtensor'), idx, v(y, 'setSubtensor'), 'set');
/** Theano's inc_subtensor(x[idx], y): a copy of x with y added at x[idx] (repeated indices add up). */
export const incSubtensor = (x: TensorLike, idx: readonly IndexArg[], y: TensorLike) => indexUpdate(v(x, 'incSubtensor'), idx, v(y, 'incSubtensor'), 'inc');
