/** Theano's (numpy's) dtype rules for mixed operands, with bare JS numbers weakly typed. */
import { afterEach, describe, expect, it } from 'vitest';
import { T, fn, config, array } from 'theanode';

describe('dtype rules', () => {
  const saved = config.floatX;
  afterEach(() => {
    config.floatX = saved;
  });

  it('promotes mixed tensors like numpy', () => {
    const i = T.ivector('i'), f = T.fvector('f'), d = T.dvector('d'), b = T.bvector('b');
    expect(T.add(i, f).dtype).toBe('float64');
    expect(T.add(f, f).dtype).toBe('float32');
    expect(T.mul(f, d).dtype).toBe('float64');
    expect(T.add(i, b).dtype).toBe('int32');
    expect(T.add(b, b).dtype).toBe('int32');
    expect(T.gt(f, d).dtype).toBe('bool');
    expect(T.and(b, b).dtype).toBe('bool');
    expect(T.switch(b, f, f).dtype).toBe('float32');
  });

  it("lets bare numbers take the other operand's dtype", () => {
    const i = T.ivector('i'), f = T.fvector('f');
    expect(f.mul(0.1).dtype).toBe('float32');
    expect(f.add(1).dtype).toBe('float32');
    expect(i.add(1).dtype).toBe('int32');
    expect(i.mul(0.5).dtype).toBe('float64');
    expect(T.sub(1, f).dtype).toBe('float32');
    const out = fn([f], f.mul(0.1))(array([3], { dtype: 'float32' }));
    expect(out.dtype).toBe('float32');
    expect(out.data[0]).toBe(Math.fround(Math.fround(3) * Math.fround(0.1)));
  });

  it('makes integer division, float functions and means floatX', () => {
    const i = T.ivector('i');
    expect(T.div(i, i).dtype).toBe('float64');
    expect(T.exp(i).dtype).toBe('float64');
    expect(i.mean().dtype).toBe('float64');
    expect(i.sum().dtype).toBe('int32');
    expect(T.bvector('b').sum().dtype).toBe('int32');
    config.floatX = 'float32';
    expect(T.div(i, i).dtype).toBe('float32');
    expect(T.vector('v').dtype).toBe('float32');
    expect(T.scalar('s').add(0.5).dtype).toBe('float32');
    expect(Array.from(fn([i], T.div(i, 2))(array([3, -3], { dtype: 'int32' })).data)).toEqual([1.5, -1.5]);
  });

  it('casts explicitly, with truncation and wrapping like numpy', () => {
    const d = T.dvector('d');
    const f = fn([d], [d.astype('int32'), d.astype('bool'), d.astype('float32')]);
    const [a, b, c] = f(array([1.9, -1.9, 0, 2 ** 31 + 5], { dtype: 'float64' }));
    expect(Array.from(a.data)).toEqual([1, -1, 0, -(2 ** 31) + 5]);
    expect(Array.from(b.data)).toEqual([1, 1, 0, 1]);
    expect(c.data[0]).toBe(Math.fround(1.9));
  });
});
