/**
 * scan's behaviour beyond the fixtures: the same values as the unrolled graph, finite
 * differences, symbolic and runtime step counts, empty loops, float32, async calls, clear
 * errors, atomic updates, and the loop-invariant part computed once outside the body.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, scan, shared, gradient, array, NDArray, random, printing } from 'theanode';
import type { Variable } from 'theanode';
import { backends } from './backends.js';

const rng = new random.RandomState(3);
const randn = (...shape: number[]) => rng.randn(...shape) as NDArray;
const close = (a: NDArray, b: NDArray, rtol = 1e-10) => {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(Math.abs(v - b.data[i])).toBeLessThanOrEqual(rtol * (1 + Math.abs(b.data[i]))));
};

/** An Elman RNN step: h' = tanh(x W + h U + b). */
const elman = (W: Variable, U: Variable, b: Variable) => (xt: Variable, h: Variable) => T.tanh(xt.dot(W).add(h.dot(U)).add(b));

describe('scan', () => {
  for (const backend of backends) {
    it(`equals the unrolled graph, values and gradients of the last state (${backend})`, () => {
      const X = randn(6, 3);
      const x = T.matrix('x');
      const W = shared(randn(3, 4), 'W');
      const U = shared(array(Array.from(randn(4, 4).data, (v) => v * 0.3)).reshape(4, 4), 'U');
      const b = shared(randn(4), 'b');
      const h0 = T.vector('h0');
      const [hs] = scan(elman(W, U, b), { sequences: x, outputsInfo: h0 });
      const last = (hs as Variable).get(-1);
      let h: Variable = h0;
      for (let t = 0; t < 6; t++) h = elman(W, U, b)(x.get(t), h);
      const [c1, c2] = [last.sum(), h.sum()];
      const f = fn([x, h0], [last, ...grad(c1, [W, U, b, x, h0])], { backend });
      const g = fn([x, h0], [h, ...grad(c2, [W, U, b, x, h0])], { backend });
      const H0 = randn(4);
      const a = f(X, H0);
      const e = g(X, H0);
      a.forEach((v, i) => close(v, e[i]));
    });

    it(`keeps only the last rows of outputs read only at their last row, with the same values (${backend})`, () => {
      const x = T.matrix('x');
      const W = shared(randn(3, 3), 'W');
      const [hs] = scan((xt: Variable, h: Variable) => T.tanh(h.dot(W).add(xt)), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
      const [ys] = scan((xt: Variable) => xt.mul(2), { sequences: x });
      const last = (hs as Variable).get(-1);
      const c = last.sum();
      const f = fn([x], [last, (ys as Variable).get(-1), grad(c, W)], { backend });
      const g = fn([x], [last, (ys as Variable).get(-1), grad(c, W)], { backend, optimize: false });
      const X = randn(50, 3);
      f(X).forEach((v, i) => close(v, g(X)[i]));
      const loopRows = (h: typeof f) => h.program.instructions.filter((i) => i.opcode === 'loop').map((i) => i.outputs.map((b) => h.lastPlan!.shapes[b][0]));
      // The gradient's running sum of W's gradient keeps one row, not one per step.
      const back = f.program.instructions.findIndex((i) => i.opcode === 'loop' && String(i.attrs.name).startsWith('grad of'));
      expect(f.program.instructions[back].outputs.map((b) => f.lastPlan!.shapes[b][0])).toContain(1);
      // Without the gradient, the state and the per-step output keep their last row only.
      const h = fn([x], [last, (ys as Variable).get(-1)], { backend });
      h(X).forEach((v, i) => close(v, g(X)[i]));
      expect(loopRows(h)).toEqual([[1], [1]]);
      // No steps: there is no last step to read, with or without the rewrite.
      expect(() => h(randn(0, 3))).toThrow(/0 steps|out of bounds/);
      expect(() => g(randn(0, 3))).toThrow(/out of bounds/);
    });

    it(`steps counted from x.shape, or given at run time, with a plan per count (${backend})`, () => {
      const x = T.vector('x');
      const n = T.iscalar('n');
      const [s1] = scan((xt: Variable, acc: Variable) => acc.add(xt), { sequences: x, outputsInfo: T.zerosLike(x.get(0)), nSteps: x.shape.get(0) });
      const [s2] = scan((acc: Variable) => acc.mul(2), { outputsInfo: T.onesLike(x.get(0)), nSteps: n });
      const f = fn([x, n], [s1 as Variable, s2 as Variable], { backend });
      const [a, b] = f(array([1, 2, 3, 4]), 3);
      expect(Array.from(a.data)).toEqual([1, 3, 6, 10]);
      expect(Array.from(b.data)).toEqual([2, 4, 8]);
      const [c, d] = f(array([5, 1]), 5);
      expect(Array.from(c.data)).toEqual([5, 6]);
      expect(Array.from(d.data)).toEqual([2, 4, 8, 16, 32]);
      const [, e] = f(array([1]), 0);
      expect(e.shape).toEqual([0]);
    });

    it(`float32 states and sequences stay float32 (${backend})`, () => {
      const x = T.fmatrix('x');
      const [s] = scan((xt: Variable, acc: Variable) => acc.add(xt.mul(xt)), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
      const sv = s as Variable;
      expect(sv.dtype).toBe('float32');
      const g = grad(sv.sum(), x);
      const [v, gv] = fn([x], [sv, g], { backend })(array([[1, 2], [3, 4]], { dtype: 'float32' }));
      expect(v.dtype).toBe('float32');
      expect(Array.from(v.data)).toEqual([1, 4, 10, 20]);
      // d/dx_t of sum over all steps: 2 x_t counted once per later step
      expect(Array.from(gv.data)).toEqual([4, 8, 6, 8]);
    });

    it(`async calls run the loop off the event loop with the same result (${backend})`, async () => {
      const x = T.matrix('x');
      const [s] = scan((xt: Variable, acc: Variable) => acc.add(xt), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
      const f = fn([x], s as Variable, { backend });
      const X = randn(5, 3);
      close(await f.async(X), f(X));
    });

    it(`a step that fails (index out of range) changes no shared variable (${backend})`, () => {
      const w = shared(array([1, 2, 3]), 'w');
      const idx = T.ivector('idx');
      const [picked] = scan((i: Variable) => w.get(i), { sequences: idx });
      const f = fn([idx], picked as Variable, { updates: [[w, w.mul(2)]], backend });
      expect(Array.from(f(array([2, 0], { dtype: 'int32' })).data)).toEqual([3, 1]);
      expect(() => f(array([1, 7], { dtype: 'int32' }))).toThrow(/scan 'scan\d+', step 1: .*index 7 is out of bounds/);
      expect(Array.from(w.getValue().data)).toEqual([2, 4, 6]);
    });
  }

  it('considerConstant stops the gradient at a scan output', () => {
    const x = T.matrix('x');
    const W = shared(randn(3, 3), 'W');
    const [hs] = scan((xt: Variable, h: Variable) => T.tanh(h.dot(W).add(xt)), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
    const last = (hs as Variable).get(-1);
    const c = last.sum().mul(W.sum());
    const [lv, g] = fn([x], [last, grad(c, W, { considerConstant: [hs as Variable] })])(randn(4, 3));
    const s = Array.from(lv.data).reduce((a, b) => a + b, 0);
    Array.from(g.data).forEach((v) => expect(v).toBeCloseTo(s, 12));
  });

  it('agrees with finite differences, through taps and a non-sequence', () => {
    gradient.verifyGrad(
      (x: Variable, W: Variable, y0: Variable) =>
        scan((xm: Variable, xc: Variable, y2: Variable, y1: Variable) => T.tanh(xm.dot(W).add(xc).add(y1.mul(y2))), {
          sequences: { input: x, taps: [-1, 0] },
          outputsInfo: { initial: y0, taps: [-2, -1] },
        })[0] as Variable,
      [randn(5, 2), randn(2, 2), randn(2, 2)],
    );
  });

  it('computes the part of the step that depends only on non-sequences once, outside the loop', () => {
    const x = T.matrix('x');
    const W = shared(randn(3, 3), 'W');
    const [s] = scan((xt: Variable, h: Variable) => xt.add(h.dot(W.T.mul(2))), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
    const f = fn([x], s as Variable);
    const loop = f.program.instructions.find((i) => i.opcode === 'loop')!;
    const body = loop.attrs.body as { instructions: { opcode: string }[] };
    // The body keeps only the per-step work: the product and the addition (fused or as gemm).
    expect(body.instructions.map((i) => i.opcode)).not.toContain('dimshuffle');
    expect(body.instructions.length).toBeLessThanOrEqual(2);
    // The loop reads the step count, x, the initial row and W.T * 2, not W itself.
    expect(loop.inputs.length).toBe(4);
    expect(printing.debugprint(f)).toContain('Scan');
  });

  it('runs the forward steps once when the gradient is computed too: the backward loop reads what the forward loop saved', () => {
    const x = T.matrix('x');
    const W = shared(randn(3, 3), 'W');
    const [s] = scan((xt: Variable, h: Variable) => T.tanh(h.dot(W).add(xt)), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
    const c = (s as Variable).sum();
    // Gradients taken in two calls of grad build the same loops twice: they are merged.
    const f = fn([x], [c, grad(c, W), grad(c, x)]);
    const loops = f.program.instructions.filter((i) => i.opcode === 'loop');
    expect(loops.map((l) => l.attrs.name)).toEqual([expect.stringMatching(/^scan/), expect.stringMatching(/^grad of scan/)]);
    // The backward body has no product of the previous state with W (the forward's), only the two of the gradient.
    const ops = (loops[1].attrs.body as { instructions: { opcode: string }[] }).instructions.map((i) => i.opcode);
    expect(ops.filter((o) => o === 'dot' || o === 'gemm').length).toBeLessThanOrEqual(2);
  });

  it("places the body's temporaries and the state rings in the function's arena", () => {
    const x = T.matrix('x');
    const W = shared(randn(3, 3), 'W');
    const [hs] = scan((xt: Variable, h: Variable) => T.tanh(h.dot(W).add(xt)).mul(2), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
    const f = fn([x], (hs as Variable).get(-1));
    f(randn(4, 3));
    const k = f.program.instructions.findIndex((i) => i.opcode === 'loop');
    const work = f.lastPlan!.workspace[k]!;
    // One arena per dtype for the body, then the ring of the state that keeps its last row (2 rows of 3).
    expect(work.map((w) => w.dtype)).toEqual(['float64', 'float32', 'int32', 'bool', 'float64']);
    expect(work[0].elements).toBeGreaterThan(0);
    expect(work[4].elements).toBe(6);
    expect(f.lastPlan!.tempBytes).toBeGreaterThanOrEqual(8 * (work[0].elements + work[4].elements));
  });

  it('returns the updates the step gives for shared variables, applied by fn', () => {
    const count = shared(array(0), 'count');
    const x = T.vector('x');
    const [s, updates] = scan((xt: Variable) => [xt.mul(2), new Map([[count, count.add(1)]])], { sequences: x });
    expect(updates.has(count)).toBe(true);
    const f = fn([x], s as Variable, { updates });
    expect(Array.from(f(array([1, 2, 3])).data)).toEqual([2, 4, 6]);
    expect(count.getValue().item()).toBe(3);
  });

  it('gives clear errors for malformed loops', () => {
    const x = T.matrix('x');
    const v = T.vector('v');
    expect(() => scan((a: Variable) => a, {})).toThrow(/give sequences or nSteps/);
    expect(() => scan((xt: Variable, h: Variable) => h.sum(), { sequences: x, outputsInfo: v })).toThrow(/returns a 0-d value for a 1-d state/);
    expect(() => scan((xt: Variable) => [xt, xt], { sequences: x, outputsInfo: [v] })).toThrow(/returns 2 output\(s\) but outputsInfo has 1/);
    expect(() => scan((xt: Variable) => xt, { sequences: v.get(0) })).toThrow(/at least one dimension/);
    expect(() => scan((h: Variable) => h, { outputsInfo: { initial: x, taps: [1] }, nSteps: 2 })).toThrow(/taps must be negative/);
    const free = T.vector('free');
    expect(() => scan(() => free.add(1), { nSteps: 2, outputsInfo: null as never })).not.toThrow();
    const [s] = scan((xt: Variable, h: Variable) => h.add(xt), { sequences: x, outputsInfo: v, nSteps: 4 });
    const f = fn([x, v], s as Variable);
    expect(() => f(randn(3, 2), randn(2))).toThrow(/sequence 0 has 3 rows, but 4 steps/);
    expect(() => f(randn(4, 2), randn(3))).toThrow(/shape/);
  });
});
