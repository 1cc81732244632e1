/**
 * The products left to the one-pass rewrite: the local walk and the whole-graph sweep decide
 * every pair alike, and the pair that qualifies is the one whose chain between the products is
 * row-local: the top layer's (softmax and cross-entropy are row-local), not a lower layer's,
 * whose G depends on its Z also through the products of the layers above.
 */
import { describe, expect, it } from 'vitest';
import { T, grad, shared, random, NDArray } from 'theanode';
import { FunctionGraph } from '../../lib/graph/fgraph.js';
import { Variable } from '../../lib/graph/variable.js';
import { rewriteToFixedPoint } from '../../lib/rewrite/driver.js';
import { localRewrites } from '../../lib/rewrite/index.js';
import { onePassDecisions } from '../../lib/rewrite/one_pass.js';

function rewrittenMlp(layers: number, bias: boolean, act: (z: Variable) => Variable) {
  const rng = new random.RandomState(4);
  const x = T.matrix('x'), y = T.ivector('y');
  const params = [];
  let z: Variable = x;
  for (let l = 0; l < layers; l++) {
    const W = shared(rng.randn(3, 3) as NDArray, `W${l}`);
    params.push(W);
    let pre = z.dot(W);
    if (bias) {
      const b = shared(rng.randn(3) as NDArray, `b${l}`);
      params.push(b);
      pre = pre.add(b);
    }
    z = act(pre);
  }
  const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y).mean();
  const g = grad(cost, params);
  const fg = new FunctionGraph([x, y], params.map((p, i) => p.sub(g[i].mul(0.1))));
  rewriteToFixedPoint(fg, localRewrites, { merge: true });
  return fg;
}

describe('one-pass products', () => {
  for (const [label, layers, bias, act] of [
    ['tanh with biases', 3, true, T.tanh],
    ['relu without biases', 4, false, T.relu],
    ['one softmax layer', 1, false, (z: Variable) => z],
  ] as const) {
    it(`the local walk agrees with the sweep: ${label}`, () => {
      const decisions = onePassDecisions(rewrittenMlp(layers, bias, act));
      expect(decisions.length).toBeGreaterThanOrEqual(layers);
      const disagree = decisions.filter((d) => d.local !== null && d.local !== d.sweep);
      expect(disagree).toEqual([]);
      expect(decisions.filter((d) => d.local === null)).toEqual([]);
      const qualify = decisions.filter((d) => d.sweep);
      expect(qualify.map((d) => d.pair[0].inputs[1].name)).toEqual([`W${layers - 1}`]);
    });
  }
});
