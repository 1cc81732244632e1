/**
 * Column sums fused into the elementwise pass that makes the columns: a sum or mean over axis 0
 * of an elementwise result becomes a second output of that instruction, with the unfused
 * results on both backends (float64 and float32, keepdims or not, one row, no rows).
 */
import { describe, expect, it } from 'vitest';
import { T, fn, NDArray, random } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

describe('column sums', () => {
  it('join the elementwise instruction whose result they sum', () => {
    const a = T.matrix('a'), b = T.matrix('b');
    const h = a.mul(b.gt(0));
    const f = fn([a, b], [h, h.sum(0, true)], { backend: 'js' });
    expect(f.program.instructions.map((i) => i.opcode)).toEqual(['elemwise']);
    // One reduction per result joins it; a second one stays apart.
    const g = fn([a, b], [h.sum(0), h.mean(0)], { backend: 'js' });
    expect(g.program.instructions.map((i) => i.opcode)).toEqual(['elemwise', 'reduce']);
    // A sum over the other axis stays a reduction.
    expect(fn([a, b], [h.sum(1)], { backend: 'js' }).program.instructions.map((i) => i.opcode)).toContain('reduce');
  });

  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`equal the separate reduction, ${backend} ${dtype}`, () => {
        const a = T.matrix('a', dtype), b = T.matrix('b', dtype);
        const h = a.mul(b.gt(0)).add(1);
        const outs = [h.sum(0, true), h.sum(0), h.mean(0), h.mean(0, true), h];
        const fused = fn([a, b], outs, { backend });
        const plain = fn([a, b], outs, { backend, optimize: false });
        const rng = new random.RandomState(3);
        for (const rows of [300, 1, 0]) {
          const A = (rng.randn(Math.max(rows, 1), 7) as NDArray).astype(dtype);
          const B = (rng.randn(Math.max(rows, 1), 7) as NDArray).astype(dtype);
          const cut = (x: NDArray) => new NDArray(x.data.slice(0, rows * 7), [rows, 7], dtype);
          const r = fused(cut(A), cut(B)), p = plain(cut(A), cut(B));
          r.forEach((v, i) => {
            expect(v.shape).toEqual(p[i].shape);
            const tol = dtype === 'float32' ? 1e-5 : 1e-12;
            Array.from(v.data).forEach((x, j) => expect(Number.isNaN(x) ? Number.isNaN(p[i].data[j]) : Math.abs(x - p[i].data[j]) <= tol * (1 + Math.abs(p[i].data[j]))).toBe(true));
          });
        }
      });
    }
  }
});
