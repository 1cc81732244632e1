/**
 * The native elementwise kernels compute exp, log, log1p, tanh, sigmoid and softplus with their own
 * branch-free code (native/src/kernels/vmath.h). Checked here against Math.* (which V8 computes
 * to within 1 ulp): at most 2 ulp apart (tanh 3) over the whole range, and the special values exactly;
 * their float versions, for float32 chains, within 2 float ulp of the exact result.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, NDArray } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { ulps, ulps32 } from './ulps.js';

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

  // float32 chains run in float lanes with float versions of the same functions (vmath_float.h).
  const cases32 = [
    { name: 'exp', ranges: [[-103, 88.7], [-1, 1]] },
    { name: 'log', ranges: [[1e-44, 3e38], [0.5, 2]] },
    { name: 'log1p', ranges: [[-1, 3], [-1, -0.99], [-1e-6, 1e-6]] },
    { name: 'tanh', ranges: [[-12, 12], [-0.6, 0.6], [-1e-5, 1e-5]] },
    { name: 'sigmoid', ranges: [[-40, 40], [-103, 20]] },
    { name: 'softplus', ranges: [[-40, 40], [-103, 100]] },
  ] as const;
  const op32 = (name: string, v: ReturnType<typeof T.vector>) => (name === 'sigmoid' ? T.nnet.sigmoid(v) : name === 'softplus' ? T.nnet.softplus(v) : (v as unknown as Record<string, () => typeof v>)[name]());
  const specials32 = [0, -0, Infinity, -Infinity, NaN, 1, -1, 1e-45, -1e-45, 1.1754942e-38, 88.72, 89, -103.97, -104, 3.4e38, -1.0000001, 1e-7, -1e-7];
  for (const c of cases32) {
    const limit = 2;
    it(`float32 ${c.name}: within ${limit} float ulp of Math over its range, special values exact`, () => {
      const ref = cases.find((k) => k.name === c.name)!.ref as (x: number) => number;
      const v = T.vector('v', 'float32');
      const f = fn([v], op32(c.name, v), { backend: 'native' });
      let worst = 0;
      for (const [lo, hi] of c.ranges) {
        const xs = Float32Array.from(samples(lo, hi, 20000, false));
        const out = f(new NDArray(xs, [xs.length])).data;
        xs.forEach((x, i) => (worst = Math.max(worst, ulps32(out[i], ref(x)))));
      }
      expect(worst).toBeLessThanOrEqual(limit);
      const xs = Float32Array.from(specials32);
      const out = f(new NDArray(xs, [xs.length])).data;
      xs.forEach((x, i) => {
        const r = Math.fround(ref(x));
        if (Number.isNaN(r) || !Number.isFinite(r) || r === 0) expect(out[i], `${c.name}(${x})`).toBe(r);
        else expect(ulps32(out[i], ref(x)), `${c.name}(${x})`).toBeLessThanOrEqual(limit);
      });
    });
  }

  it('float32 chains without those functions give the js results bit for bit', () => {
    const x = T.matrix('x', 'float32');
    const y = T.vector('y', 'float32');
    const outs = [
      x.mul(y).add(0.5).div(y.abs().add(1)).sqrt(), T.maximum(x, y).sub(T.clip(x, -0.25, 0.75)), T.switch(x.gt(y), x.sqr(), y.neg()),
      x.abs().pow(y), x.expm1(), x.mul(3).floor().add(x.mul(2).round()), x.gt(0).and(y.lt(0.5)),
    ];
    const args = [new NDArray(Float32Array.from(samples(-3, 3, 37 * 29, false)), [37, 29]), new NDArray(Float32Array.from(samples(-2, 2, 29, false)), [29])];
    const nat = fn([x, y], outs, { backend: 'native' })(...args);
    const js = fn([x, y], outs, { backend: 'js' })(...args);
    nat.forEach((r, k) => expect(Array.from(r.data), `output ${k}`).toEqual(Array.from(js[k].data)));
  });
});
