import { describe, expect, it } from 'vitest';
import { NDArray, array, zeros, ones, full } from '../../lib/ndarray/ndarray.js';
import { config } from '../../lib/config.js';
import { upcast, canCastSafely } from '../../lib/ndarray/dtype.js';
import { broadcastShapes } from '../../lib/ndarray/shape.js';

describe('array()', () => {
  it('infers shape and dtype from nested arrays', () => {
    const a = array([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('int32');
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(array([[1.5], [2]]).dtype).toBe(config.floatX);
    expect(array([true, false]).dtype).toBe('bool');
    expect(array(3).shape).toEqual([]);
    expect(array([]).shape).toEqual([0]);
  });

  it('rejects ragged nested arrays, saying where', () => {
    expect(() => array([[1, 2], [3]])).toThrow(/ragged nested array: at \[1\] expected 2 elements, got 1/);
    expect(() => array([[1, 2], 3] as never)).toThrow(/ragged/);
  });

  it('keeps typed arrays and narrows int64 with a check', () => {
    expect(array(new Float32Array([1, 2])).dtype).toBe('float32');
    const n = array(new BigInt64Array([1n, -2n]));
    expect(n.dtype).toBe('int32');
    expect(Array.from(n.data)).toEqual([1, -2]);
    expect(() => array(new BigInt64Array([1n << 40n]))).toThrow(/does not fit in int32/);
  });

  it('casts with the requested dtype', () => {
    expect(Array.from(array([1.7, -1.7, 3], { dtype: 'int32' }).data)).toEqual([1, -1, 3]);
    expect(Array.from(array([0, 2], { dtype: 'bool' }).data)).toEqual([0, 1]);
    expect(array([0.1], { dtype: 'float32' }).data[0]).toBe(Math.fround(0.1));
  });
});

describe('NDArray', () => {
  it('indexes with get, negative indices and sub-arrays', () => {
    const a = array([[1, 2, 3], [4, 5, 6]]);
    expect(a.get(1, -1)).toBe(6);
    expect((a.get(-2) as NDArray).toArray()).toEqual([1, 2, 3]);
    expect(() => a.get(2, 0)).toThrow(/index 2 is out of bounds for axis 0 with size 2/);
  });

  it('round-trips through toArray and prints like numpy', () => {
    const a = array([[1, 2.5], [3, 4]], { dtype: 'float64' });
    expect(a.toArray()).toEqual([[1, 2.5], [3, 4]]);
    expect(a.toString()).toBe('[[ 1. 2.5]\n [ 3.  4.]]');
    expect(array([true, false]).toString()).toBe('[ True False]');
    expect(array(7).toString()).toBe('7');
    expect(zeros([2000]).toString()).toBe('[0. 0. 0. ... 0. 0. 0.]');
    expect(array([[[1, 2]], [[3, 4]]]).toString()).toBe('[[[1 2]]\n\n [[3 4]]]');
  });

  it('checks shape against data', () => {
    expect(() => new NDArray(new Float64Array(3), [2, 2])).toThrow(/needs 4 elements, data has 3/);
    expect(() => new NDArray(new Float64Array(3), [3], 'float32')).toThrow(/float32 data must be a Float32Array/);
  });

  it('reshape infers -1 and refuses impossible shapes', () => {
    expect(array([1, 2, 3, 4, 5, 6]).reshape(2, -1).shape).toEqual([2, 3]);
    expect(() => array([1, 2, 3]).reshape(2, -1)).toThrow(/cannot reshape array of size 3/);
  });

  it('full, zeros, ones', () => {
    expect(Array.from(full([2], 7, 'int32').data)).toEqual([7, 7]);
    expect(ones(3).dtype).toBe(config.floatX);
    expect(zeros([0, 3]).size).toBe(0);
  });
});

describe('dtype rules', () => {
  it('promotes like numpy', () => {
    expect(upcast('int32', 'float32')).toBe('float64');
    expect(upcast('bool', 'int32')).toBe('int32');
    expect(upcast('float32', 'float32')).toBe('float32');
    expect(upcast('bool', 'float32')).toBe('float32');
    expect(canCastSafely('int32', 'float64')).toBe(true);
    expect(canCastSafely('int32', 'float32')).toBe(false);
    expect(canCastSafely('float64', 'float32')).toBe(false);
  });

  it('broadcasts shapes like numpy and names both shapes when it cannot', () => {
    expect(broadcastShapes([[3, 1], [4]])).toEqual([3, 4]);
    expect(broadcastShapes([[], [2, 3]])).toEqual([2, 3]);
    expect(() => broadcastShapes([[3], [4]])).toThrow(/\(3,\) and \(4,\) cannot be broadcast/);
  });
});
