/** Every typed-array kind is converted exactly or refused; data and shape must agree; deep nesting is refused. */
import { describe, expect, it } from 'vitest';
import { NDArray, array, MAX_NDIM } from '../../lib/ndarray/ndarray.js';
import * as T from '../../lib/tensor/index.js';
import { fn } from '../../lib/compile/function.js';
import { shared } from '../../lib/shared.js';

const vals = (a: NDArray) => Array.from(a.data);

describe('typed arrays of other kinds', () => {
  it('widens small integer kinds to int32 exactly', () => {
    const cases: [ArrayBufferView & ArrayLike<number>, number[]][] = [
      [new Int8Array([-128, 127, 0]), [-128, 127, 0]],
      [new Int16Array([1000, -3, 32767]), [1000, -3, 32767]],
      [new Uint8Array([255, 0, 7]), [255, 0, 7]],
      [new Uint8ClampedArray([255, 1, 2]), [255, 1, 2]],
      [new Uint16Array([65535, 1, 0]), [65535, 1, 0]],
      [new Uint32Array([2147483647, 3, 0]), [2147483647, 3, 0]],
    ];
    for (const [src, want] of cases) {
      const a = array(src);
      expect([src.constructor.name, a.dtype, vals(a)]).toEqual([src.constructor.name, 'int32', want]);
      const s = shared(src, 's');
      expect([src.constructor.name, s.dtype, vals(s.getValue())]).toEqual([src.constructor.name, 'int32', want]);
    }
  });

  it('refuses values that do not fit instead of wrapping them', () => {
    expect(() => array(new Uint32Array([1, 4294967295]))).toThrow(/array: uint32 value 4294967295 at flat index 1 does not fit in int32/);
    expect(() => shared(new BigUint64Array([1n, 1n << 40n]), 'q')).toThrow(/shared\(q\): uint64 value 1099511627776 at flat index 1/);
    expect(() => array(new DataView(new ArrayBuffer(4)))).toThrow(/DataView has no element type/);
  });

  it('refuses non-storage data in the NDArray constructor with a message that says what to do', () => {
    expect(() => new NDArray(new Int8Array(2) as never, [2])).toThrow(/NDArray: data must be a Float64Array, Float32Array, Int32Array or Uint8Array \(bool\), got Int8Array; array\(data\) converts/);
    expect(() => new NDArray(new Int16Array(2) as never, [2], 'int32')).toThrow(/NDArray: int32 data must be a Int32Array, got Int16Array/);
  });

  it('takes other kinds as fn inputs under the usual casting rules', () => {
    const x = T.ivector('x');
    const f = fn([x], x.mul(2), { backend: 'js', name: 'twice' });
    expect(vals(f(new Int16Array([1000, -3])))).toEqual([2000, -6]);
    expect(vals(f(new Uint8Array([200, 1])))).toEqual([400, 2]);
    const b = T.tensor('bool', [false], 'b');
    const g = fn([b], b.not(), { backend: 'js', name: 'negate' });
    // A Uint8Array of 0s and 1s is bool's own storage; other bytes are uint8 values.
    expect(vals(g(new Uint8Array([0, 1])))).toEqual([1, 0]);
    expect(() => g(new Uint8Array([0, 2]))).toThrow(/fn 'negate', input 0 \(b\): expected bool vector, got int32 data that cannot be cast/);
  });
});

describe('data and shape agreement at the boundary', () => {
  // NDArray fields are plain properties: code can swap the data after construction.
  const liar = () => {
    const a = new NDArray(new Float64Array(4), [4]);
    (a as { data: Float64Array }).data = new Float64Array(2);
    return a;
  };

  it('refuses an NDArray whose data is shorter than its shape, on both backends', () => {
    const x = T.vector('x');
    for (const backend of ['js', 'auto'] as const) {
      const f = fn([x], x.sum(), { backend, name: 'total' });
      expect(() => f(liar())).toThrow(/fn 'total', input 0 \(x\): NDArray of shape \(4,\) needs 4 elements, its data has 2/);
    }
    expect(() => shared(liar(), 'w')).toThrow(/shared\(w\): NDArray of shape \(4,\) needs 4 elements/);
    const w = shared([1, 2, 3, 4], 'w');
    expect(() => w.setValue(liar())).toThrow(/setValue of shared variable w: NDArray of shape \(4,\) needs 4/);
    expect(vals(w.getValue())).toEqual([1, 2, 3, 4]);
  });

  it('refuses an NDArray whose data kind disagrees with its dtype', () => {
    const a = new NDArray(new Float64Array(2), [2]);
    (a as { data: unknown }).data = new Int32Array(2);
    const x = T.vector('x');
    expect(() => fn([x], x.sum(), { backend: 'js', name: 'k' })(a)).toThrow(/fn 'k', input 0 \(x\): NDArray of dtype float64 holds Int32Array data/);
  });
});

describe('deep nesting', () => {
  it(`refuses arrays nested more than ${MAX_NDIM} deep with a message, not a stack overflow`, () => {
    let deep: unknown = 1;
    for (let i = 0; i < 3000; i++) deep = [deep];
    expect(() => array(deep as never)).toThrow(`array: nested array is more than ${MAX_NDIM} levels deep`);
    expect(() => shared(deep as never, 'd')).toThrow(/shared\(d\): array: nested array is more than 64 levels deep/);
    let ok: unknown = 2;
    for (let i = 0; i < MAX_NDIM; i++) ok = [ok];
    expect(array(ok as never).shape.length).toBe(MAX_NDIM);
  });
});
