/**
 * The native matrix products (the addon's AVX-512 kernels where the CPU has them, else OpenBLAS)
 * against a float64 triple loop: every transpose, both float dtypes, and the sizes where the
 * kernels change: panels of 1-14 rows, B read in place (up to 28 rows) or packed, column counts
 * around one and two vectors, k around its blocks of 256; C scaled and added (gemm), IEEE
 * specials, and the same bits on one and two threads.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { T, fn, NDArray, backendInfo, setBlasThreads } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';

const native = nativeStatus().available;
const eps = { float32: 2 ** -24, float64: 2 ** -53 };

let seed = 11;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const matrix = (rows: number, cols: number, dtype: 'float32' | 'float64') => new NDArray(Float64Array.from({ length: rows * cols }, rnd), [rows, cols]).astype(dtype);

/** op(A)·op(B) in float64 from A (stored k x m when ta) and B (stored n x k when tb), with the sum of |terms| per element. */
function reference(a: NDArray, b: NDArray, ta: boolean, tb: boolean) {
  const m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1], n = tb ? b.shape[0] : b.shape[1];
  const c = new Float64Array(m * n), abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) {
        const x = ta ? a.data[p * m + i] : a.data[i * k + p], y = tb ? b.data[j * k + p] : b.data[p * n + j];
        s += x * y;
        t += Math.abs(x * y);
      }
      c[i * n + j] = s;
      abs[i * n + j] = t;
    }
  return { c, abs, m, n, k };
}

/** Each element within the error bound of a k-term sum in `dtype` (k·u·Σ|terms|, twice over). */
function expectWithin(got: NDArray, want: Float64Array, abs: Float64Array, k: number, dtype: 'float32' | 'float64', what: string) {
  expect(got.size).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const bound = 2 * Math.max(k, 1) * eps[dtype] * abs[i] + 1e-300;
    if (!(Math.abs(got.data[i] - want[i]) <= bound)) expect.fail(`${what} [${i}]: ${got.data[i]} vs ${want[i]} (bound ${bound})`);
  }
}

const shapes: [number, number, number][] = [];
for (const m of [1, 13, 14, 15, 28, 29, 57, 128]) for (const n of [16, 17, 32, 33, 70]) for (const k of [1, 255, 257, 600]) if (m * n * k <= 128 * 70 * 257) shapes.push([m, n, k]);

describe.skipIf(!native)('native products', () => {
  afterAll(() => setBlasThreads(2));

  it('run on the AVX-512 kernels where the CPU has AVX-512 and neither THEANODE_SIMD nor THEANODE_PRODUCTS declines them', () => {
    let avx512 = false;
    try {
      avx512 = / avx512f /.test(readFileSync('/proc/cpuinfo', 'utf8')) && / avx512bw /.test(readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      // not Linux: nothing to compare with
    }
    const capped = process.env.THEANODE_SIMD === 'avx2' || process.env.THEANODE_SIMD === 'base' || process.env.THEANODE_PRODUCTS === 'openblas';
    expect(backendInfo().products).toBe(avx512 && !capped && process.arch === 'x64' ? 'avx512' : 'openblas');
  });

  for (const dtype of ['float32', 'float64'] as const) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`dot and gemm, ${dtype}, transA=${ta} transB=${tb}, ${shapes.length} shapes`, () => {
          const a = T.matrix('a', dtype), b = T.matrix('b', dtype), c = T.matrix('c', dtype);
          const opA = ta ? a.T : a, opB = tb ? b.T : b;
          const product = fn([a, b], T.dot(opA, opB), { backend: 'native' });
          const update = fn([a, b, c], c.sub(T.dot(opA, opB).mul(0.25)), { backend: 'native' });
          expect(update.program.instructions.map((i) => i.opcode)).toContain('gemm');
          for (const [m, n, k] of shapes) {
            const A = ta ? matrix(k, m, dtype) : matrix(m, k, dtype), B = tb ? matrix(n, k, dtype) : matrix(k, n, dtype);
            const C = matrix(m, n, dtype);
            const ref = reference(A, B, ta, tb);
            expectWithin(product(A, B) as NDArray, ref.c, ref.abs, k, dtype, `dot ${m}x${n}x${k}`);
            const want = ref.c.map((v, i) => C.data[i] - 0.25 * v);
            const abs = ref.abs.map((v, i) => 0.25 * v + Math.abs(C.data[i]));
            expectWithin(update(A, B, C) as NDArray, want, abs, k + 1, dtype, `gemm ${m}x${n}x${k}`);
          }
        });
      }
    }
  }

  it('carry infinities and NaN to exactly the elements they reach', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [m, n, k] of [[20, 40, 300], [50, 33, 9]]) {
        const A = matrix(m, k, dtype), B = matrix(k, n, dtype);
        A.data[3 * k + 5] = Infinity;
        A.data[7 * k + 1] = NaN;
        B.data[5 * n + 2] = 0; // Inf · 0: NaN in row 3, column 2 only
        const a = T.matrix('a', dtype), b = T.matrix('b', dtype);
        const out = fn([a, b], T.dot(a, b), { backend: 'native' })(A, B) as NDArray;
        const ref = reference(A, B, false, false);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            const g = out.data[i * n + j], w = ref.c[i * n + j];
            if (i === 3 || i === 7) expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${dtype} [${i}, ${j}]: ${g} vs ${w}`).toBe(true);
            else expect(Number.isFinite(g), `${dtype} [${i}, ${j}] = ${g}`).toBe(true);
          }
        expect(Number.isNaN(out.data[3 * n + 2])).toBe(true);
        expect(Math.abs(out.data[3 * n + 3])).toBe(Infinity);
      }
    }
  });

  // OpenBLAS's results depend on where the bands start (its blocking follows the band), so only
  // the AVX-512 kernels promise the bits.
  it('give the same bits on one and two threads on the AVX-512 kernels, split by rows or by columns', () => {
    const own = backendInfo().products === 'avx512';
    for (const dtype of ['float32', 'float64'] as const) {
      // Rows or columns to split; more columns than one block of B (1024 floats, 512 doubles).
      for (const [m, n, k] of [[300, 200, 520], [90, 700, 300], [40, 1100, 70]]) {
        const a = T.matrix('a', dtype), b = T.matrix('b', dtype);
        const f = fn([a, b], T.dot(a, b), { backend: 'native' });
        const A = matrix(m, k, dtype), B = matrix(k, n, dtype);
        setBlasThreads(1);
        const one = f(A, B) as NDArray;
        setBlasThreads(2);
        const two = f(A, B) as NDArray;
        if (own) expect(Array.from(two.data)).toEqual(Array.from(one.data));
        const ref = reference(A, B, false, false);
        expectWithin(one, ref.c, ref.abs, k, dtype, `${m}x${n}x${k}, 1 thread`);
        expectWithin(two, ref.c, ref.abs, k, dtype, `${m}x${n}x${k}, 2 threads`);
      }
    }
  });
});
