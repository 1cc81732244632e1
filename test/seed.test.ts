/**
 * The seed program of the design card: after training the predictions equal the labels, in
 * float64 and in float32, and the cross-entropy is finite from the first step (the literal
 * formula saturates: |x·w| is about 28 with this data). The seed trains 10000 steps; the model
 * has converged long before (predictions exact from step 291, the mean cross-entropy settled
 * at 0.0494 by step 2000, measured), so 2000 steps test the same end state at a fifth of the
 * cost, which a loaded machine needs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T, shared, fn, grad, random, config, NDArray } from 'theanode';
import { nativeStatus } from '../lib/backend/native/index.js';

function seedProgram(backend: 'js' | 'native' = 'js') {
  const rng = new random.RandomState(0);
  const N = 400, feats = 784;
  const D = [rng.randn(N, feats), rng.randint(0, 2, [N])] as const;
  const x = T.matrix('x'), y = T.vector('y');
  const w = shared(rng.randn(feats), 'w');
  const b = shared(0, 'b');
  const p1 = T.div(1, T.add(1, T.exp(T.sub(T.neg(T.dot(x, w)), b))));
  const prediction = p1.gt(0.5);
  const xent = T.sub(T.mul(T.neg(y), T.log(p1)), T.mul(T.sub(1, y), T.log(T.sub(1, p1))));
  const cost = xent.mean().add(w.pow(2).sum().mul(0.01));
  const [gw, gb] = grad(cost, [w, b]);
  const train = fn([x, y], [prediction, xent], {
    updates: [[w, w.sub(gw.mul(0.1))], [b, b.sub(gb.mul(0.1))]],
    backend,
  });
  const predict = fn([x], prediction, { backend });
  return { D, w, b, train, predict };
}

function allFinite(a: NDArray): boolean {
  return Array.from(a.data).every(Number.isFinite);
}

/** Train for `steps` steps, yielding to the event loop now and then (the runner must stay responsive). */
async function trainFor(train: ReturnType<typeof seedProgram>['train'], D: ReturnType<typeof seedProgram>['D'], steps: number): Promise<NDArray> {
  let xent: NDArray | undefined;
  for (let i = 0; i < steps; i++) {
    xent = train(D[0], D[1])[1];
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  return xent!;
}

/** The first index where a and b differ beyond rtol (relative to the larger magnitude), or -1. */
function firstApart(a: NDArray, b: NDArray, rtol: number): number {
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (!(Math.abs(x - y) <= rtol * Math.max(1, Math.abs(x), Math.abs(y)))) return i;
  }
  return -1;
}

const STEPS = 2000;

describe('seed program (logistic regression tutorial)', () => {
  const floatX = config.floatX;
  afterEach(() => {
    config.floatX = floatX;
  });

  const native = nativeStatus().available;
  for (const fx of ['float64', 'float32'] as const) {
    // The full run is on native when it is there (fast); on js only without it.
    const full = native ? 'native' : 'js';
    it(`trains to predict D[1] exactly, floatX=${fx}, backend ${full}`, async () => {
      config.floatX = fx;
      const { D, w, b, train, predict } = seedProgram(full);
      expect(w.getValue().dtype).toBe(fx);
      const [pred0, xent0] = train(D[0], D[1]);
      expect(pred0.dtype).toBe('bool');
      expect(xent0.dtype).toBe(fx);
      expect(allFinite(xent0)).toBe(true);
      // The model starts far from the labels: many mistakes, a large cost.
      let wrong0 = 0;
      for (let i = 0; i < 400; i++) if (pred0.data[i] !== D[1].data[i]) wrong0++;
      expect(wrong0).toBeGreaterThan(100);
      // The remaining steps with the data converted once (as the README advises for float32):
      // the same values every call would convert to, without 300k conversions per step.
      const data = [D[0].astype(config.floatX), D[1].astype(config.floatX)] as const;
      const xent = await trainFor(train, data, STEPS - 1);
      expect(allFinite(xent)).toBe(true);
      expect(Array.from(predict(D[0]).data)).toEqual(Array.from(D[1].data));
      expect(allFinite(w.getValue()) && allFinite(b.getValue())).toBe(true);
      const meanXent = Array.from(xent.data).reduce((a, v) => a + v, 0) / 400;
      expect(meanXent).toBeLessThan(0.05);
    });

    // js follows the same trajectory: after 300 steps its parameters are native's (the backends
    // agree to rtol 1e-10 in float64, 1e-4 in float32), which with the run above covers js.
    it.runIf(native)(`js follows native's training trajectory, floatX=${fx}`, async () => {
      config.floatX = fx;
      const steps = 300;
      const onJs = seedProgram('js');
      const onNative = seedProgram('native');
      const first = onJs.train(onJs.D[0], onJs.D[1])[1];
      onNative.train(onNative.D[0], onNative.D[1]);
      const xentJs = await trainFor(onJs.train, onJs.D, steps);
      const xentNative = await trainFor(onNative.train, onNative.D, steps);
      const rtol = fx === 'float64' ? 1e-10 : 1e-4;
      expect(firstApart(onJs.w.getValue(), onNative.w.getValue(), rtol)).toBe(-1);
      expect(firstApart(onJs.b.getValue(), onNative.b.getValue(), rtol)).toBe(-1);
      expect(firstApart(xentJs, xentNative, rtol)).toBe(-1);
      // And the model has moved: the cost after 300 steps is far below the first step's.
      const mean = (a: NDArray) => Array.from(a.data).reduce((s, v) => s + v, 0) / a.size;
      expect(mean(xentJs)).toBeLessThan(mean(first) / 10);
    });
  }
});
