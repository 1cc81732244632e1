/** shared(): the dtype a value keeps, and borrowing (no copies) where that is safe. */
import { afterEach, describe, expect, it } from 'vitest';
import { T, fn, shared, array, config, NDArray } from 'theanode';
import { nativeStatus } from '../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

describe('the dtype a shared value keeps', () => {
  const saved = config.floatX;
  afterEach(() => {
    config.floatX = saved;
  });

  it('arrays keep theirs: float32 stays float32 under floatX float64; int32 stays int32', () => {
    expect(shared(array([1.5, 2], { dtype: 'float32' })).dtype).toBe('float32');
    expect(shared(Float32Array.from([1, 2])).dtype).toBe('float32');
    expect(shared(array([1, 2], { dtype: 'int32' })).dtype).toBe('int32');
    expect(shared(array([1.5, 2], { dtype: 'float32' }), 'w', { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('plain numbers are floatX (shared(0) is a float, as shared(0.) in Theano); float64 arrays are floatX float32 when asked by floatX', () => {
    expect(shared(0).dtype).toBe('float64');
    expect(shared([1, 2]).dtype).toBe('float64');
    expect(shared(true).dtype).toBe('bool');
    expect(shared(3, 'n', { dtype: 'int32' }).dtype).toBe('int32');
    expect(shared([1, 2], 'idx', { dtype: 'int64' }).dtype).toBe('int32');
    config.floatX = 'float32';
    expect(shared(0).dtype).toBe('float32');
    expect(shared(array([0.1, 0.2], { dtype: 'float64' })).dtype).toBe('float32');
    expect(shared(array([0.1, 0.2], { dtype: 'float64' }), 'd', { dtype: 'float64' }).dtype).toBe('float64');
  });
});

describe('borrow', () => {
  it('getValue({ borrow: true }) is the storage itself; getValue() a copy', () => {
    const s = shared(array([1, 2, 3], { dtype: 'float64' }), 's');
    const a = s.getValue({ borrow: true });
    expect(a).toBe(s.getValue({ borrow: true }));
    expect(s.getValue()).not.toBe(a);
    expect(s.getValue().data).not.toBe(a.data);
  });

  for (const backend of backends) {
    it(`a borrowed array is the variable's storage: updates write into it in place (${backend})`, () => {
      const big = new NDArray(Float64Array.from([1, 2, 3, 4]), [4]);
      const s = shared(array([0, 0, 0, 0], { dtype: 'float64' }), 's');
      s.setValue(big, { borrow: true });
      expect(s.getValue({ borrow: true })).toBe(big);
      const step = fn([], [], { updates: [[s, s.mul(2)]], backend });
      step();
      expect(Array.from(big.data)).toEqual([2, 4, 6, 8]);
      // The caller's writes are the variable's values.
      big.data[0] = 100;
      expect(fn([], s.sum(), { backend })().item()).toBe(118);
      // shared(arr, name, { borrow }) too.
      const data = new NDArray(Float64Array.from([5, 6]), [2]);
      const t = shared(data, 't', { borrow: true });
      fn([], [], { updates: [[t, t.add(1)]], backend })();
      expect(Array.from(data.data)).toEqual([6, 7]);
    });
  }

  it('copies where sharing is unsafe: another dtype, or memory another shared variable uses', () => {
    const f32 = new NDArray(Float32Array.from([1, 2]), [2]);
    const d = shared(array([0, 0], { dtype: 'float64' }), 'd');
    d.setValue(f32, { borrow: true });
    expect(d.getValue({ borrow: true })).not.toBe(f32);
    expect(d.dtype).toBe('float64');
    const a = shared(new NDArray(Float64Array.from([1, 2]), [2]), 'a');
    const storage = a.getValue({ borrow: true });
    d.setValue(storage, { borrow: true });
    expect(d.getValue({ borrow: true }).data).not.toBe(storage.data);
    const b = shared(storage, 'b', { borrow: true });
    expect(b.getValue({ borrow: true }).data).not.toBe(storage.data);
    // Without borrow, setValue copies.
    const fresh = new NDArray(Float64Array.from([7, 8]), [2]);
    d.setValue(fresh);
    fresh.data[0] = -1;
    expect(Array.from(d.getValue().data)).toEqual([7, 8]);
  });
});
