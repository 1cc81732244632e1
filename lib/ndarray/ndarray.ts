/** NDArray: a dense, C-ordered, typed n-dimensional array. */
import { DType, TypedArray, allocate, assertDType, castScalar, dtypeOfStorage, isDType, isFloat, storageFor } from './dtype.js';
import { Shape, formatShape, sizeOf, stridesOf } from './shape.js';
import { config } from '../config.js';
import { typedToStorage } from './typed.js';

/** Nested JS arrays of numbers or booleans, e.g. `[[1, 2], [3, 4]]`. */
export type Nested = number | boolean | readonly Nested[];

/** Most dimensions of an array (numpy's limit); deeper nesting is refused, not recursed into. */
export const MAX_NDIM = 64;

/** What {@link array} and compiled functions accept as data. */
export type ArrayLike = NDArray | Nested | TypedArray | BigInt64Array;

/**
 * A dense, C-ordered n-dimensional array over a typed array: what compiled functions take and return.
 * @example
 * ```ts
 * const a = new NDArray(new Float64Array([1, 2, 3, 4]), [2, 2], 'float64');
 * a.get(1, 0)  // 3
 * a.toString() // '[[1. 2.]\n [3. 4.]]'
 * ```
 */
export class NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;

  constructor(data: TypedArray, shape: Shape, dtype?: DType) {
    const dt = dtype ?? dtypeOfStorage(data);
    if (dtype !== undefined) assertDType(dtype, 'NDArray');
    if (!(data instanceof storageFor(dt))) {
      throw new TypeError(`NDArray: ${dt} data must be a ${storageFor(dt).name}, got ${(data as object | null)?.constructor?.name ?? typeof data}; array(data, { dtype }) converts it`);
    }
    if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) throw new TypeError(`NDArray: shape must be an array of lengths, got ${typeof shape}`);
    if (shape.length > MAX_NDIM) throw new RangeError(`NDArray: ${shape.length} dimensions; at most ${MAX_NDIM} are supported`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`NDArray: invalid shape ${formatShape(shape)}`);
    }
    if (sizeOf(shape) !== data.length) {
      throw new RangeError(`NDArray: shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dt;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Element access with integer indices (negative counts from the end); fewer indices give a sub-array copy. */
  get(...idx: number[]): number | NDArray {
    if (idx.length > this.ndim) throw new RangeError(`NDArray.get: ${idx.length} indices for an array of ${this.ndim} dimension(s)`);
    const strides = stridesOf(this.shape);
    let off = 0;
    idx.forEach((i, k) => {
      const n = this.shape[k];
      if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`NDArray.get: index ${i} is out of bounds for axis ${k} with size ${n}`);
      off += (i < 0 ? i + n : i) * strides[k];
    });
    if (idx.length === this.ndim) return this.data[off];
    const rest = this.shape.slice(idx.length);
    const len = sizeOf(rest);
    return new NDArray(this.data.slice(off, off + len), rest, this.dtype);
  }

  /** The single value of a one-element array. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`NDArray.item: array of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0];
  }

  /** Nested JS arrays (a number for a 0-d array); bool elements become booleans. */
  toArray(): Nested {
    const conv = this.dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
    const build = (axis: number, off: number, strides: number[]): Nested => {
      if (axis === this.ndim) return conv(this.data[off]);
      const out: Nested[] = [];
      for (let i = 0; i < this.shape[axis]; i++) out.push(build(axis + 1, off + i * strides[axis], strides));
      return out;
    };
    return build(0, 0, stridesOf(this.shape));
  }

  /** A copy converted to `dtype` (float to int truncates, as numpy). */
  astype(dtype: DType): NDArray {
    assertDType(dtype, 'NDArray.astype');
    const out = allocate(dtype, this.size);
    if (dtype === 'float64' || dtype === 'float32' || this.dtype === dtype) out.set(this.data);
    else for (let i = 0; i < this.size; i++) out[i] = castScalar(this.data[i], dtype);
    return new NDArray(out, this.shape, dtype);
  }

  /** The same data in another shape (a view; one dimension may be -1). */
  reshape(...shape: number[]): NDArray {
    const neg = shape.indexOf(-1);
    const s = [...shape];
    if (neg >= 0) {
      const known = sizeOf(s.filter((_, i) => i !== neg));
      s[neg] = known === 0 ? 0 : this.size / known;
    }
    if (sizeOf(s) !== this.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RangeError(`NDArray.reshape: cannot reshape array of size ${this.size} into shape ${formatShape(shape)}`);
    }
    return new NDArray(this.data.slice(), s, this.dtype);
  }

  /** A copy with its own storage. */
  copy(): NDArray {
    return new NDArray(this.data.slice(), this.shape, this.dtype);
  }

  /** numpy-like text, e.g. `[[1. 2.]\n [3. 4.]]`. */
  toString(): string {
    return formatArray(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `NDArray(${this.toString()}, dtype=${this.dtype})`;
  }
}

function formatNumber(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? ' True' : 'False';
  if (!isFloat(dtype)) return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const text = String(Number(v.toPrecision(dtype === 'float32' ? 7 : 8)));
  // numpy marks floats that happen to be integral with a trailing point.
  return /^-?\d+$/.test(text) ? `${text}.` : text;
}

/** numpy-like text: nested brackets, aligned columns, long arrays summarised with "...". */
function formatArray(a: NDArray): string {
  const summarise = a.size > 1000;
  const edge = 3;
  const cells: string[] = [];
  for (let i = 0; i < a.size; i++) cells.push(formatNumber(a.data[i], a.dtype));
  const width = Math.max(0, ...cells.map((c) => c.length));
  const pad = (s: string) => s.padStart(width);
  if (a.ndim === 0) return cells[0];
  const strides = stridesOf(a.shape);
  const rec = (axis: number, off: number, indent: string): string => {
    const n = a.shape[axis];
    const idx: (number | null)[] = [];
    if (summarise && n > 2 * edge) {
      for (let i = 0; i < edge; i++) idx.push(i);
      idx.push(null);
      for (let i = n - edge; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    if (axis === a.ndim - 1) {
      return '[' + idx.map((i) => (i === null ? '...' : pad(cells[off + i]))).join(' ') + ']';
    }
    const sep = '\n'.repeat(a.ndim - axis - 1) + indent + ' ';
    return '[' + idx.map((i) => (i === null ? '...' : rec(axis + 1, off + i * strides[axis], indent + ' '))).join(sep) + ']';
  };
  return rec(0, 0, '');
}

function inferNested(v: Nested, where: string): { shape: number[]; flat: number[]; sawFloat: boolean; sawBool: boolean } {
  const shape: number[] = [];
  let probe: Nested = v;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_NDIM) throw new RangeError(`${where}: nested array is more than ${MAX_NDIM} levels deep; at most ${MAX_NDIM} dimensions are supported`);
    shape.push(probe.length);
    probe = probe.length > 0 ? probe[0] : 0;
    if ((probe as unknown) === undefined) break;
  }
  if (Array.isArray(v) && v.length === 0) shape.splice(1);
  const flat: number[] = [];
  let sawFloat = false;
  let sawBool = false;
  const walk = (x: Nested, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (typeof x === 'boolean') {
        sawBool = true;
        flat.push(x ? 1 : 0);
      } else if (typeof x === 'number') {
        if (!Number.isInteger(x)) sawFloat = true;
        flat.push(x);
      } else {
        throw new TypeError(`${where}: ragged nested array: at [${path.join('][')}] expected a number, got ${Array.isArray(x) ? 'an array' : typeof x}`);
      }
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new TypeError(`${where}: ragged nested array: at [${path.join('][')}] expected ${shape[depth]} elements, got ${Array.isArray(x) ? x.length : 'a ' + typeof x}`);
    }
    x.forEach((c: Nested, i: number) => walk(c, depth + 1, [...path, i]));
  };
  walk(v, 0, []);
  return { shape, flat, sawFloat, sawBool };
}

/** int64 data (e.g. from .npy or BigInt64Array) narrowed to int32, refusing values that do not fit. */
export function narrowInt64(src: BigInt64Array, where: string): Int32Array {
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v > 2147483647n || v < -2147483648n) throw new RangeError(`${where}: int64 value ${v} at flat index ${i} does not fit in int32`);
    out[i] = Number(v);
  }
  return out;
}

/** Options of {@link array}. */
export interface ArrayOptions {
  dtype?: DType;
  shape?: Shape;
}

/**
 * Build an NDArray from nested JS arrays, a number, a typed array or another NDArray.
 * Without a dtype: typed arrays keep theirs, booleans give bool, integers int32, other numbers floatX.
  * @example
  * array([[1, 2], [3, 4]])              // int32, shape (2, 2)
  * array([0.5, 1], { dtype: 'float32' })
 */
export function array(value: ArrayLike, opts: ArrayOptions = {}): NDArray {
  const where = 'array';
  if (opts.dtype !== undefined) assertDType(opts.dtype, where);
  if (value instanceof NDArray) {
    const out = opts.dtype && opts.dtype !== value.dtype ? value.astype(opts.dtype) : value.copy();
    return opts.shape ? new NDArray(out.data, opts.shape, out.dtype) : out;
  }
  if (ArrayBuffer.isView(value)) {
    if (value instanceof DataView) throw new TypeError(`${where}: a DataView has no element type; pass a typed array`);
    const { data: src, dtype: srcType } = typedToStorage(value, where);
    const dtype = opts.dtype ?? srcType;
    const shape = opts.shape ?? [src.length];
    const data = allocate(dtype, src.length);
    if (dtype === srcType || isFloat(dtype)) data.set(src);
    else for (let i = 0; i < src.length; i++) data[i] = castScalar(src[i], dtype);
    return new NDArray(data, shape, dtype);
  }
  const { shape, flat, sawFloat, sawBool } = inferNested(value as Nested, where);
  const dtype: DType = opts.dtype ?? (sawFloat ? config.floatX : sawBool && flat.length > 0 && !hasNumber(value as Nested) ? 'bool' : flat.length === 0 ? config.floatX : 'int32');
  if (!opts.dtype && dtype === 'int32' && flat.some((v) => v > 2147483647 || v < -2147483648)) {
    return array(value, { ...opts, dtype: 'float64' });
  }
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = castScalar(flat[i], dtype);
  return new NDArray(data, opts.shape ?? shape, dtype);
}

function hasNumber(v: Nested): boolean {
  if (typeof v === 'number') return true;
  if (typeof v === 'boolean') return false;
  return v.some(hasNumber);
}

function checkShape(shape: Shape | number, where: string): number[] {
  const s = typeof shape === 'number' ? [shape] : [...shape];
  for (const d of s) if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: invalid shape ${formatShape(s)}`);
  return s;
}

/**
 * An array of `shape` filled with `value` (dtype default `config.floatX`).
 * @example full([2, 3], 0.5)
 */
export function full(shape: Shape | number, value: number, dtype: DType = config.floatX): NDArray {
  const s = checkShape(shape, 'full');
  const data = allocate(dtype, sizeOf(s));
  data.fill(castScalar(value, dtype));
  return new NDArray(data, s, dtype);
}

/**
 * An array of zeros (dtype default `config.floatX`).
 * @example zeros([784, 10], 'float32')
 */
export const zeros = (shape: Shape | number, dtype: DType = config.floatX) => full(shape, 0, dtype);
/**
 * An array of ones (dtype default `config.floatX`).
 * @example ones(3)
 */
export const ones = (shape: Shape | number, dtype: DType = config.floatX) => full(shape, 1, dtype);

export function isNDArray(v: unknown): v is NDArray {
  return v instanceof NDArray;
}

/**
 * Checks at the boundary (fn inputs, shared, setValue) that an NDArray's fields still agree:
 * they are plain properties, so code can replace `data` or build an object on the prototype.
 */
export function assertConsistent(a: NDArray, where: string): void {
  const data = a.data as unknown;
  if (!ArrayBuffer.isView(data) || !(data instanceof storageFor(a.dtype))) {
    throw new TypeError(`${where}: NDArray of dtype ${a.dtype} holds ${(data as object | null)?.constructor?.name ?? typeof data} data, expected a ${storageFor(a.dtype).name}`);
  }
  const shape = a.shape as unknown;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new TypeError(`${where}: NDArray has an invalid shape ${Array.isArray(shape) ? formatShape(shape) : String(shape)}`);
  if (sizeOf(shape) !== a.data.length) {
    throw new RangeError(`${where}: NDArray of shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, its data has ${a.data.length}`);
  }
}

export { isDType };
