/**
 * Edge cases of the new ops on both backends: symbolic shapes (T.zeros(x.shape), T.alloc with
 * int scalars), float32, empty arrays, NaN in sort, int32 running sums, and special values of
 * the new elementwise functions; the backends agree on all of them.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, array, NDArray, random } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const native = nativeStatus().available;
const backends = native ? (['js', 'native'] as const) : (['js'] as const);
const vals = (a: NDArray) => Array.from(a.data);

/** Native against js on the same call: exact for ints and bools, 1e-10 / 1e-4 relative for floats. */
function agree(inputs: Variable[], outputs: Variable[], args: unknown[], label: string) {
  if (!native) return;
  const a = fn(inputs, outputs, { backend: 'js', onUnusedInput: 'ignore' })(...args);
  const b = fn(inputs, outputs, { backend: 'native', onUnusedInput: 'ignore' })(...args);
  a.forEach((r, k) => {
    expect(b[k].dtype, label).toBe(r.dtype);
    expect(b[k].shape, label).toEqual(r.shape);
    const rtol = r.dtype === 'float32' ? 1e-4 : r.dtype === 'float64' ? 1e-10 : 0;
    for (let i = 0; i < r.size; i++) {
      const x = b[k].data[i];
      const y = r.data[i];
      if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
      if (!(Math.abs(x - y) <= rtol * Math.abs(y))) expect.fail(`${label} output ${k}[${i}]: native ${x}, js ${y}`);
    }
  });
}

describe('alloc, zeros, ones, fill, eye', () => {
  for (const backend of backends) {
    it(`take symbolic shapes (${backend})`, () => {
      const x = T.matrix('x');
      const n = T.iscalar('n');
      expect(fn([n], T.ones(n, 'int32'), { backend })(3).toArray()).toEqual([1, 1, 1]);
      const f = fn([x, n], [T.zeros(x.shape), T.ones([n, x.shape.get(1)], 'int32'), T.alloc(x.get(0), n, x.shape.get(0), x.shape.get(1)), T.eye(n), T.eye(n, 3, 1, 'int32'), T.fill(x, 2.5)], { backend });
      const X = array([[1, 2, 3], [4, 5, 6]]);
      const [z, o, a, e, e2, fl] = f(X, 2);
      expect([z.shape, vals(z)]).toEqual([[2, 3], [0, 0, 0, 0, 0, 0]]);
      expect([o.dtype, o.shape, vals(o)]).toEqual(['int32', [2, 3], [1, 1, 1, 1, 1, 1]]);
      expect([a.shape, vals(a)]).toEqual([[2, 2, 3], [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]]);
      expect(vals(e)).toEqual([1, 0, 0, 1]);
      expect([e2.shape, vals(e2)]).toEqual([[2, 3], [0, 1, 0, 0, 0, 1]]);
      expect(vals(fl)).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
      // Shapes that change between calls, and empty ones.
      const [z2, o2, a2, e3] = f(array([[1], [2], [3]]), 0);
      expect([z2.shape, o2.shape, a2.shape, e3.shape]).toEqual([[3, 1], [0, 1], [0, 3, 1], [0, 0]]);
    });

    it(`check their shapes (${backend})`, () => {
      const v = T.vector('v');
      const n = T.iscalar('n');
      const f = fn([v, n], T.alloc(v, n, 3), { backend });
      expect(() => f(array([1, 2]), 2)).toThrow(/alloc: a value of shape \(2,\) cannot be broadcast to shape \(2, 3\)/);
      expect(() => f(array([1, 2, 3]), -1)).toThrow(/alloc: size -1 of axis 0 is negative/);
      const g = fn([v, n], T.alloc(v, n, 3), { backend });
      expect(() => g(array([7]), 2)).toThrow(/axis 0 of the value has length 1 but is not declared broadcastable/);
      const b = T.tensor('float64', [true], 'b');
      expect(vals(fn([b, n], T.alloc(b, n, 2), { backend })(array([7]), 2))).toEqual([7, 7, 7, 7]);
      // A column repeated across, under a new leading axis (neither a scalar nor whole rows).
      const col = T.tensor('float64', [false, true], 'col');
      const c = fn([col, n], T.alloc(col, n, 3, 2), { backend })(array([[1], [2], [3]]), 2);
      expect([c.shape, vals(c)]).toEqual([[2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]]);
    });
  }

  it('errors when the graph is built', () => {
    expect(() => T.zeros(T.ivector('s'))).toThrow(/the length of this symbolic shape is not known/);
    expect(() => T.zeros([2, 1.5])).toThrow(/size 1.5 of axis 1 is not a non-negative integer/);
    expect(() => T.alloc(T.matrix('m'), 3)).toThrow(/the value has 2 dimensions but the shape only 1/);
    expect(() => T.eye(T.dscalar('n'))).toThrow(/eye: n, m and k must be integer scalars/);
  });

  it('alloc passes its gradient back to the value, summed over the broadcast axes', () => {
    const v = T.vector('v');
    const w = T.tensor3('w');
    const cost = T.alloc(v, 2, 3, v.shape.get(0)).mul(w).sum();
    const W = new NDArray(Float64Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    const g = fn([v, w], T.grad(cost, v))(array([1, 2, 3, 4]), W);
    // d/dv_j = sum over the 6 copies of w[.., .., j].
    expect(vals(g)).toEqual([0, 1, 2, 3].map((j) => [0, 1, 2, 3, 4, 5].reduce((s, r) => s + W.data[r * 4 + j], 0)));
  });
});

describe('cumsum, cumprod, sort, argsort', () => {
  for (const backend of backends) {
    it(`int32 running sums wrap like numpy's int32; bool sums count (${backend})`, () => {
      const i = T.ivector('i');
      const b = T.bvector('b');
      const [s, c, p] = fn([i, b], [T.cumsum(i), T.cumsum(b), T.cumprod(i)], { backend })(array([2147483647, 1, -5], { dtype: 'int32' }), array([true, false, true]));
      expect([s.dtype, vals(s)]).toEqual(['int32', [2147483647, -2147483648, 2147483643]]);
      expect([c.dtype, vals(c)]).toEqual(['int32', [1, 1, 2]]);
      // numpy int32: the product wraps (computed exactly first).
      expect(vals(p)).toEqual([2147483647, 2147483647, Number(BigInt.asIntN(32, 2147483647n * -5n))]);
    });

    it(`sort puts NaN last and keeps ties in order; empty axes and float32 (${backend})`, () => {
      const v = T.vector('v');
      const f = fn([v], [T.sort(v), T.argsort(v)], { backend });
      const [s, a] = f(array([3, NaN, -1, 3, -Infinity, NaN, 0]));
      expect(vals(s)).toEqual([-Infinity, -1, 0, 3, 3, NaN, NaN]);
      expect(vals(a)).toEqual([4, 2, 6, 0, 3, 1, 5]);
      const [s0, a0] = f(new NDArray(new Float64Array(0), [0]));
      expect([s0.shape, a0.shape]).toEqual([[0], [0]]);
      const m = T.fmatrix('m');
      const r = fn([m], [m.sort(0), m.cumsum(1)], { backend })(array([[3, 1], [2, 4]], { dtype: 'float32' }));
      expect(r.map((o) => [o.dtype, ...vals(o)])).toEqual([['float32', 2, 1, 3, 4], ['float32', 3, 4, 2, 6]]);
    });
  }

  it('sort of a scalar is an error', () => {
    expect(() => T.sort(T.scalar('s'))).toThrow(/sort: needs at least one dimension/);
  });
});

describe('isnan and isinf', () => {
  for (const backend of backends) {
    it(`by definition, on floats and ints (${backend})`, () => {
      const d = T.dvector('d');
      const i = T.ivector('i');
      const [a, b, c] = fn([d, i], [d.isnan(), d.isinf(), i.isinf()], { backend })(array([NaN, Infinity, -Infinity, 0, -1e308, 5e-324]), array([0, -1], { dtype: 'int32' }));
      expect([a.dtype, vals(a), vals(b), vals(c)]).toEqual(['bool', [1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0], [0, 0]]);
    });
  }
});

describe('the backends agree on the new elementwise ops, special values included', () => {
  const specials = [0, -0, 1, -1, 0.5, -0.5, 2, -2.5, 1e-300, -1e-300, 1e300, -1e300, Infinity, -Infinity, NaN, 171.5, 200, -3, 27, -27, 0.9999999];
  it('float64 and float32', () => {
    for (const dt of ['float64', 'float32'] as const) {
      const x = T.vector('x', dt);
      const y = T.vector('y', dt);
      const outs = [
        x.sin(), x.cos(), x.tan(), x.arcsin(), x.arccos(), x.arctan(), T.arctan2(x, y), x.sinh(), x.cosh(), x.arcsinh(), x.arccosh(), x.arctanh(),
        x.log2(), x.log10(), x.exp2(), x.isnan(), x.isinf(), x.erf(), x.erfc(), x.erfinv(), x.gamma(), x.gammaln(), x.psi(), T.trigamma(x),
        x.intDiv(y), x.mod(y), x.sin().add(x.erf()).mul(y.gamma()),
      ];
      const X = new NDArray(dt === 'float64' ? Float64Array.from(specials) : Float32Array.from(specials), [specials.length], dt);
      const Y = new NDArray(dt === 'float64' ? Float64Array.from(specials.slice().reverse()) : Float32Array.from(specials.slice().reverse()), [specials.length], dt);
      agree([x, y], outs, [X, Y], `elemwise ${dt}`);
      const rng = new random.RandomState(5);
      const R = (rng.randn(500) as NDArray).astype(dt);
      const S = (rng.randn(500) as NDArray).astype(dt);
      agree([x, y], outs, [R, S], `random ${dt}`);
    }
  });

  it('int32 int_div and mod, and the int64 narrowing', () => {
    const i = T.ivector('i');
    const j = T.lvector('j');
    agree([i, j], [i.intDiv(j), i.mod(j), T.cumsum(i), T.sort(j)], [array([7, -7, 0, 5, -2147483648], { dtype: 'int32' }), BigInt64Array.from([2n, 0n, -3n, -1n, -1n])], 'int32');
  });
});
