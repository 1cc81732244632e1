/**
 * Optimizers as update builders: each returns [sharedVariable, newValue] pairs for fn's
 * `updates`, with its state (velocities, moment estimates, step count) in shared variables.
 * The formulas follow PyTorch's optimizers, so results can be compared step for step.
 * @module
 */
import { SharedVariable, Variable } from './graph/variable.js';
import { grad } from './grad.js';
import { shared } from './shared.js';
import { zeros } from './ndarray/ndarray.js';
import { applyElemwise as ew } from './ops/elemwise.js';
import type { TensorLike } from './graph/as_variable.js';

/** Update pairs for `fn`'s `updates` option: each shared variable and its new value. */
export type UpdatePairs = [SharedVariable, Variable][];
/** A scalar cost (differentiated here) or the gradients, one per parameter. */
export type CostOrGrads = Variable | readonly Variable[];

function gradients(costOrGrads: CostOrGrads, params: readonly SharedVariable[], where: string): Variable[] {
  if (params.length === 0) throw new Error(`${where}: no parameters given`);
  params.forEach((p, i) => {
    if (!(p instanceof SharedVariable)) throw new TypeError(`${where}: params[${i}] must be a shared variable`);
  });
  if (costOrGrads instanceof Variable) return grad(costOrGrads, [...params]);
  if (costOrGrads.length !== params.length) throw new Error(`${where}: ${costOrGrads.length} gradients for ${params.length} parameters`);
  return [...costOrGrads];
}

function stateLike(p: SharedVariable, what: string): SharedVariable {
  return shared(zeros(p.container.value.shape, p.dtype), `${p.name ?? 'param'}.${what}`, { dtype: p.dtype, broadcastable: [...p.broadcastable] });
}

/** Gradient plus L2 weight decay, as PyTorch's weight_decay. */
function decayed(g: Variable, p: SharedVariable, weightDecay: number): Variable {
  return weightDecay ? ew('add', [g, ew('mul', [p, weightDecay])]) : g;
}

/** Options of {@link sgd}: the learning rate (default 0.01) and weight decay. */
export interface SgdOptions {
  learningRate?: TensorLike;
  weightDecay?: number;
}

/**
 * p ← p − lr·g
 * @example const train = fn([x, y], cost, { updates: updates.sgd(cost, [W, b], { learningRate: 0.1 }) });
 */
export function sgd(costOrGrads: CostOrGrads, params: readonly SharedVariable[], opts: SgdOptions = {}): UpdatePairs {
  const lr = opts.learningRate ?? 0.01;
  const gs = gradients(costOrGrads, params, 'updates.sgd');
  return params.map((p, i) => [p, ew('sub', [p, ew('mul', [decayed(gs[i], p, opts.weightDecay ?? 0), lr])])]);
}

/** Options of {@link momentum}: the momentum coefficient (default 0.9) and Nesterov's variant. */
export interface MomentumOptions extends SgdOptions {
  momentum?: number;
  nesterov?: boolean;
}

/**
 * v ← μ·v + g; p ← p − lr·v (or p − lr·(g + μ·v) with Nesterov), as torch.optim.SGD.
 * @example const pairs = updates.momentum(cost, [W, b], { learningRate: 0.01, momentum: 0.9, nesterov: true });
 */
export function momentum(costOrGrads: CostOrGrads, params: readonly SharedVariable[], opts: MomentumOptions = {}): UpdatePairs {
  const lr = opts.learningRate ?? 0.01;
  const mu = opts.momentum ?? 0.9;
  const gs = gradients(costOrGrads, params, 'updates.momentum');
  const out: UpdatePairs = [];
  params.forEach((p, i) => {
    const g = decayed(gs[i], p, opts.weightDecay ?? 0);
    const v = stateLike(p, 'velocity');
    const vNew = ew('add', [ew('mul', [v, mu]), g]);
    const step = opts.nesterov ? ew('add', [g, ew('mul', [vNew, mu])]) : vNew;
    out.push([v, vNew], [p, ew('sub', [p, ew('mul', [step, lr])])]);
  });
  return out;
}

/** Options of {@link adam}: the learning rate and the moment decay rates, as `torch.optim.Adam`. */
export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba) with bias correction, as torch.optim.Adam.
 * @example const train = fn([x, y], cost, { updates: updates.adam(cost, [W, b], { learningRate: 1e-3 }) });
 */
export function adam(costOrGrads: CostOrGrads, params: readonly SharedVariable[], opts: AdamOptions = {}): UpdatePairs {
  const lr = opts.learningRate ?? 0.001;
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.epsilon ?? 1e-8;
  const gs = gradients(costOrGrads, params, 'updates.adam');
  // The step count in float64 so that beta^t stays accurate for float32 parameters too.
  const t = shared(0, 'adam.t', { dtype: 'float64' });
  const tNew = ew('add', [t, 1]);
  const out: UpdatePairs = [[t, tNew]];
  params.forEach((p, i) => {
    const g = decayed(gs[i], p, opts.weightDecay ?? 0);
    const m = stateLike(p, 'm');
    const v = stateLike(p, 'v');
    const mNew = ew('add', [ew('mul', [m, b1]), ew('mul', [g, 1 - b1])]);
    const vNew = ew('add', [ew('mul', [v, b2]), ew('mul', [ew('sqr', [g]), 1 - b2])]);
    const c1 = ew('sub', [1, ew('pow', [b1, tNew])]);
    const c2 = ew('sub', [1, ew('pow', [b2, tNew])]);
    const stepSize = ew('cast', [ew('div', [lr, c1])], p.dtype);
    const denom = ew('add', [ew('div', [ew('sqrt', [vNew]), ew('cast', [ew('sqrt', [c2])], p.dtype)]), eps]);
    out.push([m, mNew], [v, vNew], [p, ew('sub', [p, ew('mul', [stepSize, ew('div', [mNew, denom])])])]);
  });
  return out;
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions {
  learningRate?: number;
  alpha?: number;
  epsilon?: number;
  weightDecay?: number;
}

/**
 * v ← α·v + (1−α)·g²; p ← p − lr·g / (√v + ε), as torch.optim.RMSprop.
 * @example const pairs = updates.rmsprop(cost, [W, b], { learningRate: 1e-3 });
 */
export function rmsprop(costOrGrads: CostOrGrads, params: readonly SharedVariable[], opts: RmspropOptions = {}): UpdatePairs {
  const lr = opts.learningRate ?? 0.01;
  const alpha = opts.alpha ?? 0.99;
  const eps = opts.epsilon ?? 1e-8;
  const gs = gradients(costOrGrads, params, 'updates.rmsprop');
  const out: UpdatePairs = [];
  params.forEach((p, i) => {
    const g = decayed(gs[i], p, opts.weightDecay ?? 0);
    const v = stateLike(p, 'square_avg');
    const vNew = ew('add', [ew('mul', [v, alpha]), ew('mul', [ew('sqr', [g]), 1 - alpha])]);
    out.push([v, vNew], [p, ew('sub', [p, ew('mul', [ew('div', [g, ew('add', [ew('sqrt', [vNew]), eps])]), lr])])]);
  });
  return out;
}
