/** Checking and converting the arguments of a compiled function to its input types. */
import { NDArray, array, isNDArray, narrowInt64 } from '../ndarray/ndarray.js';
import { DType, TypedArray, canCastSafely, castScalar, dtypeOfStorage, isFloat, allocate } from '../ndarray/dtype.js';
import { formatShape } from '../ndarray/shape.js';
import type { Variable } from '../graph/variable.js';
import { config } from '../config.js';

export interface Converted {
  data: TypedArray;
  shape: number[];
}

const KIND = ['scalar', 'vector', 'matrix'];

export function describeInput(v: Variable, i: number): string {
  return `input ${i}${v.name ? ` (${v.name})` : ''}`;
}

function typeText(dtype: DType, ndim: number): string {
  return `${dtype} ${KIND[ndim] ?? `${ndim}-d tensor`}`;
}

/** Whether every value of `data` survives a cast to `to` unchanged. */
function exactlyRepresentable(data: TypedArray, to: DType): boolean {
  for (let i = 0; i < data.length; i++) if (castScalar(data[i], to) !== data[i]) return false;
  return true;
}

/**
 * Casting rules: the same dtype passes as is; safe casts (numpy's 'safe') always; float64 to
 * float32 when float32 is config.floatX (like Theano's floats-to-floatX rule) unless
 * allowInputDowncast is false; integers to float32 when every value is exact; anything when
 * allowInputDowncast is true.
 */
export function convertInput(where: string, v: Variable, value: unknown, allowDowncast: boolean | undefined): Converted {
  const want = v.dtype;
  let arr: NDArray;
  if (isNDArray(value)) arr = value;
  else if (value instanceof BigInt64Array) arr = new NDArray(narrowInt64(value, where), [value.length]);
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    arr = new NDArray(value as TypedArray, [(value as TypedArray).length]);
  } else if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
    // Plain JS numbers carry no dtype of their own: they are taken as the input's type.
    try {
      arr = array(value as never, { dtype: want });
    } catch (e) {
      throw new TypeError(`${where}: ${(e as Error).message}`);
    }
    if (!isFloat(want)) {
      const raw = array(value as never, { dtype: 'float64' });
      if (!exactlyRepresentable(raw.data, want)) throw new TypeError(`${where}: expected ${typeText(want, v.ndim)} values, got non-integer or out-of-range numbers`);
    }
  } else {
    throw new TypeError(`${where}: expected an NDArray, number or nested array for a ${typeText(want, v.ndim)}, got ${value === null ? 'null' : typeof value}`);
  }
  if (arr.ndim !== v.ndim) {
    throw new TypeError(`${where}: expected a ${typeText(want, v.ndim)}, got a ${arr.ndim}-d array of shape ${formatShape(arr.shape)}`);
  }
  v.broadcastable.forEach((b, ax) => {
    if (b && arr.shape[ax] !== 1) throw new TypeError(`${where}: axis ${ax} is declared broadcastable (length 1), got shape ${formatShape(arr.shape)}`);
  });
  const from = dtypeOfStorage(arr.data);
  if (from === want) return { data: arr.data, shape: arr.shape as number[] };
  const ok =
    allowDowncast === true ||
    canCastSafely(from, want) ||
    (allowDowncast !== false && from === 'float64' && want === 'float32' && want === config.floatX) ||
    (want === 'float32' && !isFloat(from) && exactlyRepresentable(arr.data, want));
  if (!ok) {
    throw new TypeError(
      `${where}: expected ${typeText(want, v.ndim)}, got ${from} data that cannot be cast to ${want} safely; ` +
        `convert it (arr.astype('${want}')) or pass allowInputDowncast: true`,
    );
  }
  const out = allocate(want, arr.size);
  if (isFloat(want)) out.set(arr.data);
  else for (let i = 0; i < arr.size; i++) out[i] = castScalar(arr.data[i], want);
  return { data: out, shape: arr.shape as number[] };
}
