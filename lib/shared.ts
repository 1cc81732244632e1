/**
 * shared(value, name?, opts?): variables whose values live between calls.
 *
 * The dtype a shared variable keeps:
 *   - an NDArray or typed array keeps its dtype (a float32 array stays float32, int32 stays
 *     int32), except float64 data when config.floatX is 'float32', which becomes float32 (the
 *     conversion Theano users write by hand with floatX); `opts.dtype` overrides both;
 *   - plain JS numbers and nested arrays carry no int/float distinction (0 and 0.0 are the same
 *     number), so they are floatX unless `opts.dtype` says otherwise (`shared(0)` is a float
 *     scalar, as the tutorials' `shared(0.)`); booleans are bool.
 *
 * Borrowing (Theano's borrow=True), to avoid copying big datasets:
 *   - `shared(arr, name, { borrow: true })` and `s.setValue(arr, { borrow: true })` keep `arr`
 *     itself as the storage when it already has the variable's dtype (otherwise it is converted,
 *     as without borrow) and no other shared variable uses the same memory. Afterwards the array
 *     IS the variable's value: compiled functions with updates write into it in place, and any
 *     change the caller makes to it changes the variable. Do not write to it while an async call
 *     that uses the variable is in flight, and do not give it to another shared variable.
 *   - `s.getValue({ borrow: true })` returns the storage itself, not a copy: it shows later
 *     in-place updates (until an update changes the variable's shape, which gives it a new
 *     array), and writing to it changes the variable. Treat it as read-only unless that is what
 *     you want.
 */
import { SharedVariable, setSharedCoercion } from './graph/variable.js';
import { TensorType } from './graph/type.js';
import { NDArray, array, isNDArray, ArrayLike } from './ndarray/ndarray.js';
import { DType, canCastSafely, isFloat, assertDType } from './ndarray/dtype.js';
import { formatShape } from './ndarray/shape.js';
import { config } from './config.js';

/** Options of {@link shared}. */
export interface SharedOptions {
  /** Storage dtype; default: see the header (an array's own dtype, floatX for plain JS numbers). int64 is stored as int32. */
  dtype?: DType | 'int64';
  /** Broadcastable flags; default: false for every axis, as in Theano. */
  broadcastable?: boolean[];
  /** Keep the given NDArray as the storage instead of a copy, when its dtype already fits. */
  borrow?: boolean;
}

/** The storage dtype an array gets without opts.dtype. */
const keptDType = (d: DType): DType => (d === 'float64' && config.floatX === 'float32' ? 'float32' : d);

/** Which shared variable's storage each ArrayBuffer is (for borrowed arrays): two may not share one. */
const owners = new WeakMap<ArrayBufferLike, WeakRef<SharedVariable>>();

function usedByOther(arr: NDArray, s: SharedVariable | null): boolean {
  const other = owners.get(arr.data.buffer)?.deref();
  return !!other && other !== s && other.container.value.data.buffer === arr.data.buffer;
}

function claim(s: SharedVariable): NDArray {
  owners.set(s.container.value.data.buffer, new WeakRef(s));
  return s.container.value;
}

/** A borrowed array is kept only when nothing needs converting and it is nobody else's storage. */
function borrowable(value: NDArray, dtype: DType, s: SharedVariable | null): boolean {
  return value.dtype === dtype && !usedByOther(value, s) && value.data.length === value.size;
}

function toArray(value: unknown, dtype: DType | undefined, where: string, borrow = false): NDArray {
  if (isNDArray(value)) {
    const target = dtype ?? keptDType(value.dtype);
    if (target === value.dtype) return borrow && borrowable(value, target, null) ? value : value.copy();
    return value.astype(target);
  }
  if (ArrayBuffer.isView(value)) {
    const a = array(value as ArrayLike, dtype ? { dtype } : {});
    return dtype ? a : a.astype(keptDType(a.dtype));
  }
  if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
    const a = array(value as ArrayLike, dtype ? { dtype } : {});
    // Plain JS numbers are floatX unless a dtype is given.
    return dtype || a.dtype === 'bool' ? a : a.astype(config.floatX);
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
  const dtype = opts.dtype === undefined ? undefined : assertDType(opts.dtype === 'int64' ? 'int32' : opts.dtype, where);
  const arr = toArray(value, dtype, where, opts.borrow === true);
  const bc = opts.broadcastable ?? new Array(arr.ndim).fill(false);
  if (bc.length !== arr.ndim) throw new Error(`${where}: broadcastable has ${bc.length} flags for a ${arr.ndim}-d value`);
  bc.forEach((b, i) => {
    if (b && arr.shape[i] !== 1) throw new Error(`${where}: axis ${i} is declared broadcastable but has length ${arr.shape[i]}`);
  });
  const s = new SharedVariable(arr, new TensorType(arr.dtype, bc), name);
  if (arr === value) claim(s);
  return s;
}

setSharedCoercion(
  (s, v, borrow) => {
    const where = `setValue of shared variable ${s.name ?? ''}`.trim();
    let arr: NDArray;
    if (isNDArray(v)) {
      if (v.dtype !== s.dtype && !canCastSafely(v.dtype, s.dtype) && !(isFloat(v.dtype) && isFloat(s.dtype))) {
        throw new TypeError(`${where}: expected ${s.dtype} data, got ${v.dtype}, which cannot be cast safely`);
      }
      arr = v.dtype !== s.dtype ? v.astype(s.dtype) : borrow && borrowable(v, s.dtype, s) ? v : v.copy();
    } else {
      arr = toArray(v, s.dtype, where);
    }
    if (arr.ndim !== s.ndim) throw new TypeError(`${where}: expected a ${s.ndim}-d value, got shape ${formatShape(arr.shape)}`);
    s.broadcastable.forEach((b, i) => {
      if (b && arr.shape[i] !== 1) throw new TypeError(`${where}: axis ${i} is broadcastable (length 1), got shape ${formatShape(arr.shape)}`);
    });
    if (arr === v) owners.set(arr.data.buffer, new WeakRef(s));
    return arr;
  },
  (s) => claim(s),
);
