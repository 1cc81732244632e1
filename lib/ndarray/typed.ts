/**
 * Typed arrays of every element kind, taken exactly into one of the four storage types or
 * refused. Storage is Float64Array, Float32Array, Int32Array and Uint8Array (bool); any other
 * kind would otherwise be misread as bool storage and wrap modulo 256.
 */
import type { DType, TypedArray } from './dtype.js';

const INT32_MAX = 2147483647;

/** The storage dtype of `data`, or undefined when `data` is not one of the four storage kinds. */
export function storageDType(data: unknown): DType | undefined {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array && !(data instanceof Uint8ClampedArray)) return 'bool';
  return undefined;
}

function kindName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

/** Whether `v` is a typed array of any element kind (not a DataView). */
export function isAnyTypedArray(v: unknown): v is ArrayBufferView & { length: number } {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function narrowBig(src: BigInt64Array | BigUint64Array, where: string, kind: string): Int32Array {
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v > 2147483647n || v < -2147483648n) throw new RangeError(`${where}: ${kind} value ${v} at flat index ${i} does not fit in int32`);
    out[i] = Number(v);
  }
  return out;
}

/**
 * Element data of a user-given typed array as storage: Float64/Float32/Int32 as they are (the
 * same object); Int8, Int16, Uint8, Uint8Clamped and Uint16 widened to int32; Uint32, int64
 * and uint64 narrowed to int32 with a check of every value; Float16 widened to float32.
 * A Uint8Array given by the user holds bytes (uint8), so it becomes int32, not bool.
 */
export function typedToStorage(src: ArrayBufferView, where: string): { data: TypedArray; dtype: DType } {
  if (src instanceof Float64Array) return { data: src, dtype: 'float64' };
  if (src instanceof Float32Array) return { data: src, dtype: 'float32' };
  if (src instanceof Int32Array) return { data: src, dtype: 'int32' };
  if (src instanceof Int8Array || src instanceof Int16Array || src instanceof Uint8Array || src instanceof Uint8ClampedArray || src instanceof Uint16Array) {
    return { data: Int32Array.from(src), dtype: 'int32' };
  }
  if (src instanceof Uint32Array) {
    for (let i = 0; i < src.length; i++) {
      if (src[i] > INT32_MAX) throw new RangeError(`${where}: uint32 value ${src[i]} at flat index ${i} does not fit in int32; pass a Float64Array to keep it`);
    }
    return { data: new Int32Array(src), dtype: 'int32' };
  }
  if (src instanceof BigInt64Array) return { data: narrowBig(src, where, 'int64'), dtype: 'int32' };
  if (src instanceof BigUint64Array) return { data: narrowBig(src, where, 'uint64'), dtype: 'int32' };
  // Float16Array (newer runtimes): every half-precision value is exact in float32.
  if (kindName(src) === 'Float16Array') return { data: Float32Array.from(src as unknown as ArrayLike<number>), dtype: 'float32' };
  throw new TypeError(`${where}: unsupported typed array ${kindName(src)}; expected a Float64Array, Float32Array, Int32Array or a smaller integer array`);
}

/** The storage kinds, for messages. */
export const STORAGE_KINDS = 'Float64Array (float64), Float32Array (float32), Int32Array (int32) or Uint8Array (bool)';

export { kindName };
