/**
 * pool2d against numpy fixtures (gen_conv.py, checked there against torch where torch has the
 * same rule): every mode, ignoreBorder both ways, strides smaller and larger than the window,
 * padding, ties for max; gradients (Theano's semantics for ties), both backends, float64 and
 * float32; finite differences; hand-derived cases; errors.
 */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/conv.json';
import { T, fn, grad, gradient, NDArray, random, backendInfo, setBlasThreads } from 'theanode';
import type { Pool2dOptions } from '../../lib/ops/pool.js';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { expectClose } from './close.js';

import type { Arr } from './close.js';
type Case = { opts: Pool2dOptions; x: Arr; out: Arr; r: Arr; gx: Arr };
const cases = (fixture as unknown as { pool: Record<string, Case> }).pool;
const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
const toArray = (a: Arr, dtype: 'float64' | 'float32' = 'float64') => new NDArray(Float64Array.from(a.data), a.shape).astype(dtype);

describe('pool2d against the fixtures', () => {
  for (const [name, c] of Object.entries(cases)) {
    for (const backend of backends) {
      it(`${name} (${backend}, float64 and float32)`, () => {
        for (const dtype of ['float64', 'float32'] as const) {
          const x = T.tensor(dtype, c.x.shape.map(() => false), 'x');
          const out = T.signal.pool2d(x, c.opts);
          const gx = grad(out.mul(toArray(c.r, dtype)).sum(), x);
          const f = fn([x], [out, gx], { backend });
          expect(f.backend).toBe(backend);
          const [o, g] = f(toArray(c.x, dtype));
          const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
          expectClose(o, c.out, `${name} ${dtype} value`, rtol);
          expectClose(g, c.gx, `${name} ${dtype} gradient`, rtol);
        }
      });
    }
  }
});

describe('pool2d by hand', () => {
  const x = new NDArray(Float64Array.from([1, 3, 3, 0, 2, 1, 0, 3, 5]), [1, 1, 3, 3]);
  const run = (opts: Pool2dOptions, backend: 'js' | 'native', gz?: number[]) => {
    const v = T.tensor4('x');
    const out = T.signal.pool2d(v, opts);
    const outs = gz ? [out, grad(out.mul(new NDArray(Float64Array.from(gz), [1, 1, gz.length === 4 ? 2 : 1, gz.length === 4 ? 2 : gz.length])).sum(), v)] : [out];
    return fn([v], outs, { backend })(x).map((a) => Array.from(a.data));
  };
  for (const backend of backends) {
    it(`max with ties: every maximal input gets the whole gradient (${backend})`, () => {
      // Windows 2x2 at stride 1: [1 3;0 2] max 3, [3 3;2 1] max 3 (twice), [0 2;0 3] max 3, [2 1;3 5] max 5.
      const [out, gx] = run({ ws: [2, 2], stride: [1, 1] }, backend, [10, 20, 30, 40]);
      expect(out).toEqual([3, 3, 3, 5]);
      // x[0,1]=3 is the max of windows 0 and 1: 10 + 20; x[0,2]=3 ties in window 1: 20; x[2,1]=3 in window 2: 30; x[2,2]=5: 40.
      expect(gx).toEqual([0, 30, 20, 0, 0, 0, 0, 30, 40]);
    });
    it(`ignoreBorder false keeps the partial windows; averages count what they should (${backend})`, () => {
      expect(run({ ws: [2, 2], ignoreBorder: false }, backend)[0]).toEqual([3, 3, 3, 5]);
      expect(run({ ws: [2, 2], ignoreBorder: false, mode: 'sum' }, backend)[0]).toEqual([6, 4, 3, 5]);
      // Partial windows divide by the elements they hold (no padding is involved).
      expect(run({ ws: [2, 2], ignoreBorder: false, mode: 'average_inc_pad' }, backend)[0]).toEqual([1.5, 2, 1.5, 5]);
      // Padding 1, a 2x2 window at stride 2: windows hold {1}, {3, 3}, {0}, {2, 1, 3, 5} of the image.
      expect(run({ ws: [2, 2], pad: [1, 1], mode: 'average_inc_pad' }, backend)[0]).toEqual([0.25, 1.5, 0, 2.75]);
      expect(run({ ws: [2, 2], pad: [1, 1], mode: 'average_exc_pad' }, backend)[0]).toEqual([1, 3, 0, 2.75]);
      expect(run({ ws: [2, 2], pad: [1, 1], mode: 'max' }, backend)[0]).toEqual([1, 3, 0, 5]);
    });
  }

  it('2x2 windows that tile the image (the native fast path): ties, NaN and signed zeros as the general rule', () => {
    // Planes of 4x6 and 2x2 windows: one window [NaN 1; 2 NaN] (the first element starts the
    // maximum, so NaN wins), ties, and gradients of -0 (a maximal input gets 0 + gz, so +0).
    const xs = [NaN, 1, 3, 3, -1, -2, 2, NaN, 3, 0, -2, -1, 0, -0, 4, 4, 7, 1, -0, 0, 4, 4, 1, 7];
    const gz = [1, 2, -0, -0, 5, 6];
    const x = T.tensor4('x');
    const out = T.signal.pool2d(x, { ws: [2, 2] });
    const gx = grad(out.mul(new NDArray(Float64Array.from(gz), [1, 1, 2, 3])).sum(), x);
    const results = backends.map((backend) => fn([x], [out, gx], { backend })(new NDArray(Float64Array.from(xs), [1, 1, 4, 6])));
    const [o, g] = results[0];
    expect(Array.from(o.data)).toEqual([NaN, 3, -1, 0, 4, 7]);
    expect(Array.from(g.data).map((v) => Object.is(v, -0))).toEqual(xs.map(() => false));
    expect(Array.from(g.data)).toEqual([0, 0, 2, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 5, 5, 6, 0, 0, 0, 5, 5, 0, 6]);
    for (const r of results.slice(1)) r.forEach((a, i) => expect(Array.from(a.data)).toEqual(Array.from(results[0][i].data)));
  });

  it('any leading axes: a matrix and a 5-d tensor', () => {
    const m = T.matrix('m');
    const f = fn([m], T.signal.pool2d(m, { ws: [1, 2] }), { backend: 'js' });
    expect(Array.from(f(new NDArray(Float64Array.from([1, 5, 2, 4, 7, 0]), [2, 3])).data)).toEqual([5, 7]);
    const t5 = T.tensor('float64', [false, false, false, false, false], 't');
    const g = fn([t5], T.signal.pool2d(t5, { ws: [2, 2] }), { backend: 'js' });
    expect(g(new NDArray(Float64Array.from({ length: 2 * 2 * 3 * 4 * 4 }, (_, i) => i), [2, 2, 3, 4, 4])).shape).toEqual([2, 2, 3, 2, 2]);
  });

  it('empty batch and windows larger than the image (ignoreBorder: no output)', () => {
    const v = T.tensor4('x');
    const f = fn([v], T.signal.pool2d(v, { ws: [4, 4] }), { backend: 'js' });
    expect(f(new NDArray(new Float64Array(0), [0, 2, 5, 5])).shape).toEqual([0, 2, 1, 1]);
    expect(f(new NDArray(new Float64Array(18), [1, 2, 3, 3])).shape).toEqual([1, 2, 0, 0]);
  });

  it('rejects bad options with clear errors', () => {
    const v = T.tensor4('x');
    expect(() => T.signal.pool2d(v, { ws: [2] })).toThrow(/pool2d: ws must be two integers >= 1/);
    expect(() => T.signal.pool2d(v, { ws: [2, 2], pad: [1, 0], ignoreBorder: false })).toThrow(/padding works only with ignoreBorder: true/);
    expect(() => T.signal.pool2d(v, { ws: [2, 2], pad: [2, 0] })).toThrow(/padding 2x0 must be smaller than the window 2x2/);
    expect(() => T.signal.pool2d(v, { ws: [2, 2], mode: 'mean' as never })).toThrow(/mode must be one of max, sum/);
    expect(() => T.signal.pool2d(T.vector('v'), { ws: [2, 2] })).toThrow(/at least 2 dimensions/);
    expect(() => T.signal.pool2d(T.imatrix('i'), { ws: [2, 2] })).toThrow(/float32 or float64, got int32/);
  });
});

describe('pool2d gradients against finite differences', () => {
  const rng = new random.RandomState(9);
  const opts: Pool2dOptions[] = [
    { ws: [2, 2] },
    { ws: [3, 2], stride: [1, 2], ignoreBorder: false },
    { ws: [3, 3], stride: [2, 2], pad: [1, 2], mode: 'sum' },
    { ws: [2, 3], pad: [1, 1], mode: 'average_inc_pad' },
    { ws: [3, 3], stride: [2, 1], pad: [2, 1], mode: 'average_exc_pad' },
    { ws: [2, 2], ignoreBorder: false, mode: 'average_exc_pad' },
  ];
  for (const o of opts) {
    it(JSON.stringify(o), () => {
      gradient.verifyGrad((x) => T.signal.pool2d(x, o), [rng.randn(2, 2, 5, 6) as NDArray]);
    });
  }
  for (const backend of backends) {
    it(`second order for max: the gradient's adjoint sums each window's maximal inputs (${backend})`, () => {
      // Away from ties the selection is constant, so finite differences see the same second derivative.
      gradient.verifyGrad((x) => {
        const p = T.signal.pool2d(x, { ws: [2, 3], stride: [1, 2], ignoreBorder: false });
        return grad(p.sqr().sum(), x).sqr();
      }, [rng.randn(1, 2, 5, 4) as NDArray], { eps: 1e-5, backend });
      // By hand, with a tie: windows 2x2 at stride 1 over [1 3 3; 0 2 1; 0 3 5].
      const v = T.tensor4('x');
      const gg = T.tensor4('gg');
      const z = T.signal.pool2d(v, { ws: [2, 2], stride: [1, 1] });
      const gz = T.tensor4('gz');
      const gx = grad(z.mul(gz).sum(), v);
      // d<gg, gx>/d gz: each window's sum of gg over its maximal inputs.
      const ggz = grad(gx.mul(gg).sum(), gz);
      const f = fn([v, gz, gg], ggz, { backend });
      const x = new NDArray(Float64Array.from([1, 3, 3, 0, 2, 1, 0, 3, 5]), [1, 1, 3, 3]);
      const ggv = new NDArray(Float64Array.from([1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8]), [1, 1, 3, 3]);
      expect(Array.from(f(x, new NDArray(new Float64Array(4), [1, 1, 2, 2]), ggv).data)).toEqual([10, 110, 1e7, 1e8]);
    });
  }

  it('second order for sum and averages (the gradient is pooling again)', () => {
    gradient.verifyGrad((x) => {
      const p = T.signal.pool2d(x, { ws: [3, 2], stride: [2, 1], pad: [1, 1], mode: 'average_exc_pad' });
      return grad(p.sqr().sum(), x).sqr();
    }, [rng.randn(1, 2, 5, 4) as NDArray], { eps: 1e-5 });
  });
});

/** Pooling and its gradient by the definition, in float64: each input sums gz (sum) or gz where it is maximal (max) over the windows that hold it. */
function direct(x: NDArray, gz: NDArray, ws: [number, number], stride: [number, number], mode: 'max' | 'sum'): { out: number[]; gx: number[] } {
  const [rows, cols] = x.shape.slice(-2);
  const [outRows, outCols] = gz.shape.slice(-2);
  const planes = x.size / (rows * cols);
  const gx = new Array<number>(x.size).fill(0);
  const out: number[] = [];
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < outRows; i++) {
      for (let j = 0; j < outCols; j++) {
        const at = (r: number, c: number) => p * rows * cols + (i * stride[0] + r) * cols + j * stride[1] + c;
        let m = -Infinity;
        let s = 0;
        for (let r = 0; r < ws[0]; r++) for (let c = 0; c < ws[1]; c++) (m = Math.max(m, x.data[at(r, c)])), (s += x.data[at(r, c)]);
        out.push(mode === 'max' ? m : s);
        const g = gz.data[(p * outRows + i) * outCols + j];
        for (let r = 0; r < ws[0]; r++) for (let c = 0; c < ws[1]; c++) if (mode === 'sum' || x.data[at(r, c)] === m) gx[at(r, c)] += g;
      }
    }
  }
  return { out, gx };
}

describe('pool2d scratch in the plan: more planes than parts, on two threads', () => {
  // 3 x 5 planes (more than the 8 parts a plan gives the native kernels), overlapping windows
  // (inputs counted by several windows, so the gradients add up shares), float64 and float32.
  for (const backend of backends) {
    for (const mode of ['max', 'sum'] as const) {
      it(`${mode}: value and gradient equal the definition (${backend})`, () => {
        const before = backendInfo().blasThreads ?? 1;
        if (backend === 'native') setBlasThreads(2);
        try {
          const rng = new random.RandomState(11);
          const ws: [number, number] = [3, 2];
          const stride: [number, number] = [1, 2];
          const x64 = rng.randn(3, 5, 7, 6) as NDArray;
          const gz64 = rng.randn(3, 5, 5, 3) as NDArray;
          for (const dtype of ['float64', 'float32'] as const) {
            const x = T.tensor4('x', dtype);
            const gz = T.tensor4('gz', dtype);
            const out = T.signal.pool2d(x, { ws, stride, mode });
            const f = fn([x, gz], [out, grad(out.mul(gz).sum(), x)], { backend });
            // The same values rounded to the dtype, so the definition sees what the kernels see.
            const xv = x64.astype(dtype);
            const gv = gz64.astype(dtype);
            const [o, g] = f(xv, gv);
            expect(f.lastPlan!.workspace.some((w) => w && w.length > 0)).toBe(true);
            const rtol = dtype === 'float64' ? 1e-12 : 1e-5;
            const exact = direct(xv.astype('float64'), gv.astype('float64'), ws, stride, mode);
            expectClose(o, { shape: gz64.shape, data: exact.out }, `${mode} ${dtype} value`, rtol);
            expectClose(g, { shape: x64.shape, data: exact.gx }, `${mode} ${dtype} gradient`, rtol);
          }
        } finally {
          setBlasThreads(before);
        }
      });
    }
  }
});
