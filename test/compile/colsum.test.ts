/**
 * Column sums fused into the elementwise pass that makes the columns: a sum or mean over axis 0
 * of an elementwise result becomes a second output of that instruction, with the unfused
 * results on both backends (float64 and float32, keepdims or not, one row, no rows).
 */
import { describe, expect, it } from 'vitest';
import { T, fn, scan, NDArray, random, setBlasThreads, backendInfo } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { columnSumLanes } from '../../lib/ops/elemwise.js';

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

  it('are summed in lanes of rows that depend only on the shape', () => {
    expect(columnSumLanes(128, 256)).toEqual([0, 32, 64, 96, 128]);
    expect(columnSumLanes(128, 128)).toEqual([0, 64, 128]);
    expect(columnSumLanes(300, 7)).toEqual([0, 300]);
    expect(columnSumLanes(3, 100000)).toEqual([0, 1, 2, 3]);  // no lane without rows
    expect(columnSumLanes(0, 5)).toEqual([0, 0]);
    const a = T.matrix('a'), b = T.matrix('b');
    const f = fn([a, b], [a.mul(b.gt(0)).sum(0)], { backend: 'js' });
    f(new NDArray(new Float64Array(2000 * 40), [2000, 40]), new NDArray(new Float64Array(2000 * 40), [2000, 40]));
    expect(f.lastPlan!.decisions[0]).toEqual({ sumLanes: columnSumLanes(2000, 40) });
    expect(columnSumLanes(2000, 40)).toHaveLength(9);
  });

  it.runIf(backends.length > 1)('in lanes, are the same bits on both backends and on 1 and 2 threads', () => {
    const before = backendInfo().blasThreads ?? 1;
    try {
      for (const dtype of ['float64', 'float32'] as const) {
        const a = T.matrix('a', dtype), b = T.matrix('b', dtype);
        const h = a.mul(b.gt(0));
        const outs = [h.sum(0), h.mean(0, true)];
        const rng = new random.RandomState(9);
        const A = (rng.randn(2000, 40) as NDArray).astype(dtype), B = (rng.randn(2000, 40) as NDArray).astype(dtype);
        const want = fn([a, b], outs, { backend: 'js' })(A, B).map((v) => Array.from(v.data));
        const native = fn([a, b], outs, { backend: 'native' });
        for (const threads of [1, 2]) {
          setBlasThreads(threads);
          expect(native(A, B).map((v) => Array.from(v.data)), `${dtype}, ${threads} threads`).toEqual(want);
        }
        // The lanes' order matters: summed row after row in one lane, the float64 sums differ.
        if (dtype === 'float64') {
          const rows = Array.from({ length: 40 }, (_, j) => {
            let s = 0;
            for (let r = 0; r < 2000; r++) s += A.data[r * 40 + j] * (B.data[r * 40 + j] > 0 ? 1 : 0);
            return s;
          });
          expect(rows.some((s, j) => s !== want[0][j])).toBe(true);
          rows.forEach((s, j) => expect(want[0][j]).toBeCloseTo(s, 10));
        }
      }
    } finally {
      setBlasThreads(before);
    }
  });

  it.runIf(backends.length > 1)('in lanes inside a loop body, the same bits on both backends', () => {
    const xs = T.tensor3('xs'), b = T.matrix('b');
    const [sums] = scan((x) => (x as ReturnType<typeof T.matrix>).mul(b.gt(0)).sum(0), { sequences: [xs] });
    const rng = new random.RandomState(1);
    const X = rng.randn(3, 200, 100) as NDArray, B = rng.randn(200, 100) as NDArray;
    const native = fn([xs, b], sums as ReturnType<typeof T.matrix>, { backend: 'native' });
    const body = native.program.instructions.find((i) => i.opcode === 'loop')!.attrs.body as unknown as { instructions: { opcode: string; attrs: { colsum?: unknown } }[] };
    expect(body.instructions.some((i) => i.opcode === 'elemwise' && i.attrs.colsum)).toBe(true);
    const got = native(X, B) as NDArray, want = fn([xs, b], sums as ReturnType<typeof T.matrix>, { backend: 'js' })(X, B) as NDArray;
    expect(got.shape).toEqual([3, 100]);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
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
