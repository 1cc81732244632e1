/** BLAS insertion: C ± s·dot(A, B) as one gemm/gemv, equal to the plain graph on both backends. */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, random, NDArray } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

function close(a: NDArray, b: NDArray, rtol: number) {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) if (!(Math.abs(a.data[i] - b.data[i]) <= rtol * (1 + Math.abs(b.data[i])))) expect.fail(`[${i}]: ${a.data[i]} vs ${b.data[i]}`);
}

describe('gemm insertion', () => {
  it('turns C - s·dot(A.T, B), C + dot(A, B) and C + s·dot(A, v) into gemm', () => {
    const a = T.matrix('a'), b = T.matrix('b'), c = T.matrix('c'), v = T.vector('v'), y = T.vector('y');
    const f = fn([a, b, c, v, y], [c.sub(T.dot(a.T, b).mul(0.1)), c.add(T.dot(a, b.T)), y.add(T.dot(a.T, v).mul(2))], { backend: 'js' });
    const ops = f.program.instructions.map((i) => i.opcode);
    expect(ops.filter((o) => o === 'gemm')).toHaveLength(3);
    expect(ops).not.toContain('dot');
    // A product used elsewhere is left alone (it would be computed twice).
    const d = T.dot(a, b.T);
    const g = fn([a, b, c], [c.add(d), d], { backend: 'js' });
    expect(g.program.instructions.map((i) => i.opcode)).not.toContain('gemm');
  });

  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`equals the plain graph and updates in place, ${backend} ${dtype}`, () => {
        const rng = new random.RandomState(5);
        const x = T.matrix('x', dtype), gz = T.matrix('gz', dtype), v = T.vector('v', dtype);
        const W = shared(rng.randn(6, 4) as NDArray, 'W', { dtype });
        const u = shared(rng.randn(6) as NDArray, 'u', { dtype });
        const updates: [typeof W, ReturnType<typeof T.dot>][] = [[W, W.sub(T.dot(x.T, gz).mul(0.1))], [u, u.add(T.dot(x.T, v).mul(-0.5))]];
        const fast = fn([x, gz, v], [], { backend, updates });
        const storage = W.container.value.data;
        const X = (rng.randn(5, 6) as NDArray).astype(dtype), G = (rng.randn(5, 4) as NDArray).astype(dtype), V = (rng.randn(5) as NDArray).astype(dtype);
        const W0 = W.getValue(), u0 = u.getValue();
        fast(X, G, V);
        expect(fast.program.instructions.map((i) => i.opcode).filter((o) => o === 'gemm')).toHaveLength(2);
        expect(fast.lastPlan!.alias[fast.program.updates[0].buffer]).toBe(fast.program.shared[fast.program.updates[0].shared]);
        expect(W.container.value.data).toBe(storage);
        const W1 = W.getValue(), u1 = u.getValue();
        W.setValue(W0);
        u.setValue(u0);
        fn([x, gz, v], [], { backend, updates, optimize: false })(X, G, V);
        const rtol = dtype === 'float32' ? 1e-5 : 1e-12;
        close(W1, W.getValue(), rtol);
        close(u1, u.getValue(), rtol);
      });
    }
  }

  it('makes a dense layer one gemm: the bias as C (a vector or a row), relu applied as it is written', () => {
    const x = T.matrix('x'), W = T.matrix('W'), b = T.vector('b');
    for (const bias of [b, b.dimshuffle('x', 0)]) {
      const f = fn([x, W, b], T.relu(x.dot(W).add(bias)), { backend: 'js' });
      expect(f.program.instructions.map((i) => i.opcode).filter((o) => o !== 'dimshuffle')).toEqual(['gemm']);
      expect(f.program.instructions.find((i) => i.opcode === 'gemm')!.attrs.relu).toBe(true);
    }
    // The pre-activation is needed elsewhere: the relu stays apart.
    const pre = x.dot(W).add(b);
    const g = fn([x, W, b], [T.relu(pre), pre], { backend: 'js' });
    expect(g.program.instructions.find((i) => i.opcode === 'gemm')!.attrs.relu).toBe(false);
  });

  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`dense layers and their gradients equal the plain graph, ${backend} ${dtype}: many rows, one, none, NaN`, () => {
        const rng = new random.RandomState(8);
        const x = T.matrix('x', dtype), y = T.ivector('y');
        const W1 = shared(rng.randn(7, 6) as NDArray, 'W1', { dtype }), b1 = shared(rng.randn(6) as NDArray, 'b1', { dtype });
        const W2 = shared(rng.randn(6, 3) as NDArray, 'W2', { dtype }), b2 = shared(rng.randn(3) as NDArray, 'b2', { dtype });
        const h = T.relu(x.dot(W1).add(b1));
        const z = h.dot(W2).add(b2.dimshuffle('x', 0));
        const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y).mean();
        const outs = [h, z, ...grad(cost, [W1, b1, W2, b2])];
        const fused = fn([x, y], outs, { backend });
        expect(fused.program.instructions.some((i) => i.opcode === 'gemm' && i.attrs.relu)).toBe(true);
        const plain = fn([x, y], outs, { backend, optimize: false });
        const rtol = dtype === 'float32' ? 1e-5 : 1e-12;
        for (const rows of [9, 1, 0]) {
          const X = (rng.randn(Math.max(rows, 1), 7) as NDArray).astype(dtype);
          const Xr = new NDArray(X.data.slice(0, rows * 7), [rows, 7], dtype);
          const Y = new NDArray(Int32Array.from({ length: rows }, (_, i) => i % 3), [rows], 'int32');
          const a = fused(Xr, Y), r = plain(Xr, Y);
          a.forEach((v, i) => (rows === 0 && i >= 2 ? undefined : close(v, r[i], rtol)));
        }
        // NaN in the input: relu gives 0 there in both forms.
        const Xn = (rng.randn(2, 7) as NDArray).astype(dtype);
        Xn.data[3] = NaN;
        const hn = fused(Xn, new NDArray(Int32Array.from([0, 1]), [2], 'int32'))[0];
        const hp = plain(Xn, new NDArray(Int32Array.from([0, 1]), [2], 'int32'))[0];
        expect(Array.from(hn.data)).toEqual(Array.from(hp.data).map((v) => (Number.isNaN(v) ? 0 : v)));
        expect(Array.from(hn.data).every((v) => !Number.isNaN(v))).toBe(true);
      });
    }
  }
});
