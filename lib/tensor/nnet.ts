/**
 * T.nnet: neural-network helpers, composed from primitives so that rewrites can stabilise and fuse them.
 * @module
 */
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { softmax as softmaxOp, logSoftmax as logSoftmaxOp } from '../ops/softmax.js';
import { reduce } from '../ops/reduce.js';
import { get } from '../ops/index.js';
import { arange } from '../ops/arange.js';
import { shapeOf } from '../ops/reshape.js';
import { isDiscrete } from '../ndarray/dtype.js';
import { conv2d as conv2dOp, Conv2dOptions } from '../ops/conv.js';

/**
 * The logistic function `1 / (1 + exp(-x))`, elementwise.
 * @example const p = T.nnet.sigmoid(T.dot(x, w).add(b));
 */
export const sigmoid = (x: TensorLike) => ew('sigmoid', [x]);
/**
 * `log(1 + exp(x))` elementwise, without overflow.
 * @example T.nnet.softplus(z)
 */
export const softplus = (x: TensorLike) => ew('softplus', [x]);
/**
 * `max(x, 0)` elementwise.
 * @example const h = T.nnet.relu(T.dot(x, W).add(b));
 */
export const relu = (x: TensorLike) => ew('relu', [x]);
/**
 * The softmax of each row of a matrix (of a vector), computed stably.
 * @example const p = T.nnet.softmax(T.dot(x, W).add(b));
 */
export const softmax = (x: TensorLike) => softmaxOp(asVariable(x, 'softmax'));
/**
 * The log of the softmax of each row, computed without forming the softmax.
 * @example const cost = T.nnet.logSoftmax(z).get(T.arange(n), y).mean().neg();
 */
export const logSoftmax = (x: TensorLike) => logSoftmaxOp(asVariable(x, 'logSoftmax'));
/** Theano's conv2d: input (batch, channels, rows, cols), filters (outChannels, channels, fRows, fCols). */
export const conv2d = (input: TensorLike, filters: TensorLike, opts?: Conv2dOptions) => conv2dOp(asVariable(input, 'conv2d input'), asVariable(filters, 'conv2d filters'), opts);
export type { Conv2dOptions };
export * as bn from './bn.js';

/**
 * Elementwise -(t log p + (1 - t) log(1 - p)); stable when p is a sigmoid.
 * @example const cost = T.nnet.binaryCrossentropy(T.nnet.sigmoid(x.dot(w).add(b)), y).mean();
 */
export function binaryCrossentropy(output: TensorLike, target: TensorLike) {
  const p = asVariable(output, 'binaryCrossentropy');
  const t = asVariable(target, 'binaryCrossentropy');
  return ew('neg', [ew('add', [ew('mul', [t, ew('log', [p])]), ew('mul', [ew('sub', [1, t]), ew('log', [ew('sub', [1, p])])])])]);
}

/**
 * Cross-entropy of each row of `codingDist` (probabilities, e.g. a softmax) against `trueDist`:
 * integer class labels (a vector) or one distribution per row (a matrix). Stable for softmax input.
  * @example const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W).add(b)), labels).mean();
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
