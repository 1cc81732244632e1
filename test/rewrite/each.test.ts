/**
 * Every rewrite fires on its own tiny graph (and the table below must name every rewrite there
 * is), the rewritten function computes the hand-derived values, and after the first phase no
 * rewrite applies anywhere in larger graphs: the worklist reaches the same fixed point as
 * trying every rewrite on every node until nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, scan, shared, random, array, NDArray } from 'theanode';
import { FunctionGraph } from '../../lib/graph/fgraph.js';
import { Variable } from '../../lib/graph/variable.js';
import { applyElemwise as ew } from '../../lib/ops/elemwise.js';
import { indexUpdate, slice } from '../../lib/ops/index.js';
import { localRewrites, rewriteGraph } from '../../lib/rewrite/index.js';
import { loopback } from '../distributed/loopback.js';

interface Case {
  build(): { inputs: Variable[]; outputs: Variable[] };
  fusion?: boolean;
  args: NDArray[];
  /** The hand-derived value of each output (flattened). */
  want: number[][];
}

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const v = (...xs: number[]) => array(xs);

const cases: Record<string, Case> = {
  constant_fold: { build: () => { const x = T.vector('x'); return { inputs: [x], outputs: [T.mul(x, T.add(array([1, 2]), 3))] }; }, args: [v(1, 2)], want: [[4, 10]] },
  merge: { build: () => { const x = T.vector('x'); return { inputs: [x], outputs: [T.add(T.exp(x), T.exp(x))] }; }, args: [v(0, 1)], want: [[2, 2 * Math.E]] },
  double_negation: { build: () => { const x = T.vector('x'); return { inputs: [x], outputs: [T.exp(T.neg(T.neg(x)))] }; }, args: [v(0, 1)], want: [[1, Math.E]] },
  neutral_elements: { build: () => { const x = T.vector('x'); return { inputs: [x], outputs: [T.exp(x.mul(1).add(0))] }; }, args: [v(0, 1)], want: [[1, Math.E]] },
  pow_specialize: { build: () => { const x = T.vector('x'); return { inputs: [x], outputs: [x.pow(2), x.pow(0.5)] }; }, args: [v(4, 9)], want: [[16, 81], [2, 3]] },
  useless_fill: { build: () => { const x = T.vector('x'), y = T.vector('y'); return { inputs: [x, y], outputs: [T.exp(ew('second', [x, y]))] }; }, args: [v(5, 6), v(0, 1)], want: [[1, Math.E]] },
  merge_dimshuffles: { build: () => { const x = T.matrix('x'); return { inputs: [x], outputs: [T.exp(x.T.T)] }; }, args: [array([[0, 1]])], want: [[1, Math.E]] },
  dot_transpose: { build: () => { const a = T.matrix('a'), u = T.vector('u'); return { inputs: [a, u], outputs: [T.dot(a.T, u)] }; }, args: [array([[1, 2], [3, 4], [5, 6]]), v(1, 10, 100)], want: [[531, 642]] },
  add_of_inc_into_zeros: {
    build: () => { const x = T.vector('x'), u = T.vector('u'), y = T.vector('y'); return { inputs: [x, u, y], outputs: [ew('add', [indexUpdate(ew('second', [x, 0]), [slice(1, 3)], u, 'inc'), y])] }; },
    args: [v(5, 6, 7, 8), v(1, 2), v(10, 20, 30, 40)],
    want: [[10, 21, 32, 40]],
  },
  recognize_sigmoid: { build: () => { const z = T.vector('z'); return { inputs: [z], outputs: [T.div(1, T.add(1, T.exp(T.neg(z))))] }; }, args: [v(-1, 2)], want: [[sig(-1), sig(2)]] },
  one_minus_sigmoid: { build: () => { const z = T.vector('z'); return { inputs: [z], outputs: [T.sub(1, T.nnet.sigmoid(z))] }; }, args: [v(-1, 40)], want: [[sig(1), sig(-40)]] },
  stable_log: { build: () => { const z = T.vector('z'); return { inputs: [z], outputs: [T.log(T.nnet.sigmoid(z))] }; }, args: [v(-800, 0)], want: [[-800, -Math.LN2]] },
  fuse_softmax_crossentropy: {
    build: () => { const z = T.matrix('z'), y = T.ivector('y'); return { inputs: [z, y], outputs: [T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y)] }; },
    args: [array([[0, Math.log(3)], [1000, 0]]), new NDArray(Int32Array.from([1, 1]), [2], 'int32')],
    want: [[Math.log(4 / 3), 1000]],
  },
  recognize_softmax: {
    build: () => { const z = T.matrix('z'); return { inputs: [z], outputs: [T.exp(z).div(T.sum(T.exp(z), 1, true))] }; },
    args: [array([[1000, 0], [0, Math.log(3)]])],
    want: [[1, 0, 0.25, 0.75]],
  },
  neg_out_of_sum: {
    build: () => { const x = T.vector('x'); return { inputs: [x], outputs: [T.neg(x).mean()] }; },
    args: [array([1, 2, 6])],
    want: [[-3]],
  },
  insert_gemm: {
    build: () => { const a = T.matrix('a'), b = T.matrix('b'), c = T.matrix('c'); return { inputs: [a, b, c], outputs: [c.sub(T.dot(a, b).mul(0.5))] }; },
    fusion: true,
    args: [array([[1, 2]]), array([[3], [4]]), array([[1]])],
    want: [[1 - 0.5 * 11]],
  },
  gemm_relu: {
    build: () => { const x = T.matrix('x'), W = T.matrix('W'), b = T.vector('b'); return { inputs: [x, W, b], outputs: [T.relu(x.dot(W).add(b))] }; },
    fusion: true,
    args: [array([[1, 2]]), array([[1, -1], [1, -1]]), v(0.5, 0.5)],
    want: [[3.5, 0]],
  },
  scan_merge_saved: {
    build: () => {
      // softplus's gradient reads its input, the step's product plus x_t: the forward loop saves it.
      const x = T.matrix('x'), W = T.matrix('W');
      const [s] = scan((xt: Variable, h: Variable) => T.nnet.softplus(h.dot(W).add(xt)), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
      const c = (s as Variable).sum();
      return { inputs: [x, W], outputs: [c, grad(c, x)] };
    },
    args: [array([[0.1], [0.2]]), array([[0.5]])],
    want: (() => {
      const sp = (z: number) => Math.log1p(Math.exp(z));
      const h1 = sp(0.1), z2 = 0.5 * h1 + 0.2, h2 = sp(z2);
      return [[h1 + h2], [sig(0.1) * (1 + 0.5 * sig(z2)), sig(z2)]];
    })(),
  },
  scan_keep_last: {
    build: () => {
      const x = T.vector('x');
      const [s] = scan((xt: Variable, h: Variable) => h.mul(h).add(xt), { sequences: x, outputsInfo: T.zerosLike(x.get(0)) });
      return { inputs: [x], outputs: [(s as Variable).get(-1)] };
    },
    fusion: true,
    args: [v(1, 2, 3)],
    want: [[(1 * 1 + 2) ** 2 + 3]],
  },
  merge_allreduce: {
    // One process stands for the job (size 1), so the reductions return their inputs.
    build: () => { loopback(); const x = T.vector('x'); return { inputs: [x], outputs: [T.distributed.allreduce(T.exp(x), 'sum'), T.distributed.allreduce(x.mul(2), 'mean')] }; },
    args: [v(0, 1)],
    want: [[1, Math.E], [0, 2]],
  },
  fuse_elemwise: {
    build: () => { const x = T.vector('x'), y = T.vector('y'); return { inputs: [x, y], outputs: [T.tanh(T.add(T.mul(x, 2), T.exp(y)))] }; },
    fusion: true,
    args: [v(0.1), v(0.2)],
    want: [[Math.tanh(0.2 + Math.exp(0.2))]],
  },
};

function fired(c: Case): Set<string> {
  const { inputs, outputs } = c.build();
  const names = new Set<string>();
  rewriteGraph(new FunctionGraph(inputs, outputs), { fusion: !!c.fusion, trace: (name) => names.add(name) });
  return names;
}

describe('each rewrite on its tiny graph', () => {
  it('the table names every rewrite', () => {
    const all = [...localRewrites.map((r) => r.rewriteName), 'merge', 'scan_merge_saved', 'scan_keep_last', 'merge_allreduce', 'insert_gemm', 'gemm_relu', 'fuse_elemwise'];
    expect(all.filter((n) => !(n in cases))).toEqual([]);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name} fires, and the function gives the hand-derived values`, () => {
      expect([...fired(c)]).toContain(name);
      const { inputs, outputs } = c.build();
      const got = fn(inputs, outputs, { backend: 'js' })(...c.args);
      got.forEach((g, i) => {
        const bad = c.want[i].findIndex((w, j) => !(Math.abs(g.data[j] - w) <= 1e-12 * (1 + Math.abs(w))));
        expect(g.size).toBe(c.want[i].length);
        expect(bad, `output ${i}[${bad}]: ${g.data[bad]} vs ${c.want[i][bad]}`).toBe(-1);
      });
    });
  }
});

/** The first node where some first-phase rewrite (or merging) still applies, described, or null. */
function firstUnrewritten(fg: FunctionGraph): string | null {
  const keys = new Map<string, number>();
  for (const [k, node] of fg.nodes.entries()) {
    for (const rw of localRewrites) if (rw(node, fg)) return `${rw.rewriteName} applies to node ${k} (${node.op.label()})`;
    const key = `${node.op.key()}|${node.inputs.map((u) => u.id)}`;
    if (keys.has(key)) return `node ${k} (${node.op.label()}) repeats node ${keys.get(key)}`;
    keys.set(key, k);
  }
  return null;
}

function mlpGraph(layers: number, extra: number) {
  const rng = new random.RandomState(3);
  const x = T.matrix('x'), y = T.ivector('y');
  const params = [];
  let z: Variable = x;
  for (let l = 0; l < layers; l++) {
    const W = shared(rng.randn(4, 4) as NDArray, `W${l}`), b = shared(rng.randn(4) as NDArray, `b${l}`);
    params.push(W, b);
    z = T.tanh(z.dot(W).add(b));
    for (let s = 0; s < extra; s++) z = z.mul(0.9).add(T.tanh(z));
  }
  const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(z), y).mean().add(params[0].pow(2).sum().mul(0.01));
  const grads = grad(cost, params);
  return { inputs: [x, y], outputs: [cost, ...params.map((p, i) => p.sub(grads[i].mul(0.1)))] };
}

function seedGraph() {
  const x = T.matrix('x'), y = T.vector('y');
  const w = shared(new random.RandomState(0).randn(5) as NDArray, 'w'), b = shared(0, 'b');
  const p1 = T.div(1, T.add(1, T.exp(T.sub(T.neg(T.dot(x, w)), b))));
  const xent = T.sub(T.mul(T.neg(y), T.log(p1)), T.mul(T.sub(1, y), T.log(T.sub(1, p1))));
  const cost = xent.mean().add(w.pow(2).sum().mul(0.01));
  const [gw, gb] = grad(cost, [w, b]);
  return { inputs: [x, y], outputs: [p1.gt(0.5), xent, w.sub(gw.mul(0.1)), b.sub(gb.mul(0.1))] };
}

describe('the worklist reaches a fixed point', () => {
  for (const [label, g] of [['seed', seedGraph], ['mlp 3 layers', () => mlpGraph(3, 0)], ['mlp 4 layers, extra steps', () => mlpGraph(4, 2)]] as const) {
    it(`no first-phase rewrite applies after rewriting: ${label}`, () => {
      const { inputs, outputs } = g();
      const fg = new FunctionGraph(inputs, outputs);
      rewriteGraph(fg, { fusion: false });
      expect(firstUnrewritten(fg)).toBeNull();
    });
  }
});
