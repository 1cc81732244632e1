/** One builder per scalar op: T.add, T.exp, ... all accept Variables, numbers and arrays. */
import type { Variable } from '../graph/variable.js';
import type { TensorLike } from '../graph/as_variable.js';
import { applyElemwise as ew } from './elemwise.js';
import { DType, assertDType } from '../ndarray/dtype.js';

type T = TensorLike;
/**
 * Elementwise `a + b`, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.add(x, 1)
 */
export const add = (a: T, b: T): Variable => ew('add', [a, b]);
/**
 * Elementwise `a - b`, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.sub(1, y)
 */
export const sub = (a: T, b: T): Variable => ew('sub', [a, b]);
/**
 * Elementwise `a * b`, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.mul(x, w)
 */
export const mul = (a: T, b: T): Variable => ew('mul', [a, b]);
/**
 * Elementwise `a / b` (true division: integers give floats), with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.div(1, T.add(1, T.exp(z)))
 */
export const div = (a: T, b: T): Variable => ew('div', [a, b]);
/**
 * Elementwise `a ** b`, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.pow(w, 2)
 */
export const pow = (a: T, b: T): Variable => ew('pow', [a, b]);
/**
 * Elementwise the larger of `a` and `b`, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.maximum(x, 0)
 */
export const maximum = (a: T, b: T): Variable => ew('maximum', [a, b]);
/**
 * Elementwise the smaller of `a` and `b`, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.minimum(x, 1)
 */
export const minimum = (a: T, b: T): Variable => ew('minimum', [a, b]);
/**
 * Elementwise `a > b`, as bool, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.gt(p, 0.5)
 */
export const gt = (a: T, b: T): Variable => ew('gt', [a, b]);
/**
 * Elementwise `a >= b`, as bool, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.ge(x, 0)
 */
export const ge = (a: T, b: T): Variable => ew('ge', [a, b]);
/**
 * Elementwise `a < b`, as bool, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.lt(x, 0)
 */
export const lt = (a: T, b: T): Variable => ew('lt', [a, b]);
/**
 * Elementwise `a <= b`, as bool, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.le(x, 1)
 */
export const le = (a: T, b: T): Variable => ew('le', [a, b]);
/**
 * Elementwise `a == b`, as bool, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.eq(prediction, y)
 */
export const eq = (a: T, b: T): Variable => ew('eq', [a, b]);
/**
 * Elementwise `a != b`, as bool, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.neq(prediction, y)
 */
export const neq = (a: T, b: T): Variable => ew('neq', [a, b]);
/**
 * Elementwise logical and of two bool tensors, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.and(T.gt(x, 0), T.lt(x, 1))
 */
export const and = (a: T, b: T): Variable => ew('and', [a, b]);
/**
 * Elementwise logical or of two bool tensors, with numpy broadcasting. Either argument may be a Variable, a number or an NDArray.
 * @example T.or(T.lt(x, 0), T.gt(x, 1))
 */
export const or = (a: T, b: T): Variable => ew('or', [a, b]);
/**
 * Elementwise logical not of a bool tensor.
 * @example T.not(T.gt(x, 0))
 */
export const not = (a: T): Variable => ew('not', [a]);
/**
 * Elementwise `-a`.
 * @example T.neg(T.dot(x, w))
 */
export const neg = (a: T): Variable => ew('neg', [a]);
/**
 * Elementwise `e ** a`.
 * @example T.exp(z)
 */
export const exp = (a: T): Variable => ew('exp', [a]);
/**
 * Elementwise the natural logarithm.
 * @example T.log(p)
 */
export const log = (a: T): Variable => ew('log', [a]);
/**
 * Elementwise `log(1 + a)`, accurate for small `a`.
 * @example T.log1p(x)
 */
export const log1p = (a: T): Variable => ew('log1p', [a]);
/**
 * Elementwise `exp(a) - 1`, accurate for small `a`.
 * @example T.expm1(x)
 */
export const expm1 = (a: T): Variable => ew('expm1', [a]);
/**
 * Elementwise the square root.
 * @example T.sqrt(v)
 */
export const sqrt = (a: T): Variable => ew('sqrt', [a]);
/**
 * Elementwise `a * a`.
 * @example T.sqr(err)
 */
export const sqr = (a: T): Variable => ew('sqr', [a]);
/**
 * Elementwise the absolute value.
 * @example T.abs(x)
 */
export const abs = (a: T): Variable => ew('abs', [a]);
/**
 * Elementwise -1, 0 or 1 by the sign of `a`.
 * @example T.sign(x)
 */
export const sign = (a: T): Variable => ew('sign', [a]);
/**
 * Elementwise the hyperbolic tangent.
 * @example T.tanh(h)
 */
export const tanh = (a: T): Variable => ew('tanh', [a]);
/**
 * Elementwise the logistic function `1 / (1 + exp(-a))`.
 * @example T.sigmoid(T.dot(x, w))
 */
export const sigmoid = (a: T): Variable => ew('sigmoid', [a]);
/**
 * Elementwise `log(1 + exp(a))`, without overflow.
 * @example T.softplus(z)
 */
export const softplus = (a: T): Variable => ew('softplus', [a]);
/**
 * Elementwise `max(a, 0)`.
 * @example T.relu(T.dot(x, W))
 */
export const relu = (a: T): Variable => ew('relu', [a]);
/**
 * Elementwise rounding down.
 * @example T.floor(x)
 */
export const floor = (a: T): Variable => ew('floor', [a]);
/**
 * Elementwise rounding up.
 * @example T.ceil(x)
 */
export const ceil = (a: T): Variable => ew('ceil', [a]);
/**
 * Elementwise rounding to the nearest integer, halves to even (as numpy).
 * @example T.round(x)
 */
export const round = (a: T): Variable => ew('round', [a]);
export const intDiv = (a: T, b: T): Variable => ew('int_div', [a, b]);
export const mod = (a: T, b: T): Variable => ew('mod', [a, b]);
export const arctan2 = (a: T, b: T): Variable => ew('arctan2', [a, b]);
export const sin = (a: T): Variable => ew('sin', [a]);
export const cos = (a: T): Variable => ew('cos', [a]);
export const tan = (a: T): Variable => ew('tan', [a]);
export const arcsin = (a: T): Variable => ew('arcsin', [a]);
export const arccos = (a: T): Variable => ew('arccos', [a]);
export const arctan = (a: T): Variable => ew('arctan', [a]);
export const sinh = (a: T): Variable => ew('sinh', [a]);
export const cosh = (a: T): Variable => ew('cosh', [a]);
export const arcsinh = (a: T): Variable => ew('arcsinh', [a]);
export const arccosh = (a: T): Variable => ew('arccosh', [a]);
export const arctanh = (a: T): Variable => ew('arctanh', [a]);
export const log2 = (a: T): Variable => ew('log2', [a]);
export const log10 = (a: T): Variable => ew('log10', [a]);
export const exp2 = (a: T): Variable => ew('exp2', [a]);
export const isnan = (a: T): Variable => ew('isnan', [a]);
export const isinf = (a: T): Variable => ew('isinf', [a]);
export const erf = (a: T): Variable => ew('erf', [a]);
export const erfc = (a: T): Variable => ew('erfc', [a]);
export const erfinv = (a: T): Variable => ew('erfinv', [a]);
export const gamma = (a: T): Variable => ew('gamma', [a]);
export const gammaln = (a: T): Variable => ew('gammaln', [a]);
export const psi = (a: T): Variable => ew('psi', [a]);
export const trigamma = (a: T): Variable => ew('trigamma', [a]);
export const tetragamma = (a: T): Variable => ew('tetragamma', [a]);
/**
 * Elementwise `x` limited to the range [lo, hi].
 * @example T.clip(p, 1e-7, 1 - 1e-7)
 */
export const clip = (x: T, lo: T, hi: T): Variable => ew('clip', [x, lo, hi]);
/**
 * switch(cond, ifTrue, ifFalse), elementwise.
 * @example T.switch(x.gt(0), x, x.mul(0.01))  // leaky relu
 */
export const switch_ = (c: T, a: T, b: T): Variable => ew('switch', [c, a, b]);
/** int64 is stored as int32 (see T.lvector). */
export const cast = (x: T, dtype: DType | 'int64'): Variable => ew('cast', [x], assertDType(dtype === 'int64' ? 'int32' : dtype, 'cast'));
/** Zeros shaped and typed like x. */
export const zerosLikeElem = (x: Variable): Variable => ew('second', [x, 0]);
export const onesLikeElem = (x: Variable): Variable => ew('second', [x, 1]);
