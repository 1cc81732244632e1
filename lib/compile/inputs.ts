/**
 * Checking and converting values to a declared type: the arguments of compiled functions, and
 * (with the same rules) the values given to shared() and setValue().
 */
import { NDArray, array, assertConsistent, isNDArray } from '../ndarray/ndarray.js';
import { DType, TypedArray, canCastSafely, castScalar, isFloat, allocate } from '../ndarray/dtype.js';
import { formatShape } from '../ndarray/shape.js';
import { isAnyTypedArray, kindName, typedToStorage } from '../ndarray/typed.js';
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

function typeText(dtype: DType, ndim: number | undefined): string {
  if (ndim === undefined) return dtype;
  return `${dtype} ${KIND[ndim] ?? `${ndim}-d tensor`}`;
}

/** Whether every value of `data` survives a cast to `to` unchanged. */
function exactlyRepresentable(data: TypedArray, to: DType): boolean {
  for (let i = 0; i < data.length; i++) if (castScalar(data[i], to) !== data[i]) return false;
  return true;
}

export interface CastRules {
  /** true: any cast; false: only safe casts; undefined: safe casts plus float64 → `floatTarget`. */
  allowDowncast?: boolean;
  /** The float dtype that float64 data may be narrowed to by default (config.floatX for inputs). */
  floatTarget?: DType;
}

/**
 * A value as `want` data. Casting rules: the same dtype passes as is; safe casts (numpy's
 * 'safe') always; float64 to float32 when float32 is the float target (config.floatX, like
 * Theano's floats-to-floatX rule) unless allowDowncast is false; integers to float32 when every
 * value is exact; a Uint8Array of 0s and 1s to bool (it is bool's storage); anything when
 * allowDowncast is true. Plain JS numbers carry no dtype: they are taken as `want` when every
 * value is exact in it. Typed arrays of other kinds are converted exactly first (typed.ts).
 */
export function castValue(where: string, want: DType, value: unknown, rules: CastRules, ndim?: number): Converted {
  let data: TypedArray;
  let shape: number[];
  if (isNDArray(value)) {
    assertConsistent(value, where);
    data = value.data;
    shape = value.shape as number[];
  } else if (isAnyTypedArray(value)) {
    const raw = value as unknown as Uint8Array;
    const asBool = want === 'bool' && raw instanceof Uint8Array && raw.every((x) => x === 0 || x === 1);
    data = asBool ? raw : typedToStorage(value, where).data;
    shape = [data.length];
  } else if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
    let arr: NDArray;
    try {
      arr = array(value as never, { dtype: want });
    } catch (e) {
      throw new TypeError(`${where}: ${(e as Error).message}`);
    }
    if (!isFloat(want)) {
      const raw = array(value as never, { dtype: 'float64' });
      if (!exactlyRepresentable(raw.data, want)) throw new TypeError(`${where}: expected ${typeText(want, ndim)} values, got non-integer or out-of-range numbers`);
    }
    return { data: arr.data, shape: arr.shape as number[] };
  } else {
    throw new TypeError(`${where}: expected an NDArray, number or nested array for a ${typeText(want, ndim)}, got ${value === null ? 'null' : value === undefined ? 'undefined' : kindName(value)}`);
  }
  const from: DType = data instanceof Float64Array ? 'float64' : data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool';
  if (from === want) return { data, shape };
  const { allowDowncast, floatTarget } = rules;
  const ok =
    allowDowncast === true ||
    canCastSafely(from, want) ||
    (allowDowncast !== false && from === 'float64' && want === 'float32' && want === floatTarget) ||
    (want === 'float32' && !isFloat(from) && exactlyRepresentable(data, want));
  if (!ok) {
    throw new TypeError(
      `${where}: expected ${typeText(want, ndim)}, got ${from} data that cannot be cast to ${want} safely; ` +
        `convert it (arr.astype('${want}')) or pass allowInputDowncast: true`,
    );
  }
  const out = allocate(want, data.length);
  if (isFloat(want)) out.set(data);
  else for (let i = 0; i < data.length; i++) out[i] = castScalar(data[i], want);
  return { data: out, shape };
}

/** The shape agrees with a variable's ndim and broadcastable axes. */
export function checkShapeFits(where: string, v: Pick<Variable, 'dtype' | 'ndim' | 'broadcastable'>, shape: readonly number[]): void {
  if (shape.length !== v.ndim) {
    throw new TypeError(`${where}: expected a ${typeText(v.dtype, v.ndim)}, got a ${shape.length}-d array of shape ${formatShape(shape)}`);
  }
  v.broadcastable.forEach((b, ax) => {
    if (b && shape[ax] !== 1) throw new TypeError(`${where}: axis ${ax} is declared broadcastable (length 1), got shape ${formatShape(shape)}`);
  });
}

/** An argument of a compiled function, checked and converted to its input's type. */
export function convertInput(where: string, v: Variable, value: unknown, allowDowncast: boolean | undefined): Converted {
  const c = castValue(where, v.dtype, value, { allowDowncast, floatTarget: config.floatX }, v.ndim);
  checkShapeFits(where, v, c.shape);
  return c;
}
