/** Turning JS numbers, nested arrays and NDArrays into graph constants. */
import { NDArray, array, isNDArray } from '../ndarray/ndarray.js';
import { Constant, Variable } from './variable.js';
import type { DType } from '../ndarray/dtype.js';
import { config } from '../config.js';

/** What ops accept as an argument: a Variable, a number or boolean, an NDArray, or nested arrays (made constants). */
export type TensorLike = Variable | NDArray | number | boolean | readonly unknown[];

/**
 * A constant made from a bare JS number is "weak": it takes the dtype of the tensors it is
 * combined with (x_float32 * 0.1 stays float32), as numpy does for Python scalars.
 */
export class WeakConstant extends Constant {}

export function weakConstant(v: number | boolean): WeakConstant {
  if (typeof v === 'boolean') return new WeakConstant(array(v ? 1 : 0, { dtype: 'bool' }));
  const dtype: DType = Number.isInteger(v) && Math.abs(v) <= 2147483647 ? 'int32' : config.floatX;
  return new WeakConstant(array(v, { dtype }));
}

export function asVariable(x: TensorLike, where = 'argument'): Variable {
  if (x instanceof Variable) return x;
  if (typeof x === 'number' || typeof x === 'boolean') return weakConstant(x);
  if (isNDArray(x)) return new Constant(x.copy());
  if (Array.isArray(x)) return new Constant(array(x as never));
  throw new TypeError(`${where}: expected a Variable, number, NDArray or nested array, got ${x === null ? 'null' : typeof x}`);
}

export function isWeak(v: Variable): v is WeakConstant {
  return v instanceof WeakConstant;
}
