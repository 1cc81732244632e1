/**
 * shared(value, name?, opts?): variables whose values live between calls.
 *
 * Casting: with `opts.dtype`, and in setValue, the rules of fn inputs apply (values that would
 * change in an integer or bool dtype are refused; float64 data fits a float32 variable when
 * float32 is the requested dtype or config.floatX). setValue is checked at once and, with async
 * calls that use the variable pending or in flight, takes effect after them, in call order.
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
import { SharedVariable, setSharedAssignment } from './graph/variable.js';
import { TensorType } from './graph/type.js';
import { NDArray, array, assertConsistent, isNDArray } from './ndarray/ndarray.js';
import { DType, isFloat, assertDType } from './ndarray/dtype.js';
import { isAnyTypedArray, kindName, typedToStorage } from './ndarray/typed.js';
import { castValue, checkShapeFits } from './compile/inputs.js';
import { afterPendingCalls } from './compile/queue.js';
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
function borrowable(value: unknown, dtype: DType, s: SharedVariable | null): value is NDArray {
  return isNDArray(value) && value.dtype === dtype && value.data.length === value.size && !usedByOther(value, s);
}

/** A private copy of converted data (conversion may have returned the caller's own array). */
function owned(data: NDArray['data'], source: unknown): NDArray['data'] {
  const mine = isNDArray(source) ? source.data === data : source === data;
  return mine ? data.slice() : data;
}

/**
 * The initial value. With a dtype, the rules of fn inputs apply, the requested dtype taking
 * floatX's part (float64 data may be stored as a requested float32; values that would change
 * in an integer or bool dtype are refused). Without one, an array keeps its dtype (float64
 * becomes float32 when floatX is float32), and plain numbers become floatX.
 */
function initialValue(value: unknown, dtype: DType | undefined, where: string, borrow: boolean): NDArray {
  if (dtype !== undefined) {
    if (borrow && borrowable(value, dtype, null)) {
      assertConsistent(value, where);
      return value;
    }
    const c = castValue(where, dtype, value, { floatTarget: isFloat(dtype) ? dtype : undefined });
    return new NDArray(owned(c.data, value), c.shape, dtype);
  }
  if (isNDArray(value)) {
    assertConsistent(value, where);
    const target = keptDType(value.dtype);
    if (target !== value.dtype) return value.astype(target);
    return borrow && borrowable(value, target, null) ? value : value.copy();
  }
  if (isAnyTypedArray(value)) {
    const { data } = typedToStorage(value, where);
    const a = new NDArray(owned(data, value), [data.length]);
    return a.astype(keptDType(a.dtype));
  }
  if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
    let a: NDArray;
    try {
      a = array(value as never);
    } catch (e) {
      throw new TypeError(`${where}: ${(e as Error).message}`);
    }
    // Plain JS numbers carry no int/float distinction: floatX unless a dtype is given.
    return a.dtype === 'bool' ? a : a.astype(config.floatX);
  }
  throw new TypeError(`${where}: expected an NDArray, typed array, number or nested array, got ${value === null ? 'null' : value === undefined ? 'undefined' : kindName(value)}`);
}

/**
 * A shared variable, like `theano.shared`: a value that lives between calls, read and updated in
 * place by compiled functions (the dtype it keeps and borrowing: see this module's header).
 * @example
 * ```ts
 * const w = shared(zeros(784), 'w');
 * const b = shared(0, 'b');
 * const bias = shared(zeros([1, 10]), 'bias', { broadcastable: [true, false] });
 * ```
 */
export function shared(value: NDArray | number | boolean | readonly unknown[] | ArrayBufferView, name?: string, opts: SharedOptions = {}): SharedVariable {
  const where = `shared(${name ?? ''})`;
  const dtype = opts.dtype === undefined ? undefined : assertDType(opts.dtype === 'int64' ? 'int32' : opts.dtype, where);
  const arr = initialValue(value, dtype, where, opts.borrow === true);
  const bc = opts.broadcastable ?? new Array(arr.ndim).fill(false);
  if (bc.length !== arr.ndim) throw new Error(`${where}: broadcastable has ${bc.length} flags for a ${arr.ndim}-d value`);
  bc.forEach((b, i) => {
    if (b && arr.shape[i] !== 1) throw new Error(`${where}: axis ${i} is declared broadcastable but has length ${arr.shape[i]}`);
  });
  const s = new SharedVariable(arr, new TensorType(arr.dtype, bc), name);
  if (arr === value) claim(s);
  return s;
}

/**
 * setValue(v, { borrow }): the casting rules of fn inputs (a float64 value fits a float32
 * variable only when float32 is config.floatX). The value is checked at once; with async calls
 * that use the variable pending or in flight, it takes effect after them, in call order (calls
 * made later see it), and getValue() returns the value as of the last finished call until then.
 */
setSharedAssignment(
  (s, v, borrow) => {
    const where = `setValue of shared variable ${s.name ?? ''}`.trim();
    let arr: NDArray;
    if (borrow && borrowable(v, s.dtype, s)) {
      assertConsistent(v, where);
      checkShapeFits(where, s, v.shape as number[]);
      arr = v;
    } else {
      const c = castValue(where, s.dtype, v, { floatTarget: config.floatX }, s.ndim);
      checkShapeFits(where, s, c.shape);
      arr = new NDArray(owned(c.data, v), c.shape, s.dtype);
    }
    afterPendingCalls(s, () => {
      s.container.value = arr;
      if (arr === v) owners.set(arr.data.buffer, new WeakRef(s));
    });
  },
  (s) => claim(s),
);
