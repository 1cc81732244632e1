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

export function tensor(dtype: DTypeName, broadcastable: readonly boolean[], name?: string): Variable {
  dtype = storageDType(dtype, 'T.tensor');
  if (!Array.isArray(broadcastable) || broadcastable.some((b) => typeof b !== 'boolean')) {
    throw new TypeError('T.tensor: broadcastable must be an array of booleans, one per axis');
  }
  return new Variable(new TensorType(dtype, broadcastable), null, 0, name);
}

const ofRank = (ndim: number) => (name?: string, dtype?: DTypeName) => tensor(dtype ?? config.floatX, new Array(ndim).fill(false), name);
export const scalar = ofRank(0);
export const vector = ofRank(1);
export const matrix = ofRank(2);
export const tensor3 = ofRank(3);
export const tensor4 = ofRank(4);

const typed = (dtype: DType, ndim: number) => (name?: string) => tensor(dtype, new Array(ndim).fill(false), name);
export const iscalar = typed('int32', 0);
export const ivector = typed('int32', 1);
export const imatrix = typed('int32', 2);
export const itensor3 = typed('int32', 3);
export const itensor4 = typed('int32', 4);
/** Theano's int64 variables (indices, labels): int32 storage, int64 data narrowed with a check. */
export const lscalar = typed('int32', 0);
export const lvector = typed('int32', 1);
export const lmatrix = typed('int32', 2);
export const ltensor3 = typed('int32', 3);
export const ltensor4 = typed('int32', 4);
export const fscalar = typed('float32', 0);
export const fvector = typed('float32', 1);
export const fmatrix = typed('float32', 2);
export const ftensor3 = typed('float32', 3);
export const ftensor4 = typed('float32', 4);
export const dscalar = typed('float64', 0);
export const dvector = typed('float64', 1);
export const dmatrix = typed('float64', 2);
export const dtensor3 = typed('float64', 3);
export const dtensor4 = typed('float64', 4);
export const bscalar = typed('bool', 0);
export const bvector = typed('bool', 1);
export const bmatrix = typed('bool', 2);
