/** shared() and setValue() apply the casting rules of fn inputs; a refused value changes nothing. */
import { describe, expect, it } from 'vitest';
import { shared } from '../lib/shared.js';
import { array, NDArray } from '../lib/ndarray/ndarray.js';
import { config } from '../lib/config.js';
import * as T from '../lib/tensor/index.js';
import { fn } from '../lib/compile/function.js';

const vals = (a: NDArray) => Array.from(a.data);

describe('shared() with a dtype', () => {
  it('refuses numbers that an int32 or bool variable cannot hold exactly', () => {
    expect(() => shared([1e10], 'q', { dtype: 'int32' })).toThrow(/shared\(q\): expected int32 values, got non-integer or out-of-range numbers/);
    expect(() => shared([1.5, 2], 'q', { dtype: 'int32' })).toThrow(/non-integer/);
    expect(() => shared([0, 2], 'q', { dtype: 'bool' })).toThrow(/expected bool values/);
    expect(() => shared(new Float64Array([1.5]), 'q', { dtype: 'int32' })).toThrow(/got float64 data that cannot be cast to int32 safely/);
    expect(vals(shared([3, -4], 'q', { dtype: 'int32' }).getValue())).toEqual([3, -4]);
  });

  it('stores float data in a requested float32, rounded', () => {
    const s = shared(new Float64Array([0.1, 2]), 'f', { dtype: 'float32' });
    expect([s.dtype, vals(s.getValue())]).toEqual(['float32', [Math.fround(0.1), 2]]);
    expect(shared(array([1, 2], { dtype: 'int32' }), 'i', { dtype: 'float64' }).getValue().dtype).toBe('float64');
  });

  it('copies its value: later changes to the source do not leak in', () => {
    const src = new Float64Array([1, 2]);
    const s = shared(src, 's');
    src[0] = 9;
    expect(vals(s.getValue())).toEqual([1, 2]);
  });
});

describe('setValue', () => {
  it('refuses exactly what an fn input of the same type refuses, and keeps the old value', () => {
    const i = shared(array([1, 2], { dtype: 'int32' }), 'i');
    const x = T.ivector('x');
    const f = fn([x], x, { backend: 'js', name: 'id' });
    for (const bad of [[1.5, 2], [1e10, 1], new Float64Array([1, 2]), new Float32Array([1, 2]), 'text', null]) {
      expect(() => f(bad), String(bad)).toThrow();
      expect(() => i.setValue(bad as never), String(bad)).toThrow(/setValue of shared variable i/);
    }
    expect(vals(i.getValue())).toEqual([1, 2]);
    i.setValue([5, 6, 7]);
    expect(vals(i.getValue())).toEqual([5, 6, 7]);
    i.setValue(new Int16Array([-1]));
    expect(vals(i.getValue())).toEqual([-1]);
  });

  it('narrows float64 into a float32 variable only when float32 is floatX, as fn inputs do', () => {
    const s = shared(new Float32Array([1, 2]), 's');
    expect(() => s.setValue(new Float64Array([0.5]))).toThrow(/setValue of shared variable s: expected float32 vector, got float64 data/);
    const saved = config.floatX;
    config.floatX = 'float32';
    try {
      s.setValue(new Float64Array([0.1]));
      expect(vals(s.getValue())).toEqual([Math.fround(0.1)]);
    } finally {
      config.floatX = saved;
    }
  });

  it('does not keep a reference to the caller\'s array', () => {
    const s = shared([0, 0], 's');
    const v = new Float64Array([1, 2]);
    s.setValue(v);
    v[0] = 7;
    expect(vals(s.getValue())).toEqual([1, 2]);
  });
});

describe('backend names', () => {
  it('refuses an unknown backend instead of running somewhere else', () => {
    const x = T.vector('x');
    expect(() => fn([x], x, { backend: 'cuda' as never, name: 'g' })).toThrow(/fn 'g': unknown backend "cuda"; expected one of auto, native, js, debug/);
    expect(() => {
      config.backend = 'gpu' as never;
    }).toThrow(/config.backend must be/);
  });
});
