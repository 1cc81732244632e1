/** T.nnet: neural-network helpers, composed from primitives so that rewrites can stabilise and fuse them. */
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { softmax as softmaxOp, logSoftmax as logSoftmaxOp } from '../ops/softmax.js';
import { reduce } from '../ops/reduce.js';
import { get } from '../ops/index.js';
import { arange } from '../ops/arange.js';
import { shapeOf } from '../ops/reshape.js';
import { isDiscrete } from '../ndarray/dtype.js';
import { conv2d as conv2dOp, Conv2dOptions } from '../ops/conv.js';

export const sigmoid = (x: TensorLike) => ew('sigmoid', [x]);
export const softplus = (x: TensorLike) => ew('softplus', [x]);
export const relu = (x: TensorLike) => ew('relu', [x]);
export const softmax = (x: TensorLike) => softmaxOp(asVariable(x, 'softmax'));
export const logSoftmax = (x: TensorLike) => logSoftmaxOp(asVariable(x, 'logSoftmax'));
/** Theano's conv2d: input (batch, channels, rows, cols), filters (outChannels, channels, fRows, fCols). */
export const conv2d = (input: TensorLike, filters: TensorLike, opts?: Conv2dOptions) => conv2dOp(asVariable(input, 'conv2d input'), asVariable(filters, 'conv2d filters'), opts);
export type { Conv2dOptions };
export * as bn from './bn.js';

/** Elementwise -(t log p + (1 - t) log(1 - p)); stable when p is a sigmoid. */
export function binaryCrossentropy(output: TensorLike, target: TensorLike) {
  const p = asVariable(output, 'binaryCrossentropy');
  const t = asVariable(target, 'binaryCrossentropy');
  return ew('neg', [ew('add', [ew('mul', [t, ew('log', [p])]), ew('mul', [ew('sub', [1, t]), ew('log', [ew('sub', [1, p])])])])]);
}

/**
 * Cross-entropy of each row of `codingDist` (probabilities, e.g. a softmax) against `trueDist`:
 * integer class labels (a vector) or one distribution per row (a matrix). Stable for softmax input.
 */
export function categoricalCrossentropy(codingDist: TensorLike, trueDist: TensorLike) {
  const p = asVariable(codingDist, 'categoricalCrossentropy');
  const t = asVariable(trueDist, 'categoricalCrossentropy');
  if (p.ndim !== 2) throw new Error(`categoricalCrossentropy: codingDist must be a matrix (rows of probabilities), got ${p.ndim}-d`);
  if (isDiscrete(t.dtype) && t.ndim === 1) {
    return ew('neg', [ew('log', [get(p, arange(shapeOf(p, 0)), t)])]);
  }
  if (t.ndim !== 2) throw new Error(`categoricalCrossentropy: trueDist must be an int vector of labels or a matrix, got ${t.type.describe()}`);
  return ew('neg', [reduce('sum', ew('mul', [t, ew('log', [p])]), 1)]);
}
