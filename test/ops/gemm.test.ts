/** The js dot kernel against a naive triple loop, for every transpose and awkward sizes. */
import { describe, expect, it } from 'vitest';
import { gemm } from '../../lib/ops/dot.js';

function naive(a: Float64Array, b: Float64Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}

describe('gemm kernel', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (const [m, n, k] of [[1, 1, 1], [5, 1, 7], [1, 6, 3], [9, 7, 5], [4, 4, 0], [0, 3, 2], [13, 2, 11], [3, 9, 1]]) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`m=${m} n=${n} k=${k} ta=${ta} tb=${tb}`, () => {
          const a = Float64Array.from({ length: m * k }, rnd);
          const b = Float64Array.from({ length: k * n }, rnd);
          const c = new Float64Array(m * n).fill(NaN);
          gemm(a, b, c, m, n, k, ta, tb, new Float64Array(4 * Math.max(m, n, 1)));
          const ref = naive(a, b, m, n, k, ta, tb);
          for (let i = 0; i < m * n; i++) expect(c[i]).toBeCloseTo(ref[i], 12);
        });
      }
    }
  }
});
