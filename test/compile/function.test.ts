/** fn(): outputs, updates (atomic), givens, input checking, plans per shape, async ordering. */
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/tensor/index.js';
import { fn } from '../../lib/compile/function.js';
import { shared } from '../../lib/shared.js';
import { array, NDArray } from '../../lib/ndarray/ndarray.js';
import { config } from '../../lib/config.js';

const vals = (a: NDArray) => Array.from(a.data);

describe('outputs', () => {
  it('returns one array, a list, or nothing', () => {
    const x = T.vector('x');
    expect(vals(fn([x], x.mul(2))(array([1, 2])))).toEqual([2, 4]);
    const [a, b] = fn([x], [x.add(1), x.sum()])(array([1, 2]));
    expect(vals(a)).toEqual([2, 3]);
    expect(b.item()).toBe(3);
    expect(fn([x], [], { onUnusedInput: 'ignore' })(array([1]))).toEqual([]);
    expect(fn([x], null, { onUnusedInput: 'ignore' })(array([1]))).toEqual([]);
  });

  it('returns fresh arrays that later calls do not overwrite, even for an input passed through', () => {
    const x = T.vector('x');
    const f = fn([x], [x, x.mul(3)]);
    const first = f(array([1, 2]));
    f(array([5, 6]));
    expect(vals(first[0])).toEqual([1, 2]);
    expect(vals(first[1])).toEqual([3, 6]);
  });
});

describe('updates', () => {
  it('all see the values from before the call (a swap works)', () => {
    const a = shared(array([1, 2]), 'a');
    const b = shared(array([10, 20]), 'b');
    const swap = fn([], [a.add(0)], { updates: [[a, b], [b, a]] });
    const [before] = swap();
    expect(vals(before)).toEqual([1, 2]);
    expect(vals(a.getValue())).toEqual([10, 20]);
    expect(vals(b.getValue())).toEqual([1, 2]);
  });

  it('accept a Map, and change nothing when the call fails', () => {
    const w = shared(array([1, 2, 3]), 'w');
    const c = shared(0, 'c');
    const m = T.matrix('m');
    const step = fn([m], m.dot(w), { updates: new Map<any, any>([[w, w.mul(2)], [c, c.add(1)]]), name: 'step' });
    expect(vals(step(array([[1, 1, 1]])))).toEqual([6]);
    expect(vals(w.getValue())).toEqual([2, 4, 6]);
    expect(c.getValue().item()).toBe(1);
    expect(() => step(array([[1, 1]]))).toThrow(/fn 'step': dot: shapes \(1, 2\) and \(3,\) are not aligned/);
    expect(vals(w.getValue())).toEqual([2, 4, 6]);
    expect(c.getValue().item()).toBe(1);
  });

  it('change nothing when an index is out of bounds at run time', () => {
    const w = shared(array([1, 2, 3]), 'w');
    const i = T.ivector('i');
    const f = fn([i], w.get(i), { updates: [[w, w.add(1)]] });
    expect(vals(f(array([2, 0])))).toEqual([3, 1]);
    expect(() => f(array([5]))).toThrow(/index 5 is out of bounds for axis 0 with size 3/);
    expect(vals(w.getValue())).toEqual([2, 3, 4]);
  });

  it('may change a shared variable\'s shape, and refuse wrong types', () => {
    const s = shared(array([1, 2]), 's');
    const grow = fn([], [], { updates: [[s, T.concatenate([s, s])]] });
    grow();
    expect(s.getValue().shape).toEqual([4]);
    expect(() => fn([], [], { updates: [[s, T.matrix('q')]] })).toThrow(/expected a 1-d value/);
    const i = shared(array([1, 2], { dtype: 'int32' }), 'i');
    expect(() => fn([], [], { updates: [[i, i.mul(0.5)]] })).toThrow(/cannot be stored in a int32 variable/);
    expect(() => fn([], [], { updates: [[s, s], [s, s]] })).toThrow(/updated twice/);
  });
});

describe('updates in place', () => {
  it('write the shared storage directly when nothing else needs the old value', () => {
    const w = shared([1, 2, 3], 'w');
    const x = T.vector('x');
    const f = fn([x], x.sum(), { updates: [[w, w.sub(x.mul(0.5))]] });
    const storage = w.container.value.data;
    f(array([2, 2, 2]));
    const plan = f.lastPlan!;
    const u = f.program.updates[0];
    expect(plan.alias[u.buffer]).toBe(f.program.shared[u.shared]);
    expect(w.container.value.data).toBe(storage);
    expect(vals(w.getValue())).toEqual([0, 1, 2]);
  });

  it('do not, when an output still needs the old value or a later instruction may fail', () => {
    const w = shared([1, 2, 3], 'w');
    const x = T.vector('x');
    const f = fn([x], w.mul(x).sum(), { updates: [[w, w.add(1)]] });
    expect(f(array([1, 1, 1])).item()).toBe(6);
    expect(vals(w.getValue())).toEqual([2, 3, 4]);
    // w's update is computed before an indexing that may fail: it must wait for the commit.
    const i = T.ivector('i');
    const v = shared([5, 6], 'v');
    const c = shared(0, 'c');
    const g = fn([i], [], { updates: [[w, w.mul(10)], [c, c.add(v.get(i).sum())]] });
    const k = g.program.instructions.findIndex((ins) => ins.opcode === 'index');
    const ku = g.program.instructions.findIndex((ins) => ins.outputs.includes(g.program.updates[0].buffer));
    expect(ku).toBeLessThan(k);
    expect(() => g(array([7]))).toThrow(/out of bounds/);
    expect(g.lastPlan!.alias[g.program.updates[0].buffer]).toBe(-1);
    expect(vals(w.getValue())).toEqual([2, 3, 4]);
    expect(c.getValue().item()).toBe(0);
    g(array([1]));
    expect(vals(w.getValue())).toEqual([20, 30, 40]);
    expect(c.getValue().item()).toBe(6);
  });
});

describe('givens', () => {
  it('replace a variable by another expression', () => {
    const x = T.vector('x');
    const y = T.vector('y');
    const f = fn([y], x.mul(2), { givens: [[x, y.add(1)]] });
    expect(vals(f(array([1, 2])))).toEqual([4, 6]);
  });

  it('can slice a shared dataset by an integer input', () => {
    const data = shared(array([[1, 2], [3, 4], [5, 6], [7, 8]]), 'data');
    const x = T.matrix('x');
    const i = T.iscalar('i');
    const f = fn([i], x.sum(1), { givens: [[x, data.get(T.slice(i.mul(2), i.add(1).mul(2)))]] });
    expect(vals(f(0))).toEqual([3, 7]);
    expect(vals(f(1))).toEqual([11, 15]);
  });
});

describe('inputs are checked', () => {
  const x = T.matrix('x');
  const y = T.ivector('y');
  const f = fn([x, y], x.sum().add(y.sum()), { name: 'loss' });

  it('count', () => {
    expect(() => f(array([[1]]))).toThrow(/fn 'loss': expected 2 argument\(s\) \(x, y\), got 1/);
  });
  it('ndim', () => {
    expect(() => f(array([1, 2]), array([1]))).toThrow(/fn 'loss', input 0 \(x\): expected a float64 matrix, got a 1-d array of shape \(2,\)/);
  });
  it('dtype that cannot be cast safely', () => {
    expect(() => f(array([[1]]), [1.5])).toThrow(/input 1 \(y\): expected int32 vector values, got non-integer/);
    expect(() => f(array([[1]]), array([1.5], { dtype: 'float64' }))).toThrow(/input 1 \(y\): expected int32 vector, got float64 data that cannot be cast/);
  });
  it('ragged nested arrays', () => {
    expect(() => f([[1, 2], [3]], [1])).toThrow(/input 0 \(x\): .*ragged nested array/);
  });
  it('casts safely and with allowInputDowncast', () => {
    expect(f(array([[1.5]]), array([2])).item()).toBe(3.5);
    const g = fn([y], y.sum(), { allowInputDowncast: true });
    expect(g(array([1.9, 2.2], { dtype: 'float64' })).item()).toBe(3);
  });
  it('float64 data for float32 inputs when floatX is float32', () => {
    const saved = config.floatX;
    config.floatX = 'float32';
    try {
      const v = T.vector('v');
      const h = fn([v], v.mul(0.1));
      const out = h(array([1, 2], { dtype: 'float64' }));
      expect(out.dtype).toBe('float32');
      expect(out.data[0]).toBe(Math.fround(Math.fround(0.1) * 1));
      const strict = fn([v], v, { allowInputDowncast: false });
      expect(() => strict(array([1], { dtype: 'float64' }))).toThrow(/cannot be cast to float32 safely/);
    } finally {
      config.floatX = saved;
    }
  });
  it('rejects non-variables and computed inputs', () => {
    expect(() => fn([x.add(1)], x)).toThrow(/computed from other variables/);
    expect(() => fn([shared(1)], x)).toThrow(/is a shared variable/);
    expect(() => fn([x], T.vector('z'))).toThrow(/needs z .* not among the inputs/);
  });
  it('names the function, and a re-created variable that shares an input\'s name', () => {
    const a = T.vector('a');
    expect(() => fn([a], T.vector('zz'), { name: 'score' })).toThrow(/^fn 'score': the graph needs zz \(.*\), which is not among the inputs; add it to the inputs/);
    expect(() => fn([a], T.vector('a').mul(2), { name: 'twice' })).toThrow(
      "fn 'twice': the graph needs a (float64[?]), which is not among the inputs; input 0 is a different variable with the same name a: build the graph from that input, or pass this variable instead",
    );
  });
});

describe('plans', () => {
  it('follow shapes that change between calls', () => {
    const x = T.matrix('x');
    const f = fn([x], x.sum(0).mul(x.shape.get(0)));
    expect(vals(f(array([[1, 2]])))).toEqual([1, 2]);
    expect(vals(f(array([[1, 2, 3], [4, 5, 6]])))).toEqual([10, 14, 18]);
    expect(vals(f(array([[1, 2]])))).toEqual([1, 2]);
    expect(f(new NDArray(new Float64Array(0), [0, 3])).shape).toEqual([3]);
  });

  it('handle 0-d values and empty arrays', () => {
    const s = T.scalar('s');
    const v = T.vector('v');
    const f = fn([s, v], [s.mul(v), v.sum(), v.mean()]);
    const [a, b, c] = f(2, new NDArray(new Float64Array(0), [0]));
    expect(a.shape).toEqual([0]);
    expect(b.item()).toBe(0);
    expect(Number.isNaN(c.item())).toBe(true);
  });
});

describe('async', () => {
  it('runs calls that share variables in call order', async () => {
    const acc = shared([0], 'acc');
    const x = T.vector('x');
    const f = fn([x], acc.mul(1), { updates: [[acc, acc.mul(10).add(x)]] });
    const results = await Promise.all([1, 2, 3].map((v) => f.async(array([v]))));
    expect(results.map((r) => r.item())).toEqual([0, 1, 12]);
    expect(acc.getValue().item()).toBe(123);
  });

  it('rejects bad arguments without running', async () => {
    const x = T.vector('x');
    await expect(fn([x], x).async(array([[1]]))).rejects.toThrow(/expected a float64 vector/);
  });
});
