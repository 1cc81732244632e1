/**
 * The seed program of the design card, as written: after 10000 steps the predictions equal the
 * labels, in float64 and in float32, and the cross-entropy is finite from the first step (the
 * literal formula saturates: |x·w| is about 28 with this data).
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

describe('seed program (logistic regression tutorial)', () => {
  const floatX = config.floatX;
  afterEach(() => {
    config.floatX = floatX;
  });

  const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
  for (const backend of backends) for (const fx of ['float64', 'float32'] as const) {
    it(`trains to predict D[1] exactly, floatX=${fx}, backend ${backend}`, async () => {
      config.floatX = fx;
      const { D, w, b, train, predict } = seedProgram(backend);
      expect(w.getValue().dtype).toBe(fx);
      const [pred0, xent0] = train(D[0], D[1]);
      expect(pred0.dtype).toBe('bool');
      expect(xent0.dtype).toBe(fx);
      expect(allFinite(xent0)).toBe(true);
      // The model starts far from the labels: many mistakes, a large cost.
      let wrong0 = 0;
      for (let i = 0; i < 400; i++) if (pred0.data[i] !== D[1].data[i]) wrong0++;
      expect(wrong0).toBeGreaterThan(100);
      let xent = xent0;
      for (let i = 1; i < 10000; i++) {
        xent = train(D[0], D[1])[1];
        // Let the event loop turn now and then: a busy machine makes 10000 steps slow.
        if (i % 250 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(allFinite(xent)).toBe(true);
      expect(Array.from(predict(D[0]).data)).toEqual(Array.from(D[1].data));
      expect(allFinite(w.getValue()) && allFinite(b.getValue())).toBe(true);
      const meanXent = Array.from(xent.data).reduce((a, v) => a + v, 0) / 400;
      expect(meanXent).toBeLessThan(0.05);
    });
  }
});
