/** shared(value, name?, opts?): variables whose values live between calls. */
import { SharedVariable, setSharedCoercion } from './graph/variable.js';
import { TensorType } from './graph/type.js';
import { NDArray, array, isNDArray, ArrayLike } from './ndarray/ndarray.js';
import { DType, canCastSafely, isFloat, assertDType } from './ndarray/dtype.js';
import { formatShape } from './ndarray/shape.js';
import { config } from './config.js';

/** Options of {@link shared}. */
export interface SharedOptions {
  /** Storage dtype; default: floatX for float data and plain JS numbers, the array's own dtype otherwise. */
  dtype?: DType;
  /** Broadcastable flags; default: false for every axis, as in Theano. */
  broadcastable?: boolean[];
}

function toArray(value: unknown, dtype: DType | undefined, where: string): NDArray {
  if (isNDArray(value)) {
    const target = dtype ?? (isFloat(value.dtype) ? config.floatX : value.dtype);
    return target === value.dtype ? value.copy() : value.astype(target);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    const a = array(value as ArrayLike, dtype ? { dtype } : {});
    // Plain JS numbers are floatX unless they are all integers given with an int dtype.
    return dtype || a.dtype === 'bool' || ArrayBuffer.isView(value) ? a : a.astype(config.floatX);
  }
  throw new TypeError(`${where}: expected an NDArray, number or nested array, got ${value === null ? 'null' : typeof value}`);
}

/**
 * A shared variable, like `theano.shared`: a value that lives between calls, read and updated in
 * place by compiled functions. Float data and plain numbers are stored as `config.floatX`; the
 * value is copied in.
 * @example
 * ```ts
 * const w = shared(zeros(784), 'w');
 * const b = shared(0, 'b');
 * const bias = shared(zeros([1, 10]), 'bias', { broadcastable: [true, false] });
 * ```
 */
export function shared(value: NDArray | number | boolean | readonly unknown[], name?: string, opts: SharedOptions = {}): SharedVariable {
  const where = `shared(${name ?? ''})`;
  if (opts.dtype !== undefined) assertDType(opts.dtype, where);
  const arr = toArray(value, opts.dtype, where);
  const bc = opts.broadcastable ?? new Array(arr.ndim).fill(false);
  if (bc.length !== arr.ndim) throw new Error(`${where}: broadcastable has ${bc.length} flags for a ${arr.ndim}-d value`);
  bc.forEach((b, i) => {
    if (b && arr.shape[i] !== 1) throw new Error(`${where}: axis ${i} is declared broadcastable but has length ${arr.shape[i]}`);
  });
  return new SharedVariable(arr, new TensorType(arr.dtype, bc), name);
}

setSharedCoercion((s, v) => {
  const where = `setValue of shared variable ${s.name ?? ''}`.trim();
  let arr: NDArray;
  if (isNDArray(v)) {
    if (v.dtype !== s.dtype && !canCastSafely(v.dtype, s.dtype) && !(isFloat(v.dtype) && isFloat(s.dtype))) {
      throw new TypeError(`${where}: expected ${s.dtype} data, got ${v.dtype}, which cannot be cast safely`);
    }
    arr = v.dtype === s.dtype ? v.copy() : v.astype(s.dtype);
  } else {
    arr = toArray(v, s.dtype, where);
  }
  if (arr.ndim !== s.ndim) throw new TypeError(`${where}: expected a ${s.ndim}-d value, got shape ${formatShape(arr.shape)}`);
  s.broadcastable.forEach((b, i) => {
    if (b && arr.shape[i] !== 1) throw new TypeError(`${where}: axis ${i} is broadcastable (length 1), got shape ${formatShape(arr.shape)}`);
  });
  return arr;
});
