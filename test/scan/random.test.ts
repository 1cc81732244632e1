/**
 * Random streams inside scan: each step draws afresh, the stream's state comes back in scan's
 * updates (and is applied by default), both backends give the same numbers, gradients through
 * a sampled mask are the mask.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, scan, random, shared, array, NDArray } from 'theanode';
import type { Variable } from 'theanode';
import { backends } from './backends.js';

const rows = (a: NDArray) => Array.from({ length: a.shape[0] }, (_, i) => Array.from(a.data.subarray(i * (a.size / a.shape[0]), (i + 1) * (a.size / a.shape[0]))));

describe('random streams in scan', () => {
  for (const backend of backends) {
    it(`draws differ per step and per call; the state advances through the loop (${backend})`, () => {
      const srng = new random.RandomStreams(5);
      const [u, updates] = scan(() => srng.uniform([3]), { nSteps: 4 });
      expect(updates.size).toBe(1);
      const f = fn([], u as Variable, { updates, backend });
      const a = f();
      const r = rows(a);
      expect(new Set(r.map((x) => x.join())).size).toBe(4);
      r.flat().forEach((v) => expect(v >= 0 && v < 1).toBe(true));
      const b = f();
      expect(Array.from(b.data)).not.toEqual(Array.from(a.data));
      // Without the updates passed, fn applies the loop's by default; with noDefaultUpdates, nothing moves.
      const g = fn([], u as Variable, { backend });
      expect(Array.from(g().data)).not.toEqual(Array.from(g().data));
      const h = fn([], u as Variable, { backend, noDefaultUpdates: true });
      expect(Array.from(h().data)).toEqual(Array.from(h().data));
    });

    it(`a loop's draws equal the draws of the same stream unrolled by hand (${backend})`, () => {
      const steps = 3;
      const [u] = scan(() => new random.RandomStreams(9).normal([2, 2]), { nSteps: steps });
      const inLoop = fn([], u as Variable, { backend })();
      // One stream drawn three times, one call each: the same state sequence as the loop's.
      const s = new random.RandomStreams(9);
      const one = s.normal([2, 2]);
      const step = fn([], one, { backend });
      const byCalls = Array.from({ length: steps }, () => Array.from(step().data)).flat();
      expect(Array.from(inLoop.data)).toEqual(byCalls);
    });
  }

  it.skipIf(backends.length < 2)('js and native give the same bits for a Gibbs chain with binomial sampling', () => {
    const run = (backend: 'js' | 'native') => {
      const srng = new random.RandomStreams(3);
      const W = shared(array([[0.5, -1], [2, 0.1], [-0.3, 0.7]]), 'W');
      const v0 = T.matrix('v0');
      const [chain] = scan(
        (v: Variable) => {
          const h = srng.binomial(T.shape(v.dot(W)), 1, T.nnet.sigmoid(v.dot(W)), 'float64');
          const vm = T.nnet.sigmoid(h.dot(T.transpose(W)));
          return srng.binomial(vm.shape, 1, vm, 'float64');
        },
        { outputsInfo: v0, nSteps: 6 },
      );
      return fn([v0], chain as Variable, { backend })(array([[1, 0, 1], [0, 1, 1]]));
    };
    expect(Array.from(run('native').data)).toEqual(Array.from(run('js').data));
  });

  it('the gradient of a dropout step is the mask', () => {
    const srng = new random.RandomStreams(11);
    const x = T.matrix('x');
    const [ys, updates] = scan((xt: Variable) => {
      const mask = srng.binomial(xt.shape, 1, 0.5, 'float64');
      return [xt.mul(mask), mask];
    }, { sequences: x, outputsInfo: [null, null] });
    const [y, mask] = ys as Variable[];
    const f = fn([x], [y, mask, grad(y.sum(), x)], { updates });
    const [yv, mv, gv] = f(array([[1, 2, 3], [4, 5, 6]]));
    expect(Array.from(gv.data)).toEqual(Array.from(mv.data));
    expect(Array.from(yv.data)).toEqual([1, 2, 3, 4, 5, 6].map((v, i) => v * mv.data[i]));
  });
});
