/**
 * The one-pass rewrite: found by structure (X·w, an elementwise chain, X^T·g), and the fused
 * program gives the results of the unfused one on both backends.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, random, NDArray, config, backendInfo, setBlasThreads } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

/** allclose, with an absolute tolerance scaled to the array (sums reassociated in float32 cancel). */
function close(a: NDArray, b: NDArray, rtol: number, label: string) {
  expect(a.shape, label).toEqual(b.shape);
  let scale = 0;
  for (let i = 0; i < b.size; i++) if (Number.isFinite(b.data[i])) scale = Math.max(scale, Math.abs(b.data[i]));
  for (let i = 0; i < a.size; i++) {
    const both = Number.isNaN(a.data[i]) && Number.isNaN(b.data[i]);
    const ok = both || a.data[i] === b.data[i] || Math.abs(a.data[i] - b.data[i]) <= rtol * (scale + Math.abs(b.data[i]));
    if (!ok) expect.fail(`${label}[${i}]: ${a.data[i]} vs ${b.data[i]}`);
  }
}

/** Logistic regression step: the seed's structure. */
function logreg(dtype: 'float64' | 'float32', feats: number) {
  const x = T.matrix('x', dtype), y = T.vector('y', dtype);
  const w = shared(new random.RandomState(2).randn(feats) as NDArray, 'w', { dtype });
  const b = shared(0.1, 'b', { dtype });
  const p = T.nnet.sigmoid(x.dot(w).add(b));
  const cost = T.nnet.binaryCrossentropy(p, y).mean().add(w.sqr().sum().mul(0.01));
  const [gw, gb] = grad(cost, [w, b]);
  return { inputs: [x, y], outputs: [p.gt(0.5), cost, gw, gb] as Variable[] };
}

/** Least squares with a Huber-like chain and a scalar input inside the chain. */
function robust(dtype: 'float64' | 'float32', feats: number) {
  const x = T.matrix('x', dtype), y = T.vector('y', dtype), s = T.scalar('s', dtype);
  const w = shared(new random.RandomState(3).randn(feats) as NDArray, 'w', { dtype });
  const r = x.dot(w).sub(y).mul(s);
  const cost = T.switch(r.abs().lt(1), r.sqr().mul(0.5), r.abs().sub(0.5)).sum();
  return { inputs: [x, y, s], outputs: [cost, grad(cost, w)] as Variable[] };
}

describe('rowpass', () => {
  it('is found in the seed-shaped step and in other chains', () => {
    for (const make of [logreg, robust]) {
      const { inputs, outputs } = make('float64', 5);
      const f = fn(inputs, outputs, { backend: 'js' });
      expect(f.program.instructions.map((i) => i.opcode)).toContain('rowpass');
      const g = fn(inputs, outputs, { backend: 'js', optimize: false });
      expect(g.program.instructions.map((i) => i.opcode)).not.toContain('rowpass');
    }
  });

  const threads = nativeStatus().available ? [1, 2] : [1];
  /** Runs `body` with the native backend on `count` threads (and puts the count back). */
  const withThreads = (backend: string, count: number, body: () => void) => {
    const before = backendInfo().blasThreads;
    if (backend === 'native') setBlasThreads(count);
    try {
      body();
    } finally {
      if (before) setBlasThreads(before);
    }
  };

  for (const backend of backends) for (const blas of backend === 'native' ? threads : [1]) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`gives the unfused results, ${backend} ${dtype}, ${blas} BLAS thread(s), many row counts`, () => {
        withThreads(backend, blas, () => {
          const rtol = dtype === 'float32' ? 1e-4 : 1e-10;
          for (const [n, feats] of [[400, 784], [1000, 300], [403, 50], [7, 3], [1, 4], [0, 5]] as const) {
            for (const make of [logreg, robust]) {
              const rng = new random.RandomState(n + feats);
              const X = (rng.randn(Math.max(n, 1), feats) as NDArray).astype(dtype);
              const Xn = new NDArray(X.data.slice(0, n * feats), [n, feats], dtype);
              const Y = new NDArray((rng.randint(0, 2, [Math.max(n, 1)]) as NDArray).astype(dtype).data.slice(0, n), [n], dtype);
              const { inputs, outputs } = make(dtype, feats);
              const args = inputs.length === 3 ? [Xn, Y, 0.7] : [Xn, Y];
              const fused = fn(inputs, outputs, { backend });
              const plain = fn(inputs, outputs, { backend, optimize: false });
              const a = fused(...args);
              const b = plain(...args);
              a.forEach((v, i) => close(v, b[i], rtol, `${make.name} n=${n} output ${i}`));
            }
          }
        });
      });
    }
  }

  for (const backend of backends) {
    it(`gives the same bits wherever the data lies in memory, ${backend}`, () => {
      // The native kernel peels elements to reach aligned addresses; sums must not depend on it.
      for (const dtype of ['float64', 'float32'] as const) {
        const { inputs, outputs } = logreg(dtype, 37);
        const f = fn(inputs, outputs, { backend });
        const rng = new random.RandomState(9);
        const X = (rng.randn(50, 37) as NDArray).astype(dtype);
        const Y = (rng.randint(0, 2, [50]) as NDArray).astype(dtype);
        const results = [0, 1, 2, 3, 5, 8, 13].map((offset) => {
          const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
          const storage = new Ctor(X.size + offset);
          storage.set(X.data, offset);
          return f(new NDArray(storage.subarray(offset), [50, 37], dtype), Y).map((r) => Array.from(r.data));
        });
        for (const r of results) expect(r).toEqual(results[0]);
      }
    });
  }

  /** Softmax regression: Z = X·W + b, the fused softmax cross-entropy, X^T·G (the matrix form). */
  function softmaxRegression(dtype: 'float64' | 'float32', feats: number, classes: number) {
    const x = T.matrix('x', dtype), y = T.ivector('y');
    const rng = new random.RandomState(6);
    const W = shared(rng.randn(feats, classes) as NDArray, 'W', { dtype }), b = shared(rng.randn(classes) as NDArray, 'b', { dtype });
    const nll = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W).add(b)), y);
    const cost = nll.mean();
    return { inputs: [x, y], outputs: [nll, cost, ...grad(cost, [W, b])] as Variable[] };
  }

  /** Least squares onto a matrix of targets: an elementwise chain over Z's rows. */
  function leastSquares(dtype: 'float64' | 'float32', feats: number, classes: number) {
    const x = T.matrix('x', dtype), t = T.matrix('t', dtype);
    const W = shared(new random.RandomState(7).randn(feats, classes) as NDArray, 'W', { dtype });
    const cost = x.dot(W).sub(t).sqr().sum();
    return { inputs: [x, t], outputs: [cost, grad(cost, W)] as Variable[] };
  }

  for (const backend of backends) for (const blas of backend === 'native' ? threads : [1]) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`matrix form gives the unfused results, ${backend} ${dtype}, ${blas} thread(s)`, () => {
        withThreads(backend, blas, () => {
          const rtol = dtype === 'float32' ? 1e-4 : 1e-10;
          for (const [n, feats, classes] of [[600, 300, 10], [50, 7, 3], [7, 3, 4], [1, 4, 2], [0, 5, 3]] as const) {
            const rng = new random.RandomState(n + feats);
            const X = (rng.randn(Math.max(n, 1), feats) as NDArray).astype(dtype);
            const Xn = new NDArray(X.data.slice(0, n * feats), [n, feats], dtype);
            const labels = new NDArray(Int32Array.from({ length: n }, (_, i) => (i * 7) % classes), [n], 'int32');
            const targets = new NDArray((rng.randn(Math.max(n, 1), classes) as NDArray).astype(dtype).data.slice(0, n * classes), [n, classes], dtype);
            for (const [make, second] of [[softmaxRegression, labels], [leastSquares, targets]] as const) {
              const { inputs, outputs } = make(dtype, feats, classes);
              const fused = fn(inputs, outputs, { backend });
              expect(fused.program.instructions.map((i) => i.opcode), make.name).toContain('rowpass');
              const plain = fn(inputs, outputs, { backend, optimize: false });
              const a = fused(Xn, second), b = plain(Xn, second);
              a.forEach((v, i) => (n === 0 && make === softmaxRegression && i > 0 ? undefined : close(v, b[i], rtol, `${make.name} n=${n} output ${i}`)));
            }
          }
        });
      });
    }

    it(`handles X with rows but no columns, ${backend}`, () => {
      // Z = X·W is all zeros: every class equally likely, and nothing to learn for W.
      const x = T.matrix('x'), y = T.ivector('y');
      const W = shared(new NDArray(new Float64Array(0), [0, 3]), 'W');
      const nll = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W)), y);
      const f = fn([x, y], [nll, grad(nll.sum(), W)], { backend });
      expect(f.program.instructions.map((i) => i.opcode)).toContain('rowpass');
      const [loss, gW] = f(new NDArray(new Float64Array(0), [4, 0]), new NDArray(Int32Array.from([0, 1, 2, 0]), [4], 'int32'));
      Array.from(loss.data).forEach((v) => expect(v).toBeCloseTo(Math.log(3), 14));
      expect(gW.shape).toEqual([0, 3]);
    });

    it(`falls back to whole-matrix passes when the chain does not split by rows, ${backend}`, () => {
      // A vector as long as Z has rows, broadcast along Z's last axis: rows cannot be cut.
      const x = T.matrix('x'), v = T.vector('v');
      const W = shared(new random.RandomState(8).randn(5, 6) as NDArray, 'W');
      const cost = x.dot(W).mul(v).sqr().sum();
      const outputs = [cost, grad(cost, W)];
      const fused = fn([x, v], outputs, { backend });
      expect(fused.program.instructions.map((i) => i.opcode)).toContain('rowpass');
      const X = new random.RandomState(9).randn(6, 5) as NDArray;
      const V = new random.RandomState(10).randn(6) as NDArray;
      const plain = fn([x, v], outputs, { backend, optimize: false });
      fused(X, V).forEach((r, i) => close(r, plain(X, V)[i], 1e-12, `output ${i}`));
    });
  }

  for (const backend of backends) {
    it(`gives the same bits on every call with the same arguments, ${backend}`, () => {
      // Several blocks of rows, whose order the native kernel alternates between calls.
      for (const dtype of ['float64', 'float32'] as const) {
        const { inputs, outputs } = logreg(dtype, 300);
        const f = fn(inputs, outputs, { backend });
        const rng = new random.RandomState(11);
        const X = (rng.randn(2000, 300) as NDArray).astype(dtype);
        const Y = (rng.randint(0, 2, [2000]) as NDArray).astype(dtype);
        const first = f(X, Y).map((r) => Array.from(r.data));
        for (let k = 0; k < 3; k++) expect(f(X, Y).map((r) => Array.from(r.data))).toEqual(first);
      }
    });
  }

  it('handles a length-1 vector broadcast over the rows inside the chain', () => {
    const x = T.matrix('x');
    const v = T.tensor('float64', [true], 'v'); // length 1, broadcast over rows
    const w = shared([1, 2, 3], 'w');
    const g = x.dot(w).mul(v);
    const out = x.T.dot(g);
    const saved = config.floatX;
    for (const backend of backends) {
      const f = fn([x, v], out, { backend });
      expect(f.program.instructions.map((i) => i.opcode)).toContain('rowpass');
      const X = new random.RandomState(1).randn(4, 3) as NDArray;
      const r = f(X, [2]);
      const ref = fn([x, v], out, { backend, optimize: false })(X, [2]);
      close(r, ref, 1e-12, backend);
    }
    config.floatX = saved;
  });
});
