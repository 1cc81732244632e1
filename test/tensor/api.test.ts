/**
 * The tensor API's Theano conventions: the dtype rules of floor/ceil/round and mean, int64
 * constructors (int32 storage, checked narrowing), axis arguments in every form Theano takes,
 * and Variables refusing JavaScript's arithmetic operators with a message naming the methods.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T, fn, config, array, NDArray } from 'theanode';
import type { Variable } from 'theanode';

describe('dtype rules as Theano', () => {
  const saved = config.floatX;
  afterEach(() => {
    config.floatX = saved;
  });

  it('floor, ceil and round of int32 give float64 (bool: float32), whatever floatX is', () => {
    for (const fx of ['float64', 'float32'] as const) {
      config.floatX = fx;
      const i = T.ivector('i');
      for (const f of [T.floor, T.ceil, T.round]) {
        expect(f(i).dtype).toBe('float64');
        expect(f(T.bvector('b')).dtype).toBe('float32');
        expect(f(T.fvector('f')).dtype).toBe('float32');
      }
      const out = fn([i], [T.floor(i), T.round(i)])(array([3, -7], { dtype: 'int32' }));
      expect(out.map((o) => [o.dtype, ...Array.from(o.data)])).toEqual([['float64', 3, -7], ['float64', 3, -7]]);
    }
  });

  it('the mean of int32 is float64 under floatX float32 too, and computed in double', () => {
    config.floatX = 'float32';
    const i = T.ivector('i');
    expect(i.mean().dtype).toBe('float64');
    expect(T.mean(T.imatrix('m'), 1).dtype).toBe('float64');
    const r = fn([i], i.mean())(array([16777217, 0], { dtype: 'int32' }));
    expect(r.item()).toBe(16777217 / 2);
  });

  it('new ops follow the table: int_div and mod keep ints, isnan/isinf give bool, sin of int is floatX', () => {
    const i = T.ivector('i');
    expect(T.intDiv(i, 2).dtype).toBe('int32');
    expect(i.mod(3).dtype).toBe('int32');
    expect(T.intDiv(T.fvector('f'), 2).dtype).toBe('float32');
    expect(T.isnan(T.dvector('d')).dtype).toBe('bool');
    expect(T.sin(i).dtype).toBe(config.floatX);
    expect(T.cumsum(T.bvector('b')).dtype).toBe('int32');
    expect(T.argsort(T.dvector('d')).dtype).toBe('int32');
  });
});

describe('int64 constructors', () => {
  it('T.lscalar/lvector/lmatrix and dtype int64 are int32 storage', () => {
    expect([T.lscalar('a').dtype, T.lvector('b').dtype, T.lmatrix('c').dtype]).toEqual(['int32', 'int32', 'int32']);
    expect([T.lvector('b').ndim, T.lmatrix('c').ndim]).toEqual([1, 2]);
    expect(T.vector('y', 'int64').dtype).toBe('int32');
    expect(T.tensor('int64', [false]).dtype).toBe('int32');
    expect(T.dvector('d').astype('int64').dtype).toBe('int32');
  });

  it('int64 data is narrowed with a check: values outside int32 are an error, not a wrap', () => {
    const y = T.lvector('y');
    const f = fn([y], y.mul(2));
    expect(Array.from(f(BigInt64Array.from([1n, -3n, 2147483647n])).data)).toEqual([2, -6, -2]);
    expect(() => f(BigInt64Array.from([1n, 2147483648n]))).toThrow(/int64 value 2147483648 at flat index 1 does not fit in int32/);
  });
});

describe('axis arguments', () => {
  const x = T.tensor3('x');
  const X = new NDArray(Float64Array.from({ length: 24 }, (_, i) => (i * 7) % 11), [2, 3, 4]);
  const run = (v: Variable) => fn([x], v)(X);

  it('numbers, negative numbers, lists and { axis, keepdims } objects mean the same', () => {
    const ref = run(x.sum(2));
    for (const v of [x.sum(-1), T.sum(x, [2]), T.sum(x, { axis: -1 }), x.sum({ axis: [2] })]) expect(run(v).toArray()).toEqual(ref.toArray());
    expect(run(T.max(x, { axis: 1, keepdims: true })).shape).toEqual([2, 1, 4]);
    expect(run(x.mean({ axis: [0, -1] })).shape).toEqual([3]);
    expect(run(T.argmax(x, { axis: 1 })).toArray()).toEqual(run(x.argmax(1)).toArray());
    expect(run(x.argmin({ axis: -1, keepdims: true })).shape).toEqual([2, 3, 1]);
    expect(run(T.concatenate([x, x], { axis: -1 })).shape).toEqual([2, 3, 8]);
    expect(run(T.var(x, { axis: 0 })).shape).toEqual([3, 4]);
    expect(run(T.sum(x, { axis: null })).shape).toEqual([]);
  });

  it('anything else says what was expected', () => {
    expect(() => T.sum(x, 3)).toThrow(/sum: axis 3 is out of range for a 3-d input \(valid: -3 to 2\)/);
    expect(() => T.sum(x, 1.5)).toThrow(/sum: axis must be an integer, a list of integers, null, or \{ axis \}; got number 1.5/);
    expect(() => T.sum(x, '1' as never)).toThrow(/got "1"/);
    expect(() => T.argmax(x, [0, 1])).toThrow(/argmax: takes a single axis; got \[0, 1\]/);
    expect(() => T.argmax(x, { axes: 1 } as never)).toThrow(/argmax: unknown option "axes"; expected \{ axis, keepdims \}/);
    expect(() => T.sum(x, [1, -2])).toThrow(/duplicate axis/);
    expect(() => T.cumsum(x, { axis: 5 })).toThrow(/cumsum: axis 5 is out of range/);
  });
});

describe("Theano's spellings", () => {
  it('abs_, floor_div, true_div, int_div, zeros_like, ones_like, shape_padleft, shape_padright, where', () => {
    const v = T.dvector('v');
    const f = fn([v], [T.abs_(v), T.floor_div(v, 2), T.true_div(v, 2), T.int_div(v, 2), T.zeros_like(v), T.ones_like(v), T.shape_padleft(v, 2), T.shape_padright(v), T.where(v.gt(0), v, 0)]);
    const out = f(array([-3, 5]));
    expect(out.map((o) => Array.from(o.data))).toEqual([[3, 5], [-2, 2], [-1.5, 2.5], [-2, 2], [0, 0], [1, 1], [-3, 5], [-3, 5], [0, 5]]);
    expect([out[6].shape, out[7].shape]).toEqual([[1, 1, 2], [2, 1]]);
    expect(T.shape_padleft(v).broadcastable).toEqual([true, false]);
  });
});

describe('JavaScript operators on Variables', () => {
  const w = T.vector('W');
  it('throw a TypeError naming the methods to use', () => {
    const ops: (() => unknown)[] = [() => (w as unknown as number) ** 2, () => (w as unknown as number) * 2, () => (w as unknown as number) + 1, () => (w as unknown as number) > 0, () => -(w as unknown as number)];
    for (const op of ops) {
      expect(op).toThrow(TypeError);
      expect(op).toThrow(/the Variable W was used with a JavaScript operator.*a \+ b → a\.add\(b\).*a \*\* b → a\.pow\(b\)/);
    }
  });
  it('template strings still show the name', () => {
    expect(`${w}`).toBe('W');
    expect(String(w)).toBe('W');
  });
});
