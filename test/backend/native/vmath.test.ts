/**
 * The native elementwise kernels compute exp, log, log1p, tanh, sigmoid and softplus with their own
 * branch-free code (native/src/kernels/vmath.h). Checked here against Math.* (which V8 computes
 * to within 1 ulp): at most 2 ulp apart (tanh 3) over the whole range, and the special values exactly.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, NDArray } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { ulps } from './ulps.js';

const native = nativeStatus().available;


function samples(lo: number, hi: number, n: number, logScale: boolean): number[] {
  const out: number[] = [];
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 48271) % 2147483647;
    const u = seed / 2147483647;
    out.push(logScale ? (i % 2 ? 1 : -1) * Math.exp(lo + (hi - lo) * u) : lo + (hi - lo) * u);
  }
  return out;
}

const H = {
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
};
const cases = [
  { name: 'exp', op: (v: ReturnType<typeof T.vector>) => v.exp(), ref: Math.exp, ranges: [[-745, 709.7, false], [-1, 1, false], [-40, 6.5, true]] },
  { name: 'log', op: (v: ReturnType<typeof T.vector>) => v.log(), ref: Math.log, ranges: [[1e-320, 1e308, false], [0.5, 2, false], [-740, 700, true]] },
  { name: 'log1p', op: (v: ReturnType<typeof T.vector>) => v.log1p(), ref: Math.log1p, ranges: [[-1, 3, false], [-1, -0.99, false], [-60, 5, true]] },
  { name: 'tanh', op: (v: ReturnType<typeof T.vector>) => v.tanh(), ref: Math.tanh, ranges: [[-25, 25, false], [-0.5, 0.5, false], [-1.2, 1.2, false], [-0.55, -0.45, false], [-700, 3.5, true]], ulp: 3 },
  { name: 'sigmoid', op: (v: ReturnType<typeof T.vector>) => T.nnet.sigmoid(v), ref: H.sigmoid, ranges: [[-40, 40, false], [-745, 40, false]] },
  { name: 'softplus', op: (v: ReturnType<typeof T.vector>) => T.nnet.softplus(v), ref: H.softplus, ranges: [[-40, 40, false], [-745, 745, false]] },
] as const;
// tanh's quotient adds a rounding to its exponential's: 3 ulp.
const bound = (c: (typeof cases)[number]) => ('ulp' in c ? c.ulp : 2);
const specials = [0, -0, Infinity, -Infinity, NaN, 1, -1, 5e-324, -5e-324, 2.2250738585072014e-308, 709.78, 710, -745.13, -746, 1e308, -1.0000001];

describe.skipIf(!native)('native transcendental functions', () => {
  for (const c of cases) {
    it(`${c.name}: within ${bound(c)} ulp of Math over its range, special values exact`, () => {
      const v = T.vector('v');
      const f = fn([v], c.op(v), { backend: 'native' });
      let worst = 0;
      for (const [lo, hi, logScale] of c.ranges) {
        const xs = samples(lo as number, hi as number, 20000, logScale as boolean);
        const out = f(new NDArray(Float64Array.from(xs), [xs.length])).data;
        xs.forEach((x, i) => (worst = Math.max(worst, ulps(out[i], c.ref(x)))));
      }
      expect(worst).toBeLessThanOrEqual(bound(c));
      const out = f(new NDArray(Float64Array.from(specials), [specials.length])).data;
      specials.forEach((x, i) => {
        const ref = c.ref(x);
        if (Number.isNaN(ref) || !Number.isFinite(ref) || ref === 0) expect(out[i], `${c.name}(${x})`).toBe(ref);
        else expect(ulps(out[i], ref), `${c.name}(${x})`).toBeLessThanOrEqual(bound(c));
      });
    });
  }

  it('float32 results are the float64 results rounded', () => {
    const v = T.vector('v', 'float32');
    const w = T.vector('w');
    const xs = samples(-30, 30, 4000, false);
    const f32 = fn([v], [v.exp(), T.nnet.softplus(v), T.nnet.sigmoid(v), v.tanh()], { backend: 'native' });
    const f64 = fn([w], [w.exp(), T.nnet.softplus(w), T.nnet.sigmoid(w), w.tanh()], { backend: 'native' });
    const x32 = new NDArray(Float32Array.from(xs), [xs.length]);
    const a = f32(x32);
    const b = f64(x32.astype('float64'));
    a.forEach((r, k) => expect(Array.from(r.data)).toEqual(Array.from(Float32Array.from(b[k].data))));
  });
});
