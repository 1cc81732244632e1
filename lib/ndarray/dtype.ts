/** Element types, their storage, and the promotion rules between them. */

export type DType = 'float64' | 'float32' | 'int32' | 'bool';
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** The storage of an NDArray, by dtype: Float64Array, Float32Array, Int32Array, or Uint8Array for bool. */
export type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;
type TypedArrayCtor = Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

const STORAGE: Record<DType, TypedArrayCtor> = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
};

export function isDType(d: unknown): d is DType {
  return d === 'float64' || d === 'float32' || d === 'int32' || d === 'bool';
}

export function assertDType(d: unknown, where: string): DType {
  if (!isDType(d)) throw new TypeError(`${where}: unknown dtype ${JSON.stringify(d)}; expected one of float64, float32, int32, bool`);
  return d;
}

export function storageFor(dtype: DType): TypedArrayCtor {
  return STORAGE[dtype];
}

export function allocate(dtype: DType, size: number): TypedArray {
  return new STORAGE[dtype](size);
}

/** The dtype stored in `data`; other typed-array kinds are refused, never read as bool. */
export function dtypeOfStorage(data: TypedArray, where = 'NDArray'): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  const kind = (data as object | null)?.constructor?.name ?? typeof data;
  throw new TypeError(`${where}: data must be a Float64Array, Float32Array, Int32Array or Uint8Array (bool), got ${kind}; array(data) converts other typed arrays`);
}

export const isFloat = (d: DType): boolean => d === 'float64' || d === 'float32';
export const isInt = (d: DType): boolean => d === 'int32';
export const isDiscrete = (d: DType): boolean => d === 'int32' || d === 'bool';

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** numpy's promotion over our four types: int32 with float32 needs float64 to hold every value. */
export function upcast(...dtypes: DType[]): DType {
  let out: DType = dtypes[0];
  for (const d of dtypes.slice(1)) {
    if ((out === 'int32' && d === 'float32') || (out === 'float32' && d === 'int32')) out = 'float64';
    else if (RANK[d] > RANK[out]) out = d;
  }
  return out;
}

/** numpy's can_cast(from, to, 'safe'). */
export function canCastSafely(from: DType, to: DType): boolean {
  if (from === to) return true;
  switch (from) {
    case 'bool': return true;
    case 'int32': return to === 'float64';
    case 'float32': return to === 'float64';
    case 'float64': return false;
  }
}

/** Convert one JS number to what storing it in `dtype` yields (what a cast does element by element). */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case 'float64': return v;
    case 'float32': return Math.fround(v);
    case 'int32': return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case 'bool': return v !== 0 ? 1 : 0;
  }
}

export function bytesPer(dtype: DType): number {
  return STORAGE[dtype].BYTES_PER_ELEMENT;
}
