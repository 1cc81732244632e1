/** shared(value, name?, opts?): variables whose values live between calls. */
import { SharedVariable, setSharedAssignment } from './graph/variable.js';
import { TensorType } from './graph/type.js';
import { NDArray, array, assertConsistent, isNDArray } from './ndarray/ndarray.js';
import { DType, isFloat, assertDType } from './ndarray/dtype.js';
import { isAnyTypedArray, kindName, typedToStorage } from './ndarray/typed.js';
import { castValue, checkShapeFits } from './compile/inputs.js';
import { afterPendingCalls } from './compile/queue.js';
import { config } from './config.js';

export interface SharedOptions {
  /** Storage dtype; default: floatX for float data and plain JS numbers, the array's own dtype otherwise. */
  dtype?: DType;
  /** Broadcastable flags; default: false for every axis, as in Theano. */
  broadcastable?: boolean[];
}

/** A private copy of converted data (conversion may have returned the caller's own array). */
function owned(data: NDArray['data'], source: unknown): NDArray['data'] {
  const mine = isNDArray(source) ? source.data === data : source === data;
  return mine ? data.slice() : data;
}

/**
 * The initial value. With a dtype, the rules of fn inputs apply, the requested dtype taking
 * floatX's part (float64 data may be stored as a requested float32; values that would change
 * in an integer or bool dtype are refused). Without one, the value's own dtype is kept, except
 * that float NDArrays and plain numbers become floatX.
 */
function initialValue(value: unknown, dtype: DType | undefined, where: string): NDArray {
  if (dtype !== undefined) {
    const c = castValue(where, dtype, value, { floatTarget: isFloat(dtype) ? dtype : undefined });
    return new NDArray(owned(c.data, value), c.shape, dtype);
  }
  if (isNDArray(value)) {
    assertConsistent(value, where);
    const target = isFloat(value.dtype) ? config.floatX : value.dtype;
    return target === value.dtype ? value.copy() : value.astype(target);
  }
  if (isAnyTypedArray(value)) {
    const { data } = typedToStorage(value, where);
    return new NDArray(owned(data, value), [data.length]);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
    let a: NDArray;
    try {
      a = array(value as never);
    } catch (e) {
      throw new TypeError(`${where}: ${(e as Error).message}`);
    }
    return a.dtype === 'bool' ? a : a.astype(config.floatX);
  }
  throw new TypeError(`${where}: expected an NDArray, typed array, number or nested array, got ${value === null ? 'null' : value === undefined ? 'undefined' : kindName(value)}`);
}

export function shared(value: NDArray | number | boolean | readonly unknown[] | ArrayBufferView, name?: string, opts: SharedOptions = {}): SharedVariable {
  const where = `shared(${name ?? ''})`;
  if (opts.dtype !== undefined) assertDType(opts.dtype, where);
  const arr = initialValue(value, opts.dtype, where);
  const bc = opts.broadcastable ?? new Array(arr.ndim).fill(false);
  if (bc.length !== arr.ndim) throw new Error(`${where}: broadcastable has ${bc.length} flags for a ${arr.ndim}-d value`);
  bc.forEach((b, i) => {
    if (b && arr.shape[i] !== 1) throw new Error(`${where}: axis ${i} is declared broadcastable but has length ${arr.shape[i]}`);
  });
  return new SharedVariable(arr, new TensorType(arr.dtype, bc), name);
}

/**
 * setValue(v): the casting rules of fn inputs (a float64 value fits a float32 variable only
 * when float32 is config.floatX). The value is checked at once; with async calls that use the
 * variable pending or in flight, it takes effect after them, in call order (calls made later
 * see it), and getValue() returns the value as of the last finished call until then.
 */
setSharedAssignment((s, v) => {
  const where = `setValue of shared variable ${s.name ?? ''}`.trim();
  const c = castValue(where, s.dtype, v, { floatTarget: config.floatX }, s.ndim);
  checkShapeFits(where, s, c.shape);
  const arr = new NDArray(owned(c.data, v), c.shape, s.dtype);
  afterPendingCalls(s, () => {
    s.container.value = arr;
  });
});
