/** BLAS insertion: C ± s·dot(A, B) as one gemm/gemv, equal to the plain graph on both backends. */
import { describe, expect, it } from 'vitest';
import { T, fn, shared, random, NDArray } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

function close(a: NDArray, b: NDArray, rtol: number) {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i] - b.data[i]) <= rtol * (1 + Math.abs(b.data[i]))).toBe(true);
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
});
