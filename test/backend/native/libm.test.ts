/**
 * The native elementwise kernels compute the trigonometric, hyperbolic and base-2/10 functions
 * with libm, and the special functions with the algorithms of lib/ops/special.ts in C++
 * (native/src/kernels/special.h). Checked against the js backend (V8's Math.* and the same
 * algorithms in TypeScript), in units of the last place: libm and V8 are each within 1 ulp of
 * the exact value; the special functions add only the differences of exp, log, pow and sin
 * inside their iterations (and of fused multiply-adds the compiler may form).
 */
import { describe, expect, it } from 'vitest';
import { T, fn, NDArray } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { ulps } from './ulps.js';

const native = nativeStatus().available;


/** Uniform over [lo, hi], or uniform in the logarithm when the range spans many decades. */
function samples(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const logScale = lo > 0 && hi / lo > 1e6;
  let seed = 4242;
  for (let i = 0; i < n; i++) {
    seed = (seed * 48271) % 2147483647;
    const u = seed / 2147483647;
    out[i] = logScale ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u) : lo + (hi - lo) * u;
  }
  return out;
}

type Case = [string, (v: Variable) => Variable, number, number, number];
// name, op, range, and the most ulps native and js may differ by.
const cases: Case[] = [
  ['sin', (v) => v.sin(), -50, 50, 2], ['cos', (v) => v.cos(), -50, 50, 2], ['tan', (v) => v.tan(), -1.5, 1.5, 2],
  ['arcsin', (v) => v.arcsin(), -1, 1, 2], ['arccos', (v) => v.arccos(), -1, 1, 2], ['arctan', (v) => v.arctan(), -100, 100, 2],
  ['sinh', (v) => v.sinh(), -700, 700, 2], ['cosh', (v) => v.cosh(), -700, 700, 2], ['arcsinh', (v) => v.arcsinh(), -1e6, 1e6, 2],
  ['arccosh', (v) => v.arccosh(), 1, 1e6, 2], ['arctanh', (v) => v.arctanh(), -1, 1, 2], ['log2', (v) => v.log2(), 1e-300, 1e300, 2],
  ['log10', (v) => v.log10(), 1e-300, 1e300, 2], ['exp2', (v) => v.exp2(), -1070, 1020, 2],
  // Measured: erf 4, erfc 19-22 (Lentz's iteration may stop one step apart), erfinv 7, gamma 6, gammaln 2,
  // psi 1, trigamma 4, tetragamma 7.
  ['erf', (v) => v.erf(), -6, 6, 8], ['erfc', (v) => v.erfc(), -6, 27, 32], ['erfinv', (v) => v.erfinv(), -1, 1, 16],
  ['gamma', (v) => v.gamma(), -30, 171, 16], ['gammaln', (v) => v.gammaln(), -30, 1e6, 8], ['psi', (v) => v.psi(), -30, 1e6, 8],
  ['trigamma', (v) => T.trigamma(v), 1e-3, 1e6, 8], ['trigamma', (v) => T.trigamma(v), -30, -1e-3, 8],
  ['tetragamma', (v) => T.tetragamma(v), 1e-3, 1e6, 8], ['tetragamma', (v) => T.tetragamma(v), -30, -1e-3, 16],
];

describe.skipIf(!native)('native libm and special functions against js', () => {
  for (const [name, op, lo, hi, tol] of cases) {
    it(`${name} over [${lo}, ${hi}]: within ${tol} ulp of the js backend`, () => {
      const v = T.dvector('v');
      const xs = samples(lo, hi, 20000);
      const arg = new NDArray(xs, [xs.length]);
      const a = fn([v], op(v), { backend: 'native' })(arg).data;
      const b = fn([v], op(v), { backend: 'js' })(arg).data;
      let worst = 0;
      let at = NaN;
      for (let i = 0; i < xs.length; i++) {
        // Near a zero of the function the comparison is absolute, in units of 1e-300 + ulp(1).
        const d = Math.abs(b[i]) < 1e-3 && name === 'psi' ? Math.abs(a[i] - b[i]) / 2.2e-16 : ulps(a[i], b[i]);
        if (d > worst) {
          worst = d;
          at = xs[i];
        }
      }
      expect(worst, `${name}: ${worst} ulp at ${at}`).toBeLessThanOrEqual(tol);
    });
  }
});
