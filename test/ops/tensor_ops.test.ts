/**
 * The ops added for theano.tensor parity against numpy/scipy values and PyTorch gradients
 * (fixtures from gen_tensor_ops.py), on both backends; finite differences (verifyGrad) for the
 * differentiable ones; the special functions' stated accuracy over wide ranges, against mpmath.
 */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/tensor_ops.json';
import { T, fn, grad, gradient, NDArray } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

type Case = { inputs: { shape: number[]; data: number[] }[]; out: { shape: number[]; data: number[] }; r: number[]; grads: (number[] | null)[] };
type IntCase = { a: number[]; b: number[]; shape: number[]; out: number[] };
type Sweep = { x: number[]; y: number[] };
type V = Variable;

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

const ops: Record<string, (...xs: V[]) => V> = {
  int_div: (a, b) => T.intDiv(a, b),
  int_div_neg: (a, b) => a.intDiv(b),
  mod: (a, b) => T.mod(a, b),
  sin: (a) => T.sin(a),
  cos: (a) => a.cos(),
  tan: (a) => T.tan(a),
  arcsin: (a) => T.arcsin(a),
  arccos: (a) => T.arccos(a),
  arctan: (a) => T.arctan(a),
  arctan2: (a, b) => T.arctan2(a, b),
  sinh: (a) => T.sinh(a),
  cosh: (a) => T.cosh(a),
  arcsinh: (a) => T.arcsinh(a),
  arccosh: (a) => T.arccosh(a),
  arctanh: (a) => T.arctanh(a),
  log2: (a) => T.log2(a),
  log10: (a) => T.log10(a),
  exp2: (a) => T.exp2(a),
  erf: (a) => T.erf(a),
  erfc: (a) => T.erfc(a),
  erfinv: (a) => T.erfinv(a),
  gamma: (a) => T.gamma(a),
  gammaln: (a) => T.gammaln(a),
  psi: (a) => T.psi(a),
  cumsum_all: (a) => T.cumsum(a),
  cumsum_0: (a) => a.cumsum(0),
  cumsum_neg1: (a) => T.cumsum(a, { axis: -1 }),
  cumprod_1: (a) => T.cumprod(a, 1),
  cumprod_mid: (a) => a.cumprod(1),
  sort_last: (a) => T.sort(a),
  sort_0: (a) => a.sort(0),
  sort_all: (a) => T.sort(a, null),
  argsort_last: (a) => T.argsort(a),
  argsort_1: (a) => a.argsort(1),
  alloc_row: (v) => T.alloc(v, 2, 3, 4),
  alloc_scalar: (v) => T.alloc(v, T.shape(T.zeros([3, 2])).get(0), 2),
  fill: (a, v) => T.fill(a, v),
  where: (a, b) => T.where(a.gt(0), a, b),
};

/** Piecewise constant, or finite differences would cross a jump or an ill-conditioned point. */
const NO_FD = new Set(['int_div', 'int_div_neg', 'argsort_last', 'argsort_1', 'erfinv', 'gamma']);

const cases = Object.fromEntries(Object.entries(fixture).filter(([k]) => k in ops)) as unknown as Record<string, Case>;
const toArray = (x: { shape: number[]; data: number[] }) => new NDArray(Float64Array.from(x.data), x.shape);
const inputVars = (c: Case) => c.inputs.map((x, i) => T.tensor('float64', x.shape.map((d) => d === 1), `x${i}`));

/** One assertion per array, naming the first element out of tolerance. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], label: string, tol = 1e-10) {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) expect.fail(`${label}[${i}]: ${a} vs ${e}`);
  }
}

describe('new ops against numpy, scipy and PyTorch', () => {
  it('covers every case in the fixture', () => {
    const named = Object.keys(fixture).filter((k) => !k.startsWith('int32_') && !k.startsWith('float32_') && k !== 'sweeps');
    expect(named.sort()).toEqual(Object.keys(ops).sort());
  });

  for (const [name, c] of Object.entries(cases)) {
    for (const backend of backends) {
      it(`${name} (${backend})`, () => {
        const xs = inputVars(c);
        const out = ops[name](...xs);
        const args = c.inputs.map(toArray);
        const value = fn(xs, out, { backend })(...args);
        expect(value.shape).toEqual(c.out.shape);
        expectClose(value.data, c.out.data, `${name} value`);
        if (c.grads.every((g) => g === null)) return;
        const cost = out.mul(new NDArray(Float64Array.from(c.r), c.out.shape)).sum();
        const gs = grad(cost, xs, { disconnectedInputs: 'ignore' });
        const got = fn(xs, gs, { backend })(...args);
        c.grads.forEach((g, i) => {
          if (g) expectClose(got[i].data, g, `${name} grad ${i}`, 1e-9);
        });
      });
    }
  }

  for (const op of ['int_div', 'mod'] as const) {
    for (const backend of backends) {
      it(`int32 ${op}: numpy's results, negative operands and a zero divisor (${backend})`, () => {
        const c = (fixture as unknown as Record<string, IntCase>)[`int32_${op}`];
        const a = T.imatrix('a');
        const b = T.imatrix('b');
        const out = op === 'int_div' ? T.intDiv(a, b) : T.mod(a, b);
        expect(out.dtype).toBe('int32');
        const r = fn([a, b], out, { backend })(new NDArray(Int32Array.from(c.a), c.shape), new NDArray(Int32Array.from(c.b), c.shape));
        expect(Array.from(r.data)).toEqual(c.out);
      });
    }
  }
});

describe('float32 running sums and products round every step, as numpy', () => {
  for (const kind of ['cumsum', 'cumprod'] as const) {
    for (const backend of backends) {
      it(`${kind} (${backend}): numpy's float32 values exactly`, () => {
        const c = (fixture as unknown as Record<string, { x: number[]; shape: number[]; out: number[] }>)[`float32_${kind}`];
        const m = T.fmatrix('m');
        const r = fn([m], kind === 'cumsum' ? m.cumsum(1) : m.cumprod(1), { backend })(new NDArray(Float32Array.from(c.x), c.shape));
        expect(r.dtype).toBe('float32');
        const bad = c.out.findIndex((v, i) => r.data[i] !== v);
        expect(bad, bad >= 0 ? `[${bad}]: ${r.data[bad]} vs ${c.out[bad]}` : '').toBe(-1);
      });
    }
  }
});

describe('gradients of the new ops against finite differences (verifyGrad)', () => {
  for (const [name, c] of Object.entries(cases)) {
    if (NO_FD.has(name) || c.grads.every((g) => g === null)) continue;
    it(name, () => {
      expect(() => gradient.verifyGrad((...xs) => ops[name](...xs), c.inputs.map(toArray))).not.toThrow();
    });
  }
  it('erfinv and gamma, away from their steep ends', () => {
    const u = new NDArray(Float64Array.from([-0.8, -0.3, 0.1, 0.6, 0.85]), [5]);
    expect(() => gradient.verifyGrad((a) => T.erfinv(a), [u])).not.toThrow();
    const g = new NDArray(Float64Array.from([-2.5, -0.4, 0.3, 1.7, 6.2]), [5]);
    expect(() => gradient.verifyGrad((a) => T.gamma(a), [g])).not.toThrow();
  });
  it('psi through trigamma, trigamma through tetragamma (so gammaln has a Hessian); tetragamma ends the chain', () => {
    const x = new NDArray(Float64Array.from([-2.5, 0.3, 1.7, 6.2, 40]), [5]);
    expect(() => gradient.verifyGrad((a) => T.psi(a), [x])).not.toThrow();
    expect(() => gradient.verifyGrad((a) => T.trigamma(a), [x])).not.toThrow();
    expect(() => gradient.verifyGrad((a) => T.tetragamma(a), [x])).toThrow(/tetragamma is not differentiable/);
  });
});

/** Worst error over a sweep: relative, or absolute where |y| < floor (near zeros of the function). */
function worstError(got: ArrayLike<number>, s: Sweep, floor: number): { err: number; at: number } {
  let err = 0;
  let at = NaN;
  s.y.forEach((y, i) => {
    const a = got[i];
    if (Object.is(a, y) || (!Number.isFinite(y) && a === y)) return;
    const e = Math.abs(a - y) / Math.max(Math.abs(y), floor);
    if (!(e <= err)) {
      err = e;
      at = s.x[i];
    }
  });
  return { err, at };
}

describe('special functions: stated accuracy against mpmath (40 digits)', () => {
  const sweeps = (fixture as unknown as { sweeps: Record<string, Sweep> }).sweeps;
  const claims: Record<string, { f: (v: V) => V; tol: number; floor: number }> = {
    // Below 1e-290 the comparison is absolute (subnormal results keep fewer digits).
    erf: { f: T.erf, tol: 1e-14, floor: 1e-290 },
    erfc: { f: T.erfc, tol: 1e-14, floor: 1e-290 },
    erfinv: { f: T.erfinv, tol: 1e-14, floor: 1e-300 },
    gamma: { f: T.gamma, tol: 1e-14, floor: 1e-300 },
    gammaln: { f: T.gammaln, tol: 1e-14, floor: 1 },
    psi: { f: T.psi, tol: 1e-14, floor: 1 },
    trigamma: { f: T.trigamma, tol: 1e-14, floor: 1e-300 },
    tetragamma: { f: T.tetragamma, tol: 1e-14, floor: 1e-300 },
  };
  for (const [name, { f, tol, floor }] of Object.entries(claims)) {
    for (const backend of backends) {
      it(`${name} (${backend}): within ${tol}`, () => {
        const s = sweeps[name];
        const v = T.dvector('v');
        const got = fn([v], f(v), { backend })(new NDArray(Float64Array.from(s.x), [s.x.length]));
        const { err, at } = worstError(got.data, s, floor);
        expect(err, `${name}: worst error ${err} at x = ${at}`).toBeLessThanOrEqual(tol);
      });
    }
  }
});
