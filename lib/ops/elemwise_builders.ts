/** One builder per scalar op: T.add, T.exp, ... all accept Variables, numbers and arrays. */
import type { Variable } from '../graph/variable.js';
import type { TensorLike } from '../graph/as_variable.js';
import { applyElemwise as ew } from './elemwise.js';
import { DType, assertDType } from '../ndarray/dtype.js';

type T = TensorLike;
export const add = (a: T, b: T): Variable => ew('add', [a, b]);
export const sub = (a: T, b: T): Variable => ew('sub', [a, b]);
export const mul = (a: T, b: T): Variable => ew('mul', [a, b]);
export const div = (a: T, b: T): Variable => ew('div', [a, b]);
export const pow = (a: T, b: T): Variable => ew('pow', [a, b]);
export const maximum = (a: T, b: T): Variable => ew('maximum', [a, b]);
export const minimum = (a: T, b: T): Variable => ew('minimum', [a, b]);
export const gt = (a: T, b: T): Variable => ew('gt', [a, b]);
export const ge = (a: T, b: T): Variable => ew('ge', [a, b]);
export const lt = (a: T, b: T): Variable => ew('lt', [a, b]);
export const le = (a: T, b: T): Variable => ew('le', [a, b]);
export const eq = (a: T, b: T): Variable => ew('eq', [a, b]);
export const neq = (a: T, b: T): Variable => ew('neq', [a, b]);
export const and = (a: T, b: T): Variable => ew('and', [a, b]);
export const or = (a: T, b: T): Variable => ew('or', [a, b]);
export const not = (a: T): Variable => ew('not', [a]);
export const neg = (a: T): Variable => ew('neg', [a]);
export const exp = (a: T): Variable => ew('exp', [a]);
export const log = (a: T): Variable => ew('log', [a]);
export const log1p = (a: T): Variable => ew('log1p', [a]);
export const expm1 = (a: T): Variable => ew('expm1', [a]);
export const sqrt = (a: T): Variable => ew('sqrt', [a]);
export const sqr = (a: T): Variable => ew('sqr', [a]);
export const abs = (a: T): Variable => ew('abs', [a]);
export const sign = (a: T): Variable => ew('sign', [a]);
export const tanh = (a: T): Variable => ew('tanh', [a]);
export const sigmoid = (a: T): Variable => ew('sigmoid', [a]);
export const softplus = (a: T): Variable => ew('softplus', [a]);
export const relu = (a: T): Variable => ew('relu', [a]);
export const floor = (a: T): Variable => ew('floor', [a]);
export const ceil = (a: T): Variable => ew('ceil', [a]);
export const round = (a: T): Variable => ew('round', [a]);
export const clip = (x: T, lo: T, hi: T): Variable => ew('clip', [x, lo, hi]);
/** switch(cond, ifTrue, ifFalse), elementwise. */
export const switch_ = (c: T, a: T, b: T): Variable => ew('switch', [c, a, b]);
export const cast = (x: T, dtype: DType): Variable => ew('cast', [x], assertDType(dtype, 'cast'));
/** Zeros shaped and typed like x. */
export const zerosLikeElem = (x: Variable): Variable => ew('second', [x, 0]);
export const onesLikeElem = (x: Variable): Variable => ew('second', [x, 1]);
