/**
 * Softmax cross-entropy of integer labels: the fused ops made by the stabilize rewrite give the
 * unfused graph's values and gradients on both backends, follow its label rules (negative labels,
 * one label for every row, out-of-range errors that change nothing), stay finite for huge
 * logits, and have first and second derivatives that match finite differences.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, array, NDArray, random, gradient } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

function close(a: NDArray, b: NDArray, rtol: number, label: string) {
  expect(a.shape, label).toEqual(b.shape);
  let scale = 1e-300;
  for (let i = 0; i < b.size; i++) scale = Math.max(scale, Math.abs(b.data[i]));
  for (let i = 0; i < a.size; i++) if (!(Math.abs(a.data[i] - b.data[i]) <= rtol * scale)) expect.fail(`${label}[${i}]: ${a.data[i]} vs ${b.data[i]}`);
}

function model(dtype: 'float64' | 'float32') {
  const x = T.matrix('x', dtype), y = T.ivector('y');
  const W = shared(new random.RandomState(4).randn(6, 5) as NDArray, 'W', { dtype });
  const nll = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W)), y);
  return { inputs: [x, y] as Variable[], outputs: [nll, grad(nll.mean(), W)] };
}

/** The same loss from one-hot rows, -sum(t * logSoftmax(z), 1): no label indexing, nothing fused. */
function reference(dtype: 'float64' | 'float32') {
  const x = T.matrix('x', dtype), t = T.matrix('t', dtype);
  const W = shared(new random.RandomState(4).randn(6, 5) as NDArray, 'W', { dtype });
  const nll = T.neg(T.mul(t, T.nnet.logSoftmax(x.dot(W))).sum(1));
  return fn([x, t], [nll, grad(nll.mean(), W)], { backend: 'js' });
}

function oneHot(y: NDArray, rows: number, k: number, dtype: 'float64' | 'float32'): NDArray {
  const t = new NDArray(new (dtype === 'float64' ? Float64Array : Float32Array)(rows * k), [rows, k], dtype);
  for (let r = 0; r < rows; r++) {
    const v = y.data[y.size === 1 ? 0 : r];
    t.data[r * k + (v < 0 ? v + k : v)] = 1;
  }
  return t;
}

const labels = (...v: number[]) => array(v, { dtype: 'int32' });

describe('fused softmax cross-entropy', () => {
  it('is what categoricalCrossentropy(softmax(z), y) compiles to, forward and backward', () => {
    const { inputs, outputs } = model('float64');
    // (The ops may sit inside a one-pass instruction, with the products around them.)
    const ops = fn(inputs, outputs, { backend: 'js' }).program.instructions.flatMap((i) => [i.opcode, ...((i.attrs.inner as { opcode: string }[] | undefined) ?? []).map((x) => x.opcode)]);
    expect(ops).toContain('xent_softmax');
    expect(ops).toContain('xent_softmax_grad');
    expect(ops).not.toContain('index_update');
  });

  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`equals the one-hot formulation, ${backend} ${dtype}: negative labels, one shared label, no rows`, () => {
        const { inputs, outputs } = model(dtype);
        const fused = fn(inputs, outputs, { backend });
        const ref = reference(dtype);
        const rng = new random.RandomState(7);
        const cases: [NDArray, NDArray][] = [
          [(rng.randn(8, 6) as NDArray).astype(dtype), labels(0, 4, 2, -1, 3, -5, 1, 4)],
          [(rng.randn(3, 6) as NDArray).astype(dtype), labels(2)],
        ];
        const rtol = dtype === 'float32' ? 1e-5 : 1e-12;
        for (const [X, Y] of cases) fused(X, Y).forEach((r, i) => close(r, ref(X, oneHot(Y, X.shape[0], 5, dtype))[i], rtol, `output ${i}`));
        const empty = fused(new NDArray(new (dtype === 'float64' ? Float64Array : Float32Array)(0), [0, 6], dtype), labels());
        expect(empty[0].shape).toEqual([0]);
      });
    }

    it(`rejects an out-of-range label and changes nothing, ${backend}`, () => {
      const x = T.matrix('x'), y = T.ivector('y');
      const W = shared(new random.RandomState(1).randn(4, 3) as NDArray, 'W');
      const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W)), y).mean();
      const step = fn([x, y], cost, { updates: [[W, W.sub(grad(cost, W).mul(0.1))]], backend });
      const before = Array.from(W.getValue().data);
      const X = new random.RandomState(2).randn(2, 4) as NDArray;
      expect(() => step(X, labels(0, 3))).toThrow(/label 3 of row 1 is out of range for 3 classes/);
      expect(() => step(X, labels(-4, 0))).toThrow(/out of range/);
      expect(Array.from(W.getValue().data)).toEqual(before);
      step(X, labels(2, -3));
      expect(Array.from(W.getValue().data)).not.toEqual(before);
    });

    it(`stays finite and exact for huge logits, ${backend}`, () => {
      const z = T.matrix('z'), y = T.ivector('y');
      const nll = T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y);
      const f = fn([z, y], [nll, grad(nll.sum(), z)], { backend });
      // Rows [1000, 0, -1000]: softmax is [1, e^-1000, 0] to double precision.
      const [loss, g] = f(array([[1000, 0, -1000], [1000, 0, -1000]]), labels(0, 1));
      expect(Array.from(loss.data)).toEqual([0, 1000]);
      expect(Array.from(g.data)).toEqual([0, 0, 0, 1, -1, 0]);
    });
  }

  it('has first and second derivatives that match finite differences', () => {
    const y = labels(1, 0, 2, 2);
    const z0 = new random.RandomState(3).randn(4, 3) as NDArray;
    gradient.verifyGrad((z) => T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y), [z0]);
    // The gradient, as a function of z: its own gradient goes through the fused gradient op.
    gradient.verifyGrad((z) => grad(T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y).mul(array([1, 2, 3, 4])).sum(), z), [z0]);
    const probe = T.matrix('z');
    const g1 = grad(T.nnet.categoricalCrossentropy(T.nnet.softmax(probe), y).sum(), probe);
    expect(fn([probe], g1, { backend: 'js' }).program.instructions.map((i) => i.opcode)).toContain('xent_softmax_grad');
  });
});
