/**
 * Compiling never changes a graph the caller holds, and grad works on any graph after any
 * compilation: fn() and grad() leave every node of the caller's graph exactly as it was (same
 * op, same inputs), and the values computed afterwards are the hand-derived ones.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, NDArray, array } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { toposort } from '../../lib/graph/toposort.js';
import type { Variable } from '../../lib/graph/variable.js';

/** Every node reachable from `vars` with its op and a copy of its inputs. */
function snapshot(vars: Variable[]) {
  return toposort(vars).map((n) => ({ node: n, op: n.op, inputs: [...n.inputs], outputs: n.outputs.map((o) => o.owner) }));
}

function expectUnchanged(snap: ReturnType<typeof snapshot>) {
  const changed = snap.findIndex((s) => s.node.op !== s.op || s.node.inputs.length !== s.inputs.length || s.node.inputs.some((v, i) => v !== s.inputs[i]) || s.node.outputs.some((o, i) => o.owner !== s.outputs[i]));
  expect(changed, `node ${changed} of the caller's graph was changed`).toBe(-1);
}

function expectClose(got: NDArray, want: number[], rtol = 1e-12) {
  expect(got.size).toBe(want.length);
  const bad = want.findIndex((w, i) => !(Math.abs(got.data[i] - w) <= rtol * (1 + Math.abs(w))));
  expect(bad, bad < 0 ? '' : `[${bad}]: ${got.data[bad]} vs ${want[bad]}`).toBe(-1);
}

const X = [
  [0.5, -1, 0.25],
  [2, 0.1, -0.3],
];
const W0 = [
  [0.2, -0.4, 0.1, 0.3],
  [0.05, 0.6, -0.2, 0.1],
  [-0.3, 0.2, 0.4, -0.1],
];

/** x^T (d ⊙ (1 - tanh²(xW))) + 3 x^T (d ⊙ (1 - tanh²(3xW))) for d = 1: the gradient of sum(tanh(xW) + tanh(3xW)). */
function handGrad(): number[] {
  const g: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let r = 0; r < 2; r++) {
        let z = 0;
        for (let k = 0; k < 3; k++) z += X[r][k] * W0[k][j];
        s += X[r][i] * (1 - Math.tanh(z) ** 2) + 3 * X[r][i] * (1 - Math.tanh(3 * z) ** 2);
      }
      g.push(s);
    }
  }
  return g;
}

function handProj(): number[] {
  const out: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < 4; j++) {
      let z = 0;
      for (let k = 0; k < 3; k++) z += X[r][k] * W0[k][j];
      out.push(Math.tanh(z) + Math.tanh(3 * z));
    }
  }
  return out;
}

function model() {
  const x = T.matrix('x'), d = T.matrix('d');
  const W = shared(array(W0), 'W');
  const proj = T.stack([T.tanh(x.dot(W)), T.tanh(x.dot(W).mul(3))], 0).sum(0);
  const cost = proj.mul(d).sum();
  return { x, d, W, proj, cost };
}

const ones = () => array([[1, 1, 1, 1], [1, 1, 1, 1]]);

describe('compiling leaves the caller\'s graph as it was', () => {
  for (const backend of nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const)) {
    it(`givens whose value shares the graph of the outputs, then grad (${backend})`, () => {
      const { x, d, W, proj, cost } = model();
      const snap = snapshot([cost]);
      const f = fn([x], [cost, proj], { givens: [[d, T.onesLike(proj)]], backend });
      expectUnchanged(snap);
      const [c, p] = f(array(X));
      expectClose(p, handProj());
      expectClose(c, [handProj().reduce((a, b) => a + b, 0)]);
      // The gradient of the graph fn compiled, built afterwards.
      const gW = grad(cost, W);
      expectUnchanged(snap);
      expectClose(fn([x, d], gW, { backend })(array(X), ones()), handGrad());
    });
  }

  it('givens as a Map, with a value computed from the graph of the outputs', () => {
    const { x, d, proj, cost } = model();
    const snap = snapshot([cost]);
    // d := 2·onesLike(proj), so the cost is 2·sum(proj).
    const f = fn([x], cost, { givens: new Map([[d, T.onesLike(proj).mul(2)]]), backend: 'js' });
    expectUnchanged(snap);
    expectClose(f(array(X)), [2 * handProj().reduce((a, b) => a + b, 0)]);
  });

  it('updates that share nodes with the outputs; the same graph compiled twice; grad afterwards', () => {
    const { x, d, W, cost } = model();
    const gW = grad(cost, W);
    const snap = snapshot([cost, gW]);
    const step = () => fn([x, d], [cost, gW], { updates: [[W, W.sub(gW.mul(0.1))]], backend: 'js' });
    const f1 = step();
    const f2 = step();
    expectUnchanged(snap);
    const listing = (f: ReturnType<typeof step>) => JSON.stringify(f.program.instructions.map((i) => [i.opcode, i.inputs, i.outputs]));
    expect(listing(f2)).toBe(listing(f1));
    const [, g1] = f1(array(X), ones());
    expectClose(g1, handGrad());
    // The update ran with the gradient at W0.
    const want = W0.flat().map((w, i) => w - 0.1 * handGrad()[i]);
    expectClose(W.getValue(), want);
    W.setValue(array(W0));
    expectClose(fn([x, d], grad(cost, W), { backend: 'js' })(array(X), ones()), handGrad());
    expectUnchanged(snap);
  });

  it('grad leaves the cost graph as it was, so fn after grad compiles the original cost', () => {
    const x = T.vector('x');
    const w = shared(array([0.5, -2, 3]), 'w');
    const p = T.div(1, T.add(1, T.exp(T.neg(x.mul(w)))));
    const cost = T.log(p).sum();
    const snap = snapshot([cost]);
    const g = grad(cost, w);
    expectUnchanged(snap);
    const xs = [1, 0.5, -0.25];
    const [c, gw] = fn([x], [cost, g], { backend: 'js' })(array(xs));
    const z = xs.map((xi, i) => xi * [0.5, -2, 3][i]);
    expectClose(c, [z.reduce((a, zi) => a - Math.log1p(Math.exp(-zi)), 0)]);
    // d/dw log(sigmoid(x w)) = x (1 - sigmoid(x w))
    expectClose(gw, z.map((zi, i) => xs[i] * (1 - 1 / (1 + Math.exp(-zi)))));
    expectUnchanged(snap);
  });

  it('grad with respect to a computed variable does not look through it', () => {
    const x = T.vector('x');
    const h = T.neg(x);
    // A rewrite would turn -(-x) into x and lose h; h must stay a variable of its own.
    const g = grad(T.neg(h).sum(), h);
    expectClose(fn([x], g, { backend: 'js' })(array([1, 2, 3])), [-1, -1, -1]);
    const e = T.exp(T.neg(x));
    const cost = T.log(T.div(1, T.add(1, e))).sum();
    const snap = snapshot([cost]);
    const ge = grad(cost, e);
    expectUnchanged(snap);
    const xs = [0, 1, -2];
    expectClose(fn([x], ge, { backend: 'js' })(array(xs)), xs.map((xi) => -1 / (1 + Math.exp(-xi))));
  });

  it('considerConstant on a computed variable keeps it whole', () => {
    const x = T.vector('x');
    const c = T.neg(x);
    // -(-x) would become x if a rewrite looked through c; with c held constant, d/dx (-c x) = -c = x.
    const g = grad(T.neg(c).mul(x).sum(), x, { considerConstant: [c] });
    expectClose(fn([x], g, { backend: 'js' })(array([1.5, -2])), [1.5, -2]);
  });
});
