/**
 * Plans per shape, not per value: index values, slice starts and shared scalar indices are
 * runtime scalars, so the tutorials' minibatch idiom (`givens` slicing a shared dataset by a
 * minibatch index) runs on one plan and gives what passing the minibatch as inputs gives.
 * A plan is made again only when a value changes a shape (a clamped last slice, a variable
 * step, arange's length). Evicted and freed plans release their memory.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, array, NDArray, random } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
const ints = (...v: number[]) => array(v, { dtype: 'int32' });

/** A softmax-regression step, in the tutorial's `givens` form and in the input form. */
function tutorialStep(backend: 'js' | 'native', n: number, bs: number) {
  const rng = new random.RandomState(3);
  const X = rng.randn(n, 6) as NDArray;
  const Y = rng.randint(0, 4, [n]) as NDArray;
  const make = () => shared(new random.RandomState(9).randn(6, 4) as NDArray, 'W');
  const model = (W: ReturnType<typeof make>, x: ReturnType<typeof T.matrix>, y: ReturnType<typeof T.ivector>) => {
    const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W)), y).mean();
    return { cost, updates: [[W, W.sub(grad(cost, W).mul(0.5))]] as [typeof W, ReturnType<typeof T.sub>][] };
  };
  const trainX = shared(X, 'trainX'), trainY = shared(Y.astype('int32'), 'trainY');
  const index = T.iscalar('index');
  const x = T.matrix('x'), y = T.ivector('y');
  const Wg = make();
  const g = model(Wg, x, y);
  const byIndex = fn([index], g.cost, {
    updates: g.updates,
    givens: [
      [x, trainX.get(T.slice(index.mul(bs), index.add(1).mul(bs)))],
      [y, trainY.get(T.slice(index.mul(bs), index.add(1).mul(bs)))],
    ],
    backend,
  });
  const Wi = make();
  const xi = T.matrix('x'), yi = T.ivector('y');
  const m = model(Wi, xi, yi);
  const byInput = fn([xi, yi], m.cost, { updates: m.updates, backend });
  const batch = (i: number) => [X.get(T.slice(i * bs, (i + 1) * bs) as never), Y.astype('int32').get(T.slice(i * bs, (i + 1) * bs) as never)];
  return { byIndex, byInput, Wg, Wi, X, Y: Y.astype('int32') };
}

/** Rows [a, b) of a matrix or vector, as a new array. */
function rows(a: NDArray, start: number, stop: number): NDArray {
  const rowSize = a.shape.slice(1).reduce((p, d) => p * d, 1);
  const data = a.data.slice(start * rowSize, stop * rowSize);
  return new NDArray(data, [stop - start, ...a.shape.slice(1)], a.dtype);
}

describe('plans per shape', () => {
  for (const backend of backends) {
    it(`the minibatch idiom uses one plan for every index and equals the input form, ${backend}`, () => {
      const bs = 5, batches = 12;
      const { byIndex, byInput, Wg, Wi, X, Y } = tutorialStep(backend, bs * batches, bs);
      for (let epoch = 0; epoch < 2; epoch++) {
        for (let i = 0; i < batches; i++) {
          const cg = byIndex(i).data[0];
          const ci = byInput(rows(X, i * bs, (i + 1) * bs), rows(Y, i * bs, (i + 1) * bs)).data[0];
          expect(cg).toBe(ci);
        }
      }
      expect(Array.from(Wg.getValue().data)).toEqual(Array.from(Wi.getValue().data));
      expect(byIndex.planCount).toBe(1);
    });

    it(`a last slice that the data's end clamps gets its own plan, ${backend}`, () => {
      const v = shared(array([0, 1, 2, 3, 4, 5, 6]), 'v');
      const i = T.iscalar('i');
      const f = fn([i], v.get(T.slice(i.mul(3), i.add(1).mul(3))).mul(10), { backend });
      expect(Array.from(f(0).data)).toEqual([0, 10, 20]);
      expect(Array.from(f(1).data)).toEqual([30, 40, 50]);
      expect(f.planCount).toBe(1);
      expect(Array.from(f(2).data)).toEqual([60]);
      expect(Array.from(f(3).data)).toEqual([]);
      expect(Array.from(f(1).data)).toEqual([30, 40, 50]);
      expect(f.planCount).toBe(3);
    });

    it(`integer indices, negative ones and shared scalar indices are read at run time, ${backend}`, () => {
      const M = shared(array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), 'M');
      const pos = shared(0, 'pos', { dtype: 'int32' });
      const i = T.iscalar('i');
      const f = fn([i], [M.get(i), M.get(pos, i)], { updates: [[pos, pos.add(1)]], backend });
      const seen: number[][] = [];
      for (const k of [0, -1, 2]) seen.push(...f(k).map((r) => Array.from(r.data)));
      expect(seen).toEqual([[1, 2, 3], [1], [7, 8, 9], [6], [7, 8, 9], [9]]);
      expect(f.planCount).toBe(1);
      expect(() => f(3)).toThrow(/index 3 is out of bounds for axis 0 with size 3/);
      expect(pos.getValue().data[0]).toBe(3);
    });

    it(`a slice start counted from the end, with a negative step, ${backend}`, () => {
      const v = shared(array([0, 1, 2, 3, 4, 5]), 'v');
      const s = T.iscalar('s');
      const f = fn([s], v.get(T.slice(s, s.sub(3), -1)), { backend });
      expect(Array.from(f(5).data)).toEqual([5, 4, 3]);
      expect(Array.from(f(-2).data)).toEqual([4, 3, 2]);
      expect(Array.from(f(3).data)).toEqual([3, 2, 1]);
      expect(f.planCount).toBe(1);
    });

    it(`a variable step is part of the plan's key, ${backend}`, () => {
      const v = shared(array([0, 1, 2, 3, 4, 5, 6, 7]), 'v');
      const st = T.iscalar('st');
      const f = fn([st], v.get(T.slice(0, 3, st)), { backend });
      // Both steps give one element (index 0), then two: different strides, same shape for 3 and 4.
      expect(Array.from(f(3).data)).toEqual([0]);
      expect(Array.from(f(4).data)).toEqual([0]);
      expect(Array.from(f(2).data)).toEqual([0, 2]);
      expect(Array.from(f(1).data)).toEqual([0, 1, 2]);
      const g = fn([st], v.get(T.slice(1, 8, st)), { backend });
      expect(Array.from(g(3).data)).toEqual([1, 4, 7]);
      expect(Array.from(g(-1).data)).toEqual([]);
      expect(Array.from(g(2).data)).toEqual([1, 3, 5, 7]);
      expect(Array.from(g(4).data)).toEqual([1, 5]);
      expect(Array.from(g(6).data)).toEqual([1, 7]);
    });

    it(`index updates at run-time positions: incSubtensor of a shared row, ${backend}`, () => {
      const E = shared(array([[0, 0], [0, 0], [0, 0]]), 'E');
      const r = T.iscalar('r');
      const f = fn([r], [], { updates: [[E, T.incSubtensor(E, [r], array([1, 2]))]], backend });
      f(0);
      f(2);
      f(-1);
      expect(E.getValue().toArray()).toEqual([[1, 2], [0, 0], [2, 4]]);
      expect(() => f(5)).toThrow(/out of bounds/);
      expect(E.getValue().toArray()).toEqual([[1, 2], [0, 0], [2, 4]]);
    });

    it(`a contiguous slice at a runtime start is a view, never an output's storage, ${backend}`, () => {
      const v = shared(array([1, 2, 3, 4, 5, 6]), 'v');
      const i = T.iscalar('i');
      // Read through the view while v is updated: the sum sees the values from before the call.
      const f = fn([i], v.get(T.slice(i, i.add(2))).sum(), { updates: [[v, v.add(10)]], backend });
      expect(f(1).data[0]).toBe(5);
      expect(f(4).data[0]).toBe(31);
      const k = f.program.instructions.findIndex((x) => x.opcode === 'index');
      expect(f.lastPlan!.alias[f.program.instructions[k].outputs[0]]).toBeGreaterThanOrEqual(0);
      // As an output, the selection is copied out: later changes of v do not reach it.
      const g = fn([i], v.get(T.slice(i, i.add(2))), { backend });
      const got = g(0);
      v.setValue(array([0, 0, 0, 0, 0, 0]));
      expect(Array.from(got.data)).toEqual([21, 22]);
      expect(fn([i], v.get(T.slice(i, i.add(2))).sum(), { backend })(7).data[0]).toBe(0);
    });

    it(`a reshape of a slice at a runtime start reads the selected rows, ${backend}`, () => {
      const M = shared(array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]), 'M');
      const i = T.iscalar('i');
      const f = fn([i], M.get(T.slice(i, i.add(1))).reshape([2, 2]).sum(0), { backend });
      expect(Array.from(f(2).data)).toEqual([20, 22]);
      expect(Array.from(f(-3).data)).toEqual([4, 6]);
      const g = fn([], M.get(-1).reshape([2, 2]).sum(1), { backend });
      expect(Array.from(g().data)).toEqual([19, 23]);
    });

    it(`arange's length still decides the plan, ${backend}`, () => {
      const n = T.iscalar('n');
      const f = fn([n], T.arange(n).mul(2), { backend });
      expect(Array.from(f(3).data)).toEqual([0, 2, 4]);
      expect(Array.from(f(5).data)).toEqual([0, 2, 4, 6, 8]);
      expect(Array.from(f(3).data)).toEqual([0, 2, 4]);
      expect(f.planCount).toBe(2);
    });

    it(`evicts the oldest plans beyond maxPlans, and free() releases all of them, ${backend}`, () => {
      const x = T.vector('x');
      const f = fn([x], x.mul(2).exp().sum(), { backend, maxPlans: 2 });
      for (let n = 1; n <= 5; n++) expect(f(new NDArray(new Float64Array(n), [n], 'float64')).data[0]).toBe(n);
      expect(f.planCount).toBe(2);
      f.free();
      expect(f.planCount).toBe(0);
      expect(f(array([0, 0, 0])).data[0]).toBe(3);
      expect(f.planCount).toBe(1);
    });
  }

  it('free() waits for a call in flight on native', async () => {
    if (!nativeStatus().available) return;
    const a = T.matrix('a');
    const f = fn([a], a.dot(a.T).sum(), { backend: 'native' });
    const A = new random.RandomState(1).randn(300, 300) as NDArray;
    const want = f(A).data[0];
    const pending = f.async(A);
    f.free();
    expect((await pending).data[0]).toBe(want);
    expect(f(A).data[0]).toBe(want);
  });
});

describe('memory of compiled functions', () => {
  it('5000 functions compiled and called in one synchronous loop keep the resident size bounded', async () => {
    // Each plan holds a 1 MiB arena: 5000 of them would be 5 GB if dropped functions were
    // reclaimed only when the event loop turns. Run in a child process (dist/ build).
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const script = fileURLToPath(new URL('./drivers/many_functions.mjs', import.meta.url));
    // Measured without a sanitizer's shadow memory (the sanitizer pass sets these).
    const env = { ...process.env };
    for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'THEANODE_ADDON_PATH']) delete env[k];
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [script, '5000', backends[backends.length - 1]], { timeout: 240_000, env }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const { peakMiB, check } = JSON.parse(out) as { peakMiB: number; check: number };
    expect(Number.isFinite(check)).toBe(true);
    expect(peakMiB).toBeLessThan(1024);
  }, 300_000);
});
