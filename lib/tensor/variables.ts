/** Free symbolic variables: T.scalar, T.matrix, T.tensor(dtype, broadcastable), and typed shortcuts. */
import { Variable } from '../graph/variable.js';
import { TensorType } from '../graph/type.js';
import { DType, assertDType } from '../ndarray/dtype.js';
import { config } from '../config.js';

/**
 * int64: accepted wherever a dtype is named, stored as int32. Theano code uses int64 for indices
 * and labels; values arriving as int64 (BigInt64Array, .npy files) are narrowed with a check at
 * the boundary (a value outside the int32 range is an error, never a silent wrap).
 */
export type DTypeName = DType | 'int64';
export const storageDType = (d: DTypeName, where: string): DType => assertDType(d === 'int64' ? 'int32' : d, where);

/**
 * A free symbolic variable of any rank: its dtype and, per axis, whether it is broadcastable (length 1 that stretches).
 * @example const row = T.tensor('float64', [true, false], 'row');
 */
export function tensor(dtype: DTypeName, broadcastable: readonly boolean[], name?: string): Variable {
  dtype = storageDType(dtype, 'T.tensor');
  if (!Array.isArray(broadcastable) || broadcastable.some((b) => typeof b !== 'boolean')) {
    throw new TypeError('T.tensor: broadcastable must be an array of booleans, one per axis');
  }
  return new Variable(new TensorType(dtype, broadcastable), null, 0, name);
}

const ofRank = (ndim: number) => (name?: string, dtype?: DTypeName) => tensor(dtype ?? config.floatX, new Array(ndim).fill(false), name);
/**
 * A 0-d symbolic variable of dtype `dtype` (default `config.floatX`).
 * @example const x = T.scalar('x');
 */
export const scalar = ofRank(0);
/**
 * A 1-d symbolic variable of dtype `dtype` (default `config.floatX`).
 * @example const x = T.vector('x');
 */
export const vector = ofRank(1);
/**
 * A 2-d symbolic variable of dtype `dtype` (default `config.floatX`).
 * @example const x = T.matrix('x');
 */
export const matrix = ofRank(2);
/**
 * A 3-d symbolic variable of dtype `dtype` (default `config.floatX`).
 * @example const x = T.tensor3('x');
 */
export const tensor3 = ofRank(3);
/**
 * A 4-d symbolic variable of dtype `dtype` (default `config.floatX`).
 * @example const x = T.tensor4('x');
 */
export const tensor4 = ofRank(4);

const typed = (dtype: DType, ndim: number) => (name?: string) => tensor(dtype, new Array(ndim).fill(false), name);
/**
 * A 0-d int32 symbolic variable.
 * @example const v = T.iscalar('v');
 */
export const iscalar = typed('int32', 0);
/**
 * A 1-d int32 symbolic variable.
 * @example const v = T.ivector('v');
 */
export const ivector = typed('int32', 1);
/**
 * A 2-d int32 symbolic variable.
 * @example const v = T.imatrix('v');
 */
export const imatrix = typed('int32', 2);
/**
 * A 3-d int32 symbolic variable.
 * @example const v = T.itensor3('v');
 */
export const itensor3 = typed('int32', 3);
/**
 * A 4-d int32 symbolic variable.
 * @example const v = T.itensor4('v');
 */
export const itensor4 = typed('int32', 4);
/** Theano's int64 variables (indices, labels): int32 storage, int64 data narrowed with a check. */
export const lscalar = typed('int32', 0);
export const lvector = typed('int32', 1);
export const lmatrix = typed('int32', 2);
export const ltensor3 = typed('int32', 3);
export const ltensor4 = typed('int32', 4);
/**
 * A 0-d float32 symbolic variable.
 * @example const v = T.fscalar('v');
 */
export const fscalar = typed('float32', 0);
/**
 * A 1-d float32 symbolic variable.
 * @example const v = T.fvector('v');
 */
export const fvector = typed('float32', 1);
/**
 * A 2-d float32 symbolic variable.
 * @example const v = T.fmatrix('v');
 */
export const fmatrix = typed('float32', 2);
/**
 * A 3-d float32 symbolic variable.
 * @example const v = T.ftensor3('v');
 */
export const ftensor3 = typed('float32', 3);
/**
 * A 4-d float32 symbolic variable.
 * @example const v = T.ftensor4('v');
 */
export const ftensor4 = typed('float32', 4);
/**
 * A 0-d float64 symbolic variable.
 * @example const v = T.dscalar('v');
 */
export const dscalar = typed('float64', 0);
/**
 * A 1-d float64 symbolic variable.
 * @example const v = T.dvector('v');
 */
export const dvector = typed('float64', 1);
/**
 * A 2-d float64 symbolic variable.
 * @example const v = T.dmatrix('v');
 */
export const dmatrix = typed('float64', 2);
/**
 * A 3-d float64 symbolic variable.
 * @example const v = T.dtensor3('v');
 */
export const dtensor3 = typed('float64', 3);
/**
 * A 4-d float64 symbolic variable.
 * @example const v = T.dtensor4('v');
 */
export const dtensor4 = typed('float64', 4);
/**
 * A 0-d bool symbolic variable.
 * @example const v = T.bscalar('v');
 */
export const bscalar = typed('bool', 0);
/**
 * A 1-d bool symbolic variable.
 * @example const v = T.bvector('v');
 */
export const bvector = typed('bool', 1);
/**
 * A 2-d bool symbolic variable.
 * @example const v = T.bmatrix('v');
 */
export const bmatrix = typed('bool', 2);
