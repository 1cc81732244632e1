/** Each rewrite on a tiny graph: what the rewritten graph looks like, and that values are unchanged. */
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/tensor/index.js';
import { fn } from '../../lib/compile/function.js';
import { FunctionGraph } from '../../lib/graph/fgraph.js';
import { rewriteGraph } from '../../lib/rewrite/index.js';
import { debugprint } from '../../lib/printing.js';
import { array, NDArray } from '../../lib/ndarray/ndarray.js';
import { Elemwise } from '../../lib/ops/elemwise.js';
import { Dot } from '../../lib/ops/dot.js';
import { Constant, Variable } from '../../lib/graph/variable.js';

function rewritten(inputs: Variable[], outputs: Variable[], fusion = false) {
  const fg = new FunctionGraph(inputs, outputs);
  rewriteGraph(fg, { fusion });
  return fg;
}

const opNames = (fg: FunctionGraph) => fg.nodes.map((n) => n.op.label());

describe('stabilization', () => {
  it('recognises 1/(1+exp(-z)) as sigmoid(z) and keeps log terms finite when saturated', () => {
    const z = T.vector('z');
    const p = T.div(1, T.add(1, T.exp(T.neg(z))));
    const fg = rewritten([z], [p]);
    expect(opNames(fg)).toEqual(['sigmoid']);
    const f = fn([z], [T.log(p), T.log(T.sub(1, p))], { backend: 'js' });
    const [a, b] = f(array([-800, -40, 0, 40, 800]));
    expect(Array.from(a.data)).toEqual([-800, expect.closeTo(-40, 12), expect.closeTo(-Math.LN2, 14), expect.closeTo(-4.248354255291589e-18, 30), -0]);
    expect(b.data[4]).toBe(-800);
    expect(b.data[0]).toBeCloseTo(0, 12);
  });

  it('folds -a - b inside the exp into sigmoid(a + b)', () => {
    const a = T.vector('a');
    const b = T.scalar('b');
    const p = T.div(1, T.add(1, T.exp(T.sub(T.neg(a), b))));
    const names = opNames(rewritten([a, b], [p]));
    expect(names).toContain('sigmoid');
    expect(names).not.toContain('exp');
    expect(names).not.toContain('neg');
  });

  it('turns log(softmax(x)) into logSoftmax(x)', () => {
    const x = T.matrix('x');
    const fg = rewritten([x], [T.log(T.nnet.softmax(x))]);
    expect(opNames(fg)).toEqual(['logSoftmax']);
    const f = fn([x], T.log(T.nnet.softmax(x)), { backend: 'js' });
    const out = f(array([[1000, 0], [0, 0]]));
    expect(out.data[0]).toBeCloseTo(0, 12);
    expect(out.data[1]).toBe(-1000);
    expect(out.data[2]).toBeCloseTo(-Math.LN2, 14);
  });
});

describe('canonicalization', () => {
  it('merges equal subexpressions', () => {
    const x = T.vector('x');
    const fg = rewritten([x], [T.add(T.exp(x), T.exp(x))]);
    expect(opNames(fg).filter((n) => n === 'exp')).toHaveLength(1);
  });

  it('folds constants', () => {
    const x = T.vector('x');
    const fg = rewritten([x], [T.mul(x, T.add(array([1, 2]), 3))]);
    expect(fg.nodes).toHaveLength(1);
    const c = fg.nodes[0].inputs.find((v) => v instanceof Constant) as Constant;
    expect(Array.from(c.value.data)).toEqual([4, 5]);
  });

  it('makes x**2 a sqr and removes x*1', () => {
    const x = T.vector('x');
    expect(opNames(rewritten([x], [x.pow(2).mul(1)]))).toEqual(['sqr']);
  });

  it('folds transposes into dot as flags', () => {
    const a = T.matrix('a');
    const v = T.vector('v');
    const fg = rewritten([a, v], [T.dot(a.T, v)]);
    expect(fg.nodes).toHaveLength(1);
    const op = fg.nodes[0].op as Dot;
    expect(op).toBeInstanceOf(Dot);
    expect(op.transA).toBe(true);
    const f = fn([a, v], T.dot(a.T, v), { backend: 'js' });
    expect(Array.from(f(array([[1, 2], [3, 4], [5, 6]]), array([1, 10, 100])).data)).toEqual([531, 642]);
  });
});

describe('fusion', () => {
  it('fuses an elementwise chain into one loop', () => {
    const x = T.vector('x');
    const y = T.vector('y');
    const out = T.tanh(T.add(T.mul(x, 2), T.exp(y)));
    const fg = rewritten([x, y], [out], true);
    expect(fg.nodes).toHaveLength(1);
    expect((fg.nodes[0].op as Elemwise).steps.map((s) => s.op)).toEqual(['mul', 'exp', 'add', 'tanh']);
    const f = fn([x, y], out, { backend: 'js' });
    const r = f(array([0.1, -0.3]), array([0.2, 0.5]));
    expect(r.data[0]).toBeCloseTo(Math.tanh(0.2 + Math.exp(0.2)), 14);
    expect(r.data[1]).toBeCloseTo(Math.tanh(-0.6 + Math.exp(0.5)), 14);
  });

  it('keeps a value used outside the group as its own result', () => {
    const x = T.vector('x');
    const e = T.exp(x);
    const fg = rewritten([x], [T.add(e, 1), T.mul(e, 2)], true);
    expect(fg.nodes).toHaveLength(3);
  });
});

describe('memory plan', () => {
  it('reuses dead temporaries and writes elementwise results in place', () => {
    const x = T.vector('x');
    // Two separate reductions force unfused intermediates of length n.
    const a = T.exp(x);
    const s1 = a.sum();
    const b = T.sqrt(T.abs(a.sub(s1)));
    const s2 = b.sum();
    const f = fn([x], [T.add(s1, s2)], { backend: 'js' });
    const n = 1000;
    const data = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const [r] = f(new NDArray(data, [n]));
    let e = 0;
    for (const v of data) e += Math.exp(v);
    let s = 0;
    for (const v of data) s += Math.sqrt(Math.abs(Math.exp(v) - e));
    expect(r.item()).toBeCloseTo(e + s, 8);
    // exp(x) and the fused sqrt(abs(a - s1)) can share one n-element block; a few scalars besides.
    expect(f.lastPlan!.tempBytes).toBeLessThan(n * 8 + 64);
    expect(debugprint(f)).toMatch(/temporaries \d+ bytes/);
  });
});
