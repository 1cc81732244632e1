/**
 * conv2d against numpy/PyTorch fixtures (gen_conv.py): values and both gradients for every
 * option, on the js and native backends, float64 and float32; finite differences (first and
 * second order); empty batches; shapes that change between calls; errors.
 */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/conv.json';
import { T, fn, grad, gradient, shared, printing, NDArray, random, backendInfo, setBlasThreads } from 'theanode';
import type { Conv2dOptions } from '../../lib/ops/conv.js';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { loadAddon } from '../../binding/index.js';
import { expectClose } from './close.js';

import type { Arr } from './close.js';
type Case = { opts: Conv2dOptions; x: Arr; w: Arr; out: Arr; r: Arr; gx: Arr; gw: Arr };
const cases = (fixture as unknown as { conv: Record<string, Case> }).conv;
const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

const toArray = (a: Arr, dtype: 'float64' | 'float32' = 'float64') => new NDArray(Float64Array.from(a.data), a.shape).astype(dtype);

function convAndGrads(c: Case, dtype: 'float64' | 'float32', backend: 'js' | 'native') {
  const x = T.tensor4('x', dtype);
  const w = T.tensor4('w', dtype);
  const out = T.nnet.conv2d(x, w, c.opts);
  const cost = out.mul(toArray(c.r, dtype)).sum();
  const [gx, gw] = grad(cost, [x, w]);
  const f = fn([x, w], [out, gx, gw], { backend });
  expect(f.backend).toBe(backend);
  return f(toArray(c.x, dtype), toArray(c.w, dtype));
}

describe('conv2d against the fixtures', () => {
  for (const [name, c] of Object.entries(cases)) {
    for (const backend of backends) {
      it(`${name} (${backend}, float64 and float32)`, () => {
        for (const dtype of ['float64', 'float32'] as const) {
          const rtol = dtype === 'float64' ? 1e-10 : 1e-5;
          const [out, gx, gw] = convAndGrads(c, dtype, backend);
          expect(out.dtype).toBe(dtype);
          expectClose(out, c.out, `${name} ${dtype} value`, rtol);
          expectClose(gx, c.gx, `${name} ${dtype} gradient of the input`, rtol);
          expectClose(gw, c.gw, `${name} ${dtype} gradient of the filters`, rtol);
        }
      });
    }
  }
});

describe('conv2d gradients against finite differences', () => {
  const rng = new random.RandomState(3);
  const pt = (...s: number[]) => rng.randn(...(s as [number])) as NDArray;
  const options: Conv2dOptions[] = [
    {},
    { borderMode: 'full', filterFlip: false },
    { borderMode: 'half', subsample: [2, 1] },
    { borderMode: [1, 2], filterDilation: [2, 1] },
  ];
  for (const opts of options) {
    it(`first order ${JSON.stringify(opts)}`, () => {
      gradient.verifyGrad((x, w) => T.nnet.conv2d(x, w, opts), [pt(2, 2, 5, 4), pt(3, 2, 2, 3)]);
    });
    it(`second order ${JSON.stringify(opts)}`, () => {
      // The gradient ops are differentiated again: d/dx and d/dw of ||d cost/dx||² and ||d cost/dw||².
      // A step of 1e-5: the checked quantity is a quartic in values of order 10, and 1e-7 drowns in rounding.
      gradient.verifyGrad((x, w) => {
        const out = T.nnet.conv2d(x, w, opts);
        const cost = out.mul(out).mul(out).sum();
        const [gx, gw] = grad(cost, [x, w]);
        return gx.sqr().sum().add(gw.sqr().sum());
      }, [pt(2, 2, 5, 4), pt(3, 2, 2, 3)], { eps: 1e-5 });
    });
  }

  it('batch of one, one channel, broadcastable axes (verifyGrad marks length-1 axes)', () => {
    gradient.verifyGrad((x, w) => T.nnet.conv2d(x, w, { borderMode: 'half' }), [pt(1, 1, 4, 5), pt(1, 1, 3, 3)]);
  });
});

describe('conv2d edge cases', () => {
  for (const backend of backends) {
    it(`an empty batch gives an empty output and zero filter gradients (${backend})`, () => {
      const x = T.tensor4('x');
      const w = T.tensor4('w');
      const out = T.nnet.conv2d(x, w, { borderMode: 'full' });
      const gw = grad(out.sum(), w);
      const f = fn([x, w], [out, gw], { backend });
      const [o, g] = f(new NDArray(new Float64Array(0), [0, 2, 5, 5]), new NDArray(Float64Array.from({ length: 24 }, (_, i) => i), [3, 2, 2, 2]));
      expect(o.shape).toEqual([0, 3, 6, 6]);
      expect(g.shape).toEqual([3, 2, 2, 2]);
      expect(Array.from(g.data)).toEqual(new Array(24).fill(0));
    });

    it(`one compiled function serves several shapes (${backend})`, () => {
      const c = cases.valid;
      const x = T.tensor4('x');
      const w = T.tensor4('w');
      const f = fn([x, w], T.nnet.conv2d(x, w), { backend });
      const xs = toArray(c.x);
      const ws = toArray(c.w);
      const full = f(xs, ws);
      // The second image alone, then both again: each plan matches the fixture.
      const one = f(new NDArray(xs.data.slice(xs.size / 2), [1, ...xs.shape.slice(1)]), ws);
      expectClose(one, { shape: [1, ...c.out.shape.slice(1)], data: c.out.data.slice(c.out.data.length / 2) }, 'second image', 1e-12);
      expectClose(f(xs, ws), c.out, 'both again', 1e-12);
      expectClose(full, c.out, 'both', 1e-12);
    });
  }

  it('hand-computed: a 2x2 true convolution flips the filter', () => {
    const x = new NDArray(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 1, 3, 3]);
    const w = new NDArray(Float64Array.from([1, 0, 0, 2]), [1, 1, 2, 2]);
    const xv = T.tensor4('x');
    const wv = T.tensor4('w');
    const conv = fn([xv, wv], T.nnet.conv2d(xv, wv), { backend: 'js' });
    const corr = fn([xv, wv], T.nnet.conv2d(xv, wv, { filterFlip: false }), { backend: 'js' });
    // convolution: out[i,j] = 2 x[i,j] + x[i+1,j+1]; correlation: x[i,j] + 2 x[i+1,j+1].
    expect(Array.from(conv(x, w).data)).toEqual([7, 10, 16, 19]);
    expect(Array.from(corr(x, w).data)).toEqual([11, 14, 20, 23]);
  });

  it('rejects bad options and shapes with clear errors', () => {
    const x = T.tensor4('x');
    const w = T.tensor4('w');
    expect(() => T.nnet.conv2d(T.tensor3('x3'), w)).toThrow(/conv2d: input must be 4-d \(batch, channels, rows, cols\), got 3-d/);
    expect(() => T.nnet.conv2d(x, w, { borderMode: 'same' as never })).toThrow(/borderMode must be 'valid', 'full', 'half'/);
    expect(() => T.nnet.conv2d(x, w, { subsample: [0, 1] })).toThrow(/subsample must be two integers >= 1/);
    expect(() => T.nnet.conv2d(x, w, { filterDilation: [1] })).toThrow(/filterDilation must be two integers >= 1/);
    const f = fn([x, w], T.nnet.conv2d(x, w), { backend: 'js' });
    expect(() => f(new NDArray(new Float64Array(2 * 3 * 4 * 4), [2, 3, 4, 4]), new NDArray(new Float64Array(2 * 2 * 3 * 3), [2, 2, 3, 3]))).toThrow(/the input \(2, 3, 4, 4\) has 3 channels but the filters \(2, 2, 3, 3\) expect 2/);
    expect(() => f(new NDArray(new Float64Array(3 * 4 * 4), [1, 3, 4, 4]), new NDArray(new Float64Array(3 * 5 * 3), [1, 3, 5, 3]))).toThrow(/do not fit in the input/);
  });

  it('mixed dtypes are upcast; integer inputs become floatX', () => {
    const x = T.tensor4('x', 'float32');
    const w = T.tensor4('w', 'float64');
    expect(T.nnet.conv2d(x, w).dtype).toBe('float64');
    expect(T.nnet.conv2d(T.tensor('int32', [false, false, false, false]), T.tensor('int32', [false, false, false, false])).dtype).toMatch(/float/);
  });
});

describe.runIf(nativeStatus().available)('native conv2d and pool2d agree with js', () => {
  it('a LeNet-like step on two threads: batch and filter-gradient bands split, float64 and float32', () => {
    const before = backendInfo().blasThreads ?? 1;
    setBlasThreads(2);
    try {
      const rng = new random.RandomState(4);
      for (const dtype of ['float64', 'float32'] as const) {
        const x = T.tensor4('x', dtype);
        const w1 = T.tensor4('w1', dtype);
        const w2 = T.tensor4('w2', dtype);
        const h = T.tanh(T.signal.pool2d(T.nnet.conv2d(x, w1), { ws: [2, 2] }));
        const out = T.signal.pool2d(T.nnet.conv2d(h, w2, { borderMode: 'half' }), { ws: [2, 2], mode: 'average_exc_pad', ignoreBorder: false });
        const cost = out.sqr().sum();
        const outs = [out, ...grad(cost, [x, w1, w2])];
        const args = [rng.randn(9, 2, 16, 15), rng.randn(6, 2, 5, 5), rng.randn(5, 6, 3, 3)].map((a) => (a as NDArray).astype(dtype));
        const js = fn([x, w1, w2], outs, { backend: 'js' })(...args);
        const nat = fn([x, w1, w2], outs, { backend: 'native' })(...args);
        const rtol = dtype === 'float64' ? 1e-10 : 1e-4;
        js.forEach((r, i) => expectClose(nat[i], { shape: r.shape, data: Array.from(r.data) }, `${dtype} output ${i}`, rtol));
      }
    } finally {
      setBlasThreads(before);
    }
  });
});

describe.runIf(nativeStatus().available)('the native filter gradient over groups of images and spans of groups', () => {
  // Each case's column matrices are sized so that the plan groups several images per product
  // (or one) and cuts the groups into several spans, the last group short.
  const layouts: { name: string; x: number[]; w: number[]; opts?: Conv2dOptions; group: number; spans: number }[] = [
    { name: 'one image per group, eight spans of one or two', x: [11, 1, 70, 70], w: [3, 1, 5, 5], group: 1, spans: 8 },
    { name: 'three images per group, the last group of one', x: [10, 3, 37, 37], w: [4, 3, 3, 3], group: 3, spans: 4 },
    { name: 'padding and a stride, a group of six and one of one', x: [7, 2, 40, 41], w: [3, 2, 4, 3], opts: { borderMode: 'half', subsample: [2, 1] }, group: 6, spans: 2 },
    { name: '1x1 filters (the images are their own columns)', x: [13, 4, 9, 9], w: [5, 4, 1, 1], group: 1, spans: 8 },
  ];
  for (const c of layouts) {
    it(`${c.name}: as the js backend, and the same bits on 1 and 2 threads`, () => {
      const before = backendInfo().blasThreads ?? 1;
      const rng = new random.RandomState(21);
      try {
        for (const dtype of ['float64', 'float32'] as const) {
          const x = T.tensor4('x', dtype);
          const w = T.tensor4('w', dtype);
          const out = T.nnet.conv2d(x, w, c.opts ?? {});
          const r = T.tensor4('r', dtype);
          const gw = grad(out.mul(r).sum(), w);
          const X = (rng.randn(...(c.x as [number])) as NDArray).astype(dtype);
          const W = (rng.randn(...(c.w as [number])) as NDArray).astype(dtype);
          const R = (rng.randn(...(fn([x, w], out, { backend: 'js' })(X, W).shape as [number])) as NDArray).astype(dtype);
          const js = fn([x, w, r], gw, { backend: 'js' })(X, W, R);
          const f = fn([x, w, r], gw, { backend: 'native' });
          setBlasThreads(1);
          const one = f(X, W, R);
          setBlasThreads(2);
          const two = f(X, W, R);
          const k = f.program.instructions.findIndex((ins) => ins.opcode === 'conv2d_grad_weights');
          expect(f.lastPlan!.decisions[k]).toMatchObject({ group: c.group, spans: c.spans });
          expectClose(one, { shape: js.shape, data: Array.from(js.data) }, `${dtype} filter gradient`, dtype === 'float64' ? 1e-12 : 1e-5);
          expect(Array.from(two.data), `${dtype}: 2 threads`).toEqual(Array.from(one.data));
        }
      } finally {
        setBlasThreads(before);
      }
    });
  }
});

describe.runIf(nativeStatus().available)('the debug backend runs conv2d and pool2d programs', () => {
  it('both backends, compared instruction by instruction, on a step with updates', () => {
    const rng = new random.RandomState(8);
    const x = T.tensor4('x');
    const w = shared(rng.randn(4, 2, 3, 3) as NDArray, 'w');
    const out = T.signal.pool2d(T.nnet.conv2d(x, w, { borderMode: 'half', subsample: [1, 2] }), { ws: [2, 2], ignoreBorder: false });
    const cost = out.sqr().mean();
    const step = fn([x], cost, { updates: [[w, w.sub(grad(cost, w).mul(0.1))]], backend: 'debug' });
    const before = w.getValue();
    expect(() => step(rng.randn(3, 2, 7, 6) as NDArray)).not.toThrow();
    expect(w.getValue().data.some((v, i) => v !== before.data[i])).toBe(true);
    expect(printing.debugprint(step)).toMatch(/conv2d_grad_weights\{half,subsample=1x2\}/);
  });
});

describe.runIf(nativeStatus().available)('native conv2d and pool2d kernels check the attributes they are given', () => {
  it('a forged geometry is an error when the executor is made, not a read out of bounds', () => {
    const Ex = loadAddon().addon!.Executor;
    const buffers = [0, 1, 2].map((ref) => ({ dtype: 'float64', kind: 'input', ref }));
    // The geometry is the plan's decision for the instruction; the attributes keep the op's own options.
    // As lib/backend/native hands them to the addon: the program and plan as JSON text.
    const prog = (opcode: string, attrs: object, n = 3) => ({ text: JSON.stringify({ buffers: buffers.slice(0, n), instructions: [{ opcode, inputs: n === 3 ? [0, 1] : [0], outputs: [n - 1], attrs }], inputs: [0, 1, 2].slice(0, n), shared: [], outputs: [], updates: [] }), constants: [] });
    // One column matrix of 4 x 9 in the float64 arena, as the planner would place it.
    const work = [{ dtype: 'float64', offset: 0, elements: 36 }];
    const planOf = (shapes: number[][], decision: object | null, workspace: object[] | null = work, arena = 36) => ({ shapes, offsets: shapes.map(() => -1), alias: shapes.map(() => -1), skip: [false], snapshot: [], decisions: [decision], workspace: [workspace], arena: { float64: arena, float32: 0, int32: 0, bool: 0 } });
    const plan = (shapes: number[][], decision: object, workspace: object[] | null = work, arena = 36) => JSON.stringify(planOf(shapes, decision, workspace, arena));
    const g = { batch: 1, channels: 1, rows: 4, cols: 4, outChannels: 1, fRows: 2, fCols: 2, outRows: 3, outCols: 3, padRows: 0, padCols: 0, strideRows: 1, strideCols: 1, dilRows: 1, dilCols: 1, flip: true, colRows: 4, colCols: 9, direct: false, parts: 1 };
    const shapes = [[1, 1, 4, 4], [1, 1, 2, 2], [1, 1, 3, 3]];
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g))).not.toThrow();
    // The workspace must be there, big enough, and inside the arena.
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g, null))).toThrow(/conv2d: the plan's workspace 0 is missing or too small/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, { ...g, parts: 2 }))).toThrow(/workspace 0 is missing or too small/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g, [{ dtype: 'float32', offset: 0, elements: 0 }]))).toThrow(/workspace 0 is missing or too small/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g, [{ dtype: 'float64', offset: 1, elements: 36 }]))).toThrow(/instruction 0: a workspace does not fit its arena/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g, work, 35))).toThrow(/a workspace does not fit its arena/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g, [{ dtype: 'float64', offset: -1, elements: 36 }]))).toThrow(/a workspace does not fit its arena/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, g, [{ offset: 0, elements: 36 }]))).toThrow(/a workspace needs a dtype/);
    expect(() => new Ex(prog('conv2d', {}), JSON.stringify({ ...planOf(shapes, g), workspace: 5 }))).toThrow(/plan does not match the program's instructions/);
    expect(() => new Ex(prog('conv2d', {}), JSON.stringify({ ...planOf(shapes, g), workspace: [] }))).toThrow(/plan does not match the program's instructions/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, { ...g, padRows: 9 }))).toThrow(/conv2d: the geometry does not match the plan's shapes/);
    // The filter gradient's groups and spans, and the workspace they need: per part a group's
    // columns (4 x 9) and output gradients (1 x 9), then a partial result (1 x 4) per span.
    const gwShapes = [[1, 1, 4, 4], [1, 1, 3, 3], [1, 1, 2, 2]];
    const gw = { ...g, group: 1, spans: 1 };
    const gwWork = (elements: number) => [{ dtype: 'float64', offset: 0, elements }];
    expect(() => new Ex(prog('conv2d_grad_weights', {}), plan(gwShapes, gw, gwWork(49), 49))).not.toThrow();
    expect(() => new Ex(prog('conv2d_grad_weights', {}), plan(gwShapes, gw, gwWork(48), 49))).toThrow(/conv2d_grad_weights: the plan's workspace 0 is missing or too small/);
    for (const bad of [{ spans: 2 }, { group: 2 }, { group: 0 }, { spans: 0 }, { parts: 2 }])
      expect(() => new Ex(prog('conv2d_grad_weights', {}), plan(gwShapes, { ...gw, ...bad }, gwWork(200), 200)), JSON.stringify(bad)).toThrow(/groups and spans are out of range/);
    expect(() => new Ex(prog('conv2d_grad_weights', {}), plan(gwShapes, g, gwWork(49), 49))).toThrow(/attribute/);
    expect(() => new Ex(prog('conv2d', {}), plan(shapes, { ...g, strideRows: 0 }))).toThrow(/geometry does not match/);
    expect(() => new Ex(prog('conv2d', {}), plan([[1, 1, 5, 4], [1, 1, 2, 2], [1, 1, 3, 3]], g))).toThrow(/geometry does not match/);
    const p = { planes: 1, rows: 4, cols: 4, outRows: 2, outCols: 2, rowLo: [0, 2], rowHi: [2, 4], rowDiv: [1, 1], colLo: [0, 2], colHi: [2, 4], colDiv: [1, 1], pairs: false, parts: 1 };
    const pshapes = [[1, 1, 4, 4], [1, 1, 2, 2]];
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, p))).not.toThrow();
    // Max needs no scratch; sums need a float64 row of outCols per part, from the plan's workspace.
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, p, null))).not.toThrow();
    expect(() => new Ex(prog('pool2d', { mode: 'sum' }, 2), plan(pshapes, p, [{ dtype: 'float64', offset: 0, elements: 2 }], 2))).not.toThrow();
    expect(() => new Ex(prog('pool2d', { mode: 'sum' }, 2), plan(pshapes, p, null))).toThrow(/pool2d: the plan's workspace 0 is missing or too small \(needs 2 elements\)/);
    expect(() => new Ex(prog('pool2d', { mode: 'sum' }, 2), plan(pshapes, { ...p, parts: 4 }, [{ dtype: 'float64', offset: 0, elements: 7 }]))).toThrow(/workspace 0 is missing or too small \(needs 8 elements\)/);
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, { ...p, parts: 0 }))).toThrow(/pool2d: the plan's number of parts is out of range/);
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, { ...p, parts: undefined }))).toThrow(/attribute/);
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, { ...p, pairs: true }))).not.toThrow();
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, { ...p, pairs: true, rowLo: [0, 1], rowHi: [2, 3] }))).toThrow(/pool2d: the plan's 2x2 tiling does not match its windows/);
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, { ...p, rowLo: [0, 4], rowHi: [2, 4] }))).toThrow(/pool2d: an empty window/);
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), plan(pshapes, { ...p, colHi: [2, 9] }))).toThrow(/pool2d: attribute colHi is out of range/);
    expect(() => new Ex(prog('pool2d', { mode: 'max' }, 2), JSON.stringify(planOf(pshapes, null)))).toThrow(/pool2d: the plan carries no decision/);
  });
});
