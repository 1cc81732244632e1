/**
 * T.nnet.bn: batch normalization as in Theano 1.0 (theano.tensor.nnet.bn), composed from
 * reductions and elementwise ops (which the rewrites fuse), so gradients come from the graph.
 * Running averages are plain values returned for `updates`: pass shared variables as
 * runningMean / runningVar and update them with the returned new values.
 */
import type { Variable } from '../graph/variable.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { reduce } from '../ops/reduce.js';
import { dimshuffle, Pattern } from '../ops/dimshuffle.js';
import { shapeOf } from '../ops/reshape.js';

export type BnAxes = 'per-activation' | 'spatial' | readonly number[];

function normalizationAxes(axes: BnAxes, ndim: number): number[] {
  let list: number[];
  if (axes === 'per-activation') list = [0];
  else if (axes === 'spatial') list = [0, ...Array.from({ length: Math.max(0, ndim - 2) }, (_, i) => i + 2)];
  else if (Array.isArray(axes)) list = [...axes].sort((x, y) => x - y);
  else throw new Error(`batchNormalization: axes must be 'per-activation', 'spatial' or a list of axes, got ${JSON.stringify(axes)}`);
  if (list.length === 0) throw new Error('batchNormalization: there must be at least one normalization axis');
  if (list.some((a) => !Number.isInteger(a) || a < 0 || a >= ndim) || new Set(list).size !== list.length) throw new Error(`batchNormalization: axes ${JSON.stringify(list)} do not fit a ${ndim}-d input`);
  return list;
}

/** Parameters given without the normalized axes get them back as broadcastable axes. */
function paramLayout(ndim: number, axes: number[]) {
  const kept = Array.from({ length: ndim }, (_, i) => i).filter((i) => !axes.includes(i));
  const pattern: Pattern = Array.from({ length: ndim }, (_, i) => (axes.includes(i) ? 'x' : kept.indexOf(i)));
  return {
    paramsNdim: (p: Variable) => (p.ndim === ndim ? ndim : kept.length),
    expand: (p: Variable, name: string, short: boolean) => {
      if (p.ndim !== (short ? kept.length : ndim)) throw new Error(`batchNormalization: ${name} must have ${kept.length} dimensions (the axes not normalized) or ${ndim} (the input's), like gamma; got ${p.ndim}`);
      return short ? dimshuffle(p, pattern) : p;
    },
    shrink: (v: Variable, short: boolean) => (short ? dimshuffle(v, kept) : v),
  };
}

function checkEpsilon(epsilon: number): void {
  if (!(epsilon >= 1e-5)) throw new Error(`batchNormalization: epsilon must be at least 1e-5, got ${epsilon}`);
}

export interface BnTrainOptions {
  axes?: BnAxes;
  epsilon?: number;
  runningAverageFactor?: number;
  runningMean?: TensorLike;
  runningVar?: TensorLike;
}

/**
 * Theano's batch_normalization_train: [out, mean, invstd] and, when runningMean and runningVar
 * are given, [..., newRunningMean, newRunningVar] (the variance average is unbiased: m / (m - 1)).
 */
export function batchNormalizationTrain(inputs: TensorLike, gamma: TensorLike, beta: TensorLike, opts: BnTrainOptions = {}): Variable[] {
  const x = asVariable(inputs, 'batchNormalizationTrain');
  const axes = normalizationAxes(opts.axes ?? 'per-activation', x.ndim);
  const epsilon = opts.epsilon ?? 1e-4;
  checkEpsilon(epsilon);
  const factor = opts.runningAverageFactor ?? 0.1;
  if ((opts.runningMean === undefined) !== (opts.runningVar === undefined)) throw new Error('batchNormalizationTrain: runningMean and runningVar must be given together');
  const g0 = asVariable(gamma, 'batchNormalizationTrain gamma');
  const layout = paramLayout(x.ndim, axes);
  const short = layout.paramsNdim(g0) !== x.ndim;
  const g = layout.expand(g0, 'gamma', short);
  const b = layout.expand(asVariable(beta, 'batchNormalizationTrain beta'), 'beta', short);
  const mean = reduce('mean', x, axes, true);
  const centered = ew('sub', [x, mean]);
  const variance = reduce('mean', ew('sqr', [centered]), axes, true);
  const invstd = ew('div', [1, ew('sqrt', [ew('add', [variance, epsilon])])]);
  const out = ew('add', [ew('mul', [ew('mul', [centered, g]), invstd]), b]);
  const results = [out, layout.shrink(mean, short), layout.shrink(invstd, short)];
  if (opts.runningMean !== undefined) {
    const rm = layout.expand(asVariable(opts.runningMean, 'runningMean'), 'runningMean', short);
    const rv = layout.expand(asVariable(opts.runningVar!, 'runningVar'), 'runningVar', short);
    // m: the number of values averaged, as a float (from the shapes, known when the plan is made).
    const m = ew('cast', [axes.reduce<Variable | number>((acc, a) => (acc === 1 ? shapeOf(x, a) : ew('mul', [acc, shapeOf(x, a)])), 1)], x.dtype);
    const newMean = ew('add', [ew('mul', [rm, 1 - factor]), ew('mul', [mean, factor])]);
    const unbiased = ew('mul', [variance, ew('div', [m, ew('sub', [m, 1])])]);
    const newVar = ew('add', [ew('mul', [rv, 1 - factor]), ew('mul', [unbiased, factor])]);
    results.push(layout.shrink(newMean, short), layout.shrink(newVar, short));
  }
  return results;
}

/** Theano's batch_normalization_test: (x - mean) · gamma / sqrt(var + epsilon) + beta with given statistics. */
export function batchNormalizationTest(inputs: TensorLike, gamma: TensorLike, beta: TensorLike, mean: TensorLike, variance: TensorLike, opts: { axes?: BnAxes; epsilon?: number } = {}): Variable {
  const x = asVariable(inputs, 'batchNormalizationTest');
  const axes = normalizationAxes(opts.axes ?? 'per-activation', x.ndim);
  const epsilon = opts.epsilon ?? 1e-4;
  checkEpsilon(epsilon);
  const g0 = asVariable(gamma, 'batchNormalizationTest gamma');
  const layout = paramLayout(x.ndim, axes);
  const short = layout.paramsNdim(g0) !== x.ndim;
  const [g, b, mu, v] = [g0, asVariable(beta, 'beta'), asVariable(mean, 'mean'), asVariable(variance, 'var')].map((p, i) => layout.expand(p, ['gamma', 'beta', 'mean', 'var'][i], short));
  return ew('add', [ew('div', [ew('mul', [ew('sub', [x, mu]), g]), ew('sqrt', [ew('add', [v, epsilon])])]), b]);
}
