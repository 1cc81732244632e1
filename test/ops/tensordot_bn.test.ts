/**
 * tensordot, batchedDot, T.dot beyond matrices and T.nnet.bn against numpy/PyTorch fixtures (gen_tensordot_bn.py):
 * values and gradients on both backends, finite differences, running averages as updates of
 * shared variables, errors.
 */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/tensordot_bn.json';
import { T, fn, grad, gradient, shared, NDArray } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { expectClose } from './close.js';
import type { Arr } from './close.js';

type ProductCase = { inputs: Arr[]; out: Arr; r: Arr; grads: Arr[]; axes?: number | [number[], number[]] };
type BnCase = Record<'x' | 'gamma' | 'beta' | 'runningMean' | 'runningVar' | 'out' | 'mean' | 'invstd' | 'newRunningMean' | 'newRunningVar' | 'testOut' | 'r', Arr> & { axes: number[]; grads: Arr[] };
const fx = fixture as unknown as { tensordot: Record<string, ProductCase>; batchedDot: Record<string, ProductCase>; dot: Record<string, ProductCase>; bn: Record<string, BnCase> };
const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
const toArray = (a: Arr) => new NDArray(Float64Array.from(a.data), a.shape);
const vars = (arrs: Arr[]) => arrs.map((a, i) => T.tensor('float64', a.shape.map(() => false), `x${i}`));

function checkProduct(name: string, c: ProductCase, build: (a: Variable, b: Variable) => Variable) {
  for (const backend of backends) {
    it(`${name} (${backend})`, () => {
      const xs = vars(c.inputs);
      const out = build(xs[0], xs[1]);
      const gs = grad(out.mul(toArray(c.r)).sum(), xs);
      const [o, ...g] = fn(xs, [out, ...gs], { backend })(...c.inputs.map(toArray));
      expectClose(o, c.out, `${name} value`, 1e-12);
      g.forEach((gi, i) => expectClose(gi, c.grads[i], `${name} gradient ${i}`, 1e-12));
    });
  }
}

describe('tensordot', () => {
  for (const [name, c] of Object.entries(fx.tensordot)) checkProduct(name, c, (a, b) => T.tensordot(a, b, c.axes as never));
  it('finite differences', () => {
    const c = fx.tensordot.lists;
    gradient.verifyGrad((a, b) => T.tensordot(a, b, [[0, 2], [1, 0]]), c.inputs.map(toArray));
  });
  it('errors name the axes', () => {
    expect(() => T.tensordot(T.matrix('a'), T.matrix('b'), [[0, 2], [1, 0]])).toThrow(/axes \[0,2\] are out of range for the 2-d first operand/);
    expect(() => T.tensordot(T.matrix('a'), T.matrix('b'), 3)).toThrow(/cannot sum over 3 axes/);
  });
});

describe('batchedDot', () => {
  for (const [name, c] of Object.entries(fx.batchedDot)) checkProduct(name, c, (a, b) => T.batchedDot(a, b));
  it('finite differences, and a clear error for other ranks', () => {
    gradient.verifyGrad((a, b) => T.batchedDot(a, b), fx.batchedDot.mat_mat.inputs.map(toArray));
    expect(() => T.batchedDot(T.vector('a'), T.matrix('b'))).toThrow(/batchedDot: operands must be 2-d or 3-d/);
  });
});

describe('T.dot with more than two dimensions (numpy.dot)', () => {
  for (const [name, c] of Object.entries(fx.dot)) checkProduct(name, c, (a, b) => T.dot(a, b));
  it('the fluent form, finite differences, and the shapes numpy gives', () => {
    const c = fx.dot.t3_t3;
    const [a, b] = vars(c.inputs);
    expect(a.dot(b).ndim).toBe(4);
    expectClose(fn([a, b], a.dot(b))(...c.inputs.map(toArray)), c.out, 'fluent', 1e-12);
    gradient.verifyGrad((x, y) => T.dot(x, y), fx.dot.vec_t3.inputs.map(toArray));
    // A scalar still multiplies elementwise; vectors and matrices still take the gemm/gemv path.
    expect(T.dot(T.scalar('s'), T.tensor3('t')).ndim).toBe(3);
    expect(T.dot(T.matrix('m'), T.vector('v')).ndim).toBe(1);
  });
  it('misaligned axes are a clear error', () => {
    const a = T.tensor3('a'), b = T.matrix('b');
    const f = fn([a, b], T.dot(a, b));
    expect(() => f(new NDArray(new Float64Array(24), [2, 3, 4]), new NDArray(new Float64Array(15), [3, 5]))).toThrow(/dot: shapes .* are not aligned/);
  });
});

describe('batch normalization (T.nnet.bn)', () => {
  for (const [name, c] of Object.entries(fx.bn)) {
    for (const backend of backends) {
      it(`${name}: train outputs, running averages as updates, test mode, gradients (${backend})`, () => {
        const x = T.tensor('float64', c.x.shape.map(() => false), 'x');
        const gamma = shared(toArray(c.gamma), 'gamma');
        const beta = shared(toArray(c.beta), 'beta');
        const runningMean = shared(toArray(c.runningMean), 'runningMean');
        const runningVar = shared(toArray(c.runningVar), 'runningVar');
        const [out, mean, invstd, newMean, newVar] = T.nnet.bn.batchNormalizationTrain(x, gamma, beta, { axes: c.axes, runningMean, runningVar });
        const gs = grad(out.mul(toArray(c.r)).sum(), [x, gamma, beta]);
        const train = fn([x], [out, mean, invstd, ...gs], { updates: [[runningMean, newMean], [runningVar, newVar]], backend });
        const [o, m, s, gx, gg, gb] = train(toArray(c.x));
        expectClose(o, c.out, 'out', 1e-10);
        expectClose(m, c.mean, 'mean', 1e-12);
        expectClose(s, c.invstd, 'invstd', 1e-10);
        expectClose(gx, c.grads[0], 'gradient of x', 1e-9);
        expectClose(gg, c.grads[1], 'gradient of gamma', 1e-10);
        expectClose(gb, c.grads[2], 'gradient of beta', 1e-10);
        expectClose(runningMean.getValue(), c.newRunningMean, 'new running mean', 1e-12);
        expectClose(runningVar.getValue(), c.newRunningVar, 'new running var', 1e-12);
        // Test mode with the old statistics.
        const test = fn([x], T.nnet.bn.batchNormalizationTest(x, gamma, beta, toArray(c.runningMean), toArray(c.runningVar), { axes: c.axes }), { backend });
        expectClose(test(toArray(c.x)), c.testOut, 'test-mode out', 1e-12);
      });
    }
  }

  it('spatial and per-activation shortcuts, parameters with the input\'s ndim, finite differences', () => {
    const c = fx.bn.spatial;
    gradient.verifyGrad((x, g, b) => T.nnet.bn.batchNormalizationTrain(x, g, b, { axes: 'spatial' })[0], [toArray(c.x), toArray(c.gamma), toArray(c.beta)]);
    // gamma and beta as (1, C, 1, 1): the same result as the short form.
    const x = T.tensor4('x');
    const full = (a: Arr) => new NDArray(Float64Array.from(a.data), [1, a.shape[0], 1, 1]);
    const g4 = T.tensor('float64', [true, false, true, true], 'g');
    const b4 = T.tensor('float64', [true, false, true, true], 'b');
    const f = fn([x, g4, b4], T.nnet.bn.batchNormalizationTrain(x, g4, b4, { axes: 'spatial' })[0], { backend: 'js' });
    expectClose(f(toArray(c.x), full(c.gamma), full(c.beta)), c.out, 'full-ndim parameters', 1e-10);
  });

  it('rejects bad arguments', () => {
    const x = T.matrix('x');
    const v = T.vector('v');
    expect(() => T.nnet.bn.batchNormalizationTrain(x, v, v, { epsilon: 1e-6 })).toThrow(/epsilon must be at least 1e-5/);
    expect(() => T.nnet.bn.batchNormalizationTrain(x, v, v, { axes: [2] })).toThrow(/axes \[2\] do not fit a 2-d input/);
    expect(() => T.nnet.bn.batchNormalizationTrain(x, v, v, { runningMean: v })).toThrow(/runningMean and runningVar must be given together/);
    expect(() => T.nnet.bn.batchNormalizationTrain(x, T.tensor3('g'), v)).toThrow(/gamma must have 1 dimensions/);
  });
});
