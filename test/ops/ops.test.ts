/**
 * Every op against PyTorch (fixtures from gen_ops.py): forward values, and gradients of
 * sum(out * R); and every differentiable op against finite differences with verifyGrad.
 */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/ops.json';
import { T, fn, grad, gradient, NDArray } from 'theanode';
import type { Variable } from 'theanode';

type Case = { inputs: { shape: number[]; data: number[] }[]; out: { shape: number[]; data: number[] }; r: number[]; grads: (number[] | null)[] };
type V = Variable;

const ops: Record<string, (...xs: V[]) => V> = {
  neg: (a) => T.neg(a),
  exp: (a) => T.exp(a),
  log: (a) => T.log(a),
  log1p: (a) => T.log1p(a),
  expm1: (a) => T.expm1(a),
  sqrt: (a) => T.sqrt(a),
  sqr: (a) => T.sqr(a),
  abs: (a) => T.abs(a),
  sign: (a) => T.sign(a),
  tanh: (a) => T.tanh(a),
  sigmoid: (a) => T.sigmoid(a),
  softplus: (a) => T.softplus(a),
  relu: (a) => T.relu(a),
  floor: (a) => T.floor(a),
  ceil: (a) => T.ceil(a),
  round: (a) => T.round(a),
  add_vec: (a, b) => T.add(a, b),
  sub_col: (a, b) => T.sub(a, b),
  mul_scalar: (a, s) => T.mul(a, s),
  div: (a, b) => T.div(a, b),
  pow: (a, b) => T.pow(a, b),
  maximum: (a, b) => T.maximum(a, b),
  minimum: (a, b) => T.minimum(a, b),
  clip: (a) => T.clip(a, -0.5, 0.5),
  switch: (a, b) => T.switch(T.gt(a, 0), a, b),
  gt: (a, b) => T.gt(a, b),
  le: (a, b) => T.le(a, b),
  eq: (a, b) => T.eq(a, b),
  sum_all: (a) => a.sum(),
  sum_0: (a) => a.sum(0),
  sum_1_keep: (a) => a.sum(1, true),
  sum_02: (a) => a.sum([0, 2]),
  mean_neg1: (a) => a.mean(-1),
  prod_1: (a) => a.prod(1),
  prod_zero: (a) => a.prod(1),
  max_0: (a) => a.max(0),
  min_all: (a) => a.min(),
  argmax_1: (a) => a.argmax(1),
  argmin_0: (a) => a.argmin(0),
  var_1: (a) => a.var(1),
  dot_vv: (a, b) => T.dot(a, b),
  dot_mv: (a, b) => T.dot(a, b),
  dot_vm: (a, b) => T.dot(a, b),
  dot_mm: (a, b) => T.dot(a, b),
  dot_tm: (a, b) => T.dot(a.T, b),
  dot_mt: (a, b) => T.dot(a, b.T),
  outer: (a, b) => T.outer(a, b),
  transpose: (a) => a.transpose(2, 1, 0),
  reshape: (a) => a.reshape([6, 4]),
  flatten: (a) => a.flatten(),
  dimshuffle: (a) => a.dimshuffle(1, 'x', 0),
  concatenate: (a, b) => T.concatenate([a, b], 1),
  stack: (a, b) => T.stack([a, b], 1),
  index_int: (a) => a.get(1),
  index_neg: (a) => a.get(-1, 2),
  index_slice: (a) => a.get(T.slice(1, 3), T.slice(null, null, 2)),
  index_rev: (a) => a.get(T.slice(null, null, -1), T.slice(1)),
  index_vec: (a) => a.get([0, 2, 2]),
  index_pairs: (a) => a.get([0, 1, 2], [1, 0, 3]),
  index_cols: (a) => a.get(T.slice(), [3, 0]),
  set_sub: (a, b) => T.setSubtensor(a, [1], b),
  inc_sub: (a, v) => T.incSubtensor(a, [[0, 2, 0], [1, 1, 1]], v),
  softmax: (a) => T.nnet.softmax(a),
  log_softmax: (a) => T.nnet.logSoftmax(a),
  bce: (a, y) => T.nnet.binaryCrossentropy(T.nnet.sigmoid(a), y),
  cce_labels: (a) => T.nnet.categoricalCrossentropy(T.nnet.softmax(a), [1, 3, 0]),
  cce_onehot: (a, y) => T.nnet.categoricalCrossentropy(T.nnet.softmax(a), y),
};

/** Piecewise-constant or not differentiable: no finite-difference check. */
const NO_FD = new Set(['sign', 'floor', 'ceil', 'round', 'gt', 'le', 'eq', 'argmax_1', 'argmin_0']);

const cases = fixture as unknown as Record<string, Case>;
const toArray = (x: { shape: number[]; data: number[] }) => new NDArray(Float64Array.from(x.data), x.shape);
const inputVars = (c: Case) => c.inputs.map((x, i) => T.tensor('float64', x.shape.map((d) => d === 1), `x${i}`));

function expectClose(actual: ArrayLike<number>, expected: number[], label: string, tol = 1e-10) {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    expect(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${label}[${i}]: ${a} vs ${e}`).toBe(true);
  }
}

describe('ops against PyTorch', () => {
  it('covers every case in the fixture', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(ops).sort());
  });

  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const xs = inputVars(c);
      const out = ops[name](...xs);
      const args = c.inputs.map(toArray);
      const value = fn(xs, out, { backend: 'js' })(...args);
      expect(value.shape).toEqual(c.out.shape);
      expectClose(value.data, c.out.data, `${name} value`);
      if (c.grads.every((g) => g === null)) return;
      const cost = out.mul(new NDArray(Float64Array.from(c.r), c.out.shape)).sum();
      const gs = grad(cost, xs, { disconnectedInputs: 'ignore' });
      const got = fn(xs, gs, { backend: 'js' })(...args);
      c.grads.forEach((g, i) => {
        if (g) expectClose(got[i].data, g, `${name} grad ${i}`);
      });
    });
  }
});

describe('gradients against finite differences (verifyGrad)', () => {
  for (const [name, c] of Object.entries(cases)) {
    if (NO_FD.has(name)) continue;
    it(name, () => {
      expect(() => gradient.verifyGrad((...xs) => ops[name](...xs), c.inputs.map(toArray))).not.toThrow();
    });
  }

  it('reports a wrong gradient', () => {
    // round has a zero gradient, but its finite differences across a jump are not zero.
    expect(() => gradient.verifyGrad((a) => T.round(a), [new NDArray(Float64Array.from([0.5]), [1])], { eps: 1e-3 })).toThrow(/verifyGrad: gradient of input 0 at flat index 0: symbolic 0, finite differences [1-9]\d*\.\d+/);
  });
});
