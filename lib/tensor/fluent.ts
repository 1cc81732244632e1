/** Fluent methods on every Variable: x.add(y), x.dot(w), x.mean(), x.T, x.get(...), x.shape, ... */
import { Variable } from '../graph/variable.js';
import type { TensorLike } from '../graph/as_variable.js';
import type { DType } from '../ndarray/dtype.js';
import type { IndexArg } from '../ops/index.js';
import type { Pattern } from '../ops/dimshuffle.js';
import * as E from '../ops/elemwise_builders.js';
import * as B from './basic.js';
import type { AxisArg } from '../ops/axis.js';

type Axis = AxisArg;

declare module '../graph/variable.js' {
  interface Variable {
    /**
     * Elementwise `x + y`, with broadcasting ({@link T.add}).
     * @example x.add(1)
     */
    add(y: TensorLike): Variable;
    /**
     * Elementwise `x - y`, with broadcasting ({@link T.sub}).
     * @example w.sub(gw.mul(0.1))
     */
    sub(y: TensorLike): Variable;
    /**
     * Elementwise `x * y`, with broadcasting ({@link T.mul}).
     * @example gw.mul(0.1)
     */
    mul(y: TensorLike): Variable;
    /**
     * Elementwise `x / y`, with broadcasting ({@link T.div}).
     * @example x.div(255)
     */
    div(y: TensorLike): Variable;
    /**
     * Elementwise `x ** y`, with broadcasting ({@link T.pow}).
     * @example w.pow(2)
     */
    pow(y: TensorLike): Variable;
    /**
     * Elementwise the larger of `x` and `y`, with broadcasting ({@link T.maximum}).
     * @example x.maximum(0)
     */
    maximum(y: TensorLike): Variable;
    /**
     * Elementwise the smaller of `x` and `y`, with broadcasting ({@link T.minimum}).
     * @example x.minimum(1)
     */
    minimum(y: TensorLike): Variable;
    /**
     * Elementwise `x > y` as bool, with broadcasting ({@link T.gt}).
     * @example p1.gt(0.5)
     */
    gt(y: TensorLike): Variable;
    /**
     * Elementwise `x >= y` as bool, with broadcasting ({@link T.ge}).
     * @example x.ge(0)
     */
    ge(y: TensorLike): Variable;
    /**
     * Elementwise `x < y` as bool, with broadcasting ({@link T.lt}).
     * @example x.lt(0)
     */
    lt(y: TensorLike): Variable;
    /**
     * Elementwise `x <= y` as bool, with broadcasting ({@link T.le}).
     * @example x.le(1)
     */
    le(y: TensorLike): Variable;
    /**
     * Elementwise `x == y` as bool, with broadcasting ({@link T.eq}).
     * @example prediction.eq(y)
     */
    eq(y: TensorLike): Variable;
    /**
     * Elementwise `x != y` as bool, with broadcasting ({@link T.neq}).
     * @example prediction.neq(y)
     */
    neq(y: TensorLike): Variable;
    /**
     * Elementwise logical and, with broadcasting ({@link T.and}).
     * @example x.gt(0).and(x.lt(1))
     */
    and(y: TensorLike): Variable;
    /**
     * Elementwise logical or, with broadcasting ({@link T.or}).
     * @example x.lt(0).or(x.gt(1))
     */
    or(y: TensorLike): Variable;
    /** Theano's x // y (numpy floor_divide). */
    intDiv(y: TensorLike): Variable;
    /** Theano's x % y (numpy remainder: the sign of y). */
    mod(y: TensorLike): Variable;
    arctan2(x: TensorLike): Variable;
    /**
     * Elementwise logical not, with broadcasting ({@link T.not}).
     * @example x.gt(0).not()
     */
    not(): Variable;
    /**
     * Elementwise `-x`, with broadcasting ({@link T.neg}).
     * @example T.dot(x, w).neg()
     */
    neg(): Variable;
    /**
     * Elementwise `e ** x`, with broadcasting ({@link T.exp}).
     * @example z.exp()
     */
    exp(): Variable;
    /**
     * Elementwise the natural logarithm, with broadcasting ({@link T.log}).
     * @example p.log()
     */
    log(): Variable;
    /**
     * Elementwise `log(1 + x)`, with broadcasting ({@link T.log1p}).
     * @example x.log1p()
     */
    log1p(): Variable;
    /**
     * Elementwise `exp(x) - 1`, with broadcasting ({@link T.expm1}).
     * @example x.expm1()
     */
    expm1(): Variable;
    /**
     * Elementwise the square root, with broadcasting ({@link T.sqrt}).
     * @example v.sqrt()
     */
    sqrt(): Variable;
    /**
     * Elementwise `x * x`, with broadcasting ({@link T.sqr}).
     * @example err.sqr().mean()
     */
    sqr(): Variable;
    /**
     * Elementwise the absolute value, with broadcasting ({@link T.abs}).
     * @example x.abs()
     */
    abs(): Variable;
    /**
     * Elementwise the sign (-1, 0, 1), with broadcasting ({@link T.sign}).
     * @example x.sign()
     */
    sign(): Variable;
    /**
     * Elementwise the hyperbolic tangent, with broadcasting ({@link T.tanh}).
     * @example h.tanh()
     */
    tanh(): Variable;
    /**
     * Elementwise the logistic function, with broadcasting ({@link T.sigmoid}).
     * @example x.dot(w).sigmoid()
     */
    sigmoid(): Variable;
    /**
     * Elementwise `log(1 + exp(x))`, with broadcasting ({@link T.softplus}).
     * @example z.softplus()
     */
    softplus(): Variable;
    /**
     * Elementwise `max(x, 0)`, with broadcasting ({@link T.relu}).
     * @example x.dot(W).add(b).relu()
     */
    relu(): Variable;
    /**
     * Elementwise rounding down, with broadcasting ({@link T.floor}).
     * @example x.floor()
     */
    floor(): Variable;
    /**
     * Elementwise rounding up, with broadcasting ({@link T.ceil}).
     * @example x.ceil()
     */
    ceil(): Variable;
    /**
     * Elementwise rounding half to even, with broadcasting ({@link T.round}).
     * @example x.round()
     */
    round(): Variable;
    sin(): Variable;
    cos(): Variable;
    tan(): Variable;
    arcsin(): Variable;
    arccos(): Variable;
    arctan(): Variable;
    sinh(): Variable;
    cosh(): Variable;
    arcsinh(): Variable;
    arccosh(): Variable;
    arctanh(): Variable;
    log2(): Variable;
    log10(): Variable;
    exp2(): Variable;
    isnan(): Variable;
    isinf(): Variable;
    erf(): Variable;
    erfc(): Variable;
    erfinv(): Variable;
    gamma(): Variable;
    gammaln(): Variable;
    psi(): Variable;
    cumsum(axis?: Axis): Variable;
    cumprod(axis?: Axis): Variable;
    sort(axis?: Axis): Variable;
    argsort(axis?: Axis): Variable;
    /**
     * Elementwise `x` limited to [lo, hi], with broadcasting ({@link T.clip}).
     * @example p.clip(1e-7, 1 - 1e-7)
     */
    clip(lo: TensorLike, hi: TensorLike): Variable;
    /** int64 is stored as int32 (see T.lvector). */
    astype(dtype: DType | 'int64'): Variable;
    /**
     * The sum over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.sum}).
     * @example x.sum(1, true)
     */
    sum(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The mean over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.mean}).
     * @example xent.mean()
     */
    mean(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The product over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.prod}).
     * @example x.prod(0)
     */
    prod(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The largest value over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.max}).
     * @example z.max(1, true)
     */
    max(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The smallest value over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.min}).
     * @example x.min()
     */
    min(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * Whether all are true over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.all}).
     * @example x.ge(0).all()
     */
    all(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * Whether any is true over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.any}).
     * @example x.lt(0).any(1)
     */
    any(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The variance over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.var}).
     * @example x.var(0)
     */
    var(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The standard deviation over `axis` (all axes when omitted); `keepdims` keeps reduced axes with length 1 ({@link T.std}).
     * @example x.std(0)
     */
    std(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The index of the largest value along `axis`, as int32 ({@link T.argmax}).
     * @example p.argmax(1)
     */
    argmax(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The index of the smallest value along `axis`, as int32 ({@link T.argmin}).
     * @example d.argmin(1)
     */
    argmin(axis?: Axis, keepdims?: boolean): Variable;
    /**
     * The matrix product ({@link T.dot}).
     * @example x.dot(w)
     */
    dot(y: TensorLike): Variable;
    /**
     * The axes reversed, or in the order given ({@link T.transpose}).
     * @example x.transpose(1, 0, 2)
     */
    transpose(...axes: number[]): Variable;
    /**
     * Reorder axes and insert broadcastable ones (`'x'`), as Theano's dimshuffle.
     * @example b.dimshuffle('x', 0)
     */
    dimshuffle(...pattern: Pattern): Variable;
    /**
     * The same elements in a new shape (one entry may be -1).
     * @example x.reshape([-1, 784])
     */
    reshape(shape: readonly (number | Variable)[]): Variable;
    /**
     * Keep the first `ndim - 1` axes and merge the rest.
     * @example images.flatten(2)
     */
    flatten(ndim?: number): Variable;
    /**
     * numpy indexing: numbers, int Variables, `T.slice`s, int vectors ({@link T.get}).
     * @example logp.get(T.arange(n), y)
     */
    get(...idx: IndexArg[]): Variable;
    /** x.T: the transpose. */
    readonly T: Variable;
    /** x.shape: the runtime shape as a symbolic int32 vector. */
    readonly shape: Variable;
  }
}

const P = Variable.prototype as unknown as Record<string, unknown>;
const binary = { add: E.add, sub: E.sub, mul: E.mul, div: E.div, pow: E.pow, maximum: E.maximum, minimum: E.minimum, gt: E.gt, ge: E.ge, lt: E.lt, le: E.le, eq: E.eq, neq: E.neq, and: E.and, or: E.or, intDiv: E.intDiv, mod: E.mod, arctan2: E.arctan2 };
for (const [name, f] of Object.entries(binary)) P[name] = function (this: Variable, y: TensorLike) {
  return f(this, y);
};
const unary = { not: E.not, neg: E.neg, exp: E.exp, log: E.log, log1p: E.log1p, expm1: E.expm1, sqrt: E.sqrt, sqr: E.sqr, abs: E.abs, sign: E.sign, tanh: E.tanh, sigmoid: E.sigmoid, softplus: E.softplus, relu: E.relu, floor: E.floor, ceil: E.ceil, round: E.round,
  sin: E.sin, cos: E.cos, tan: E.tan, arcsin: E.arcsin, arccos: E.arccos, arctan: E.arctan, sinh: E.sinh, cosh: E.cosh, arcsinh: E.arcsinh, arccosh: E.arccosh, arctanh: E.arctanh, log2: E.log2, log10: E.log10, exp2: E.exp2, isnan: E.isnan, isinf: E.isinf, erf: E.erf, erfc: E.erfc, erfinv: E.erfinv, gamma: E.gamma, gammaln: E.gammaln, psi: E.psi };
for (const [name, f] of Object.entries(unary)) P[name] = function (this: Variable) {
  return f(this);
};
const reductions = { sum: B.sum, mean: B.mean, prod: B.prod, max: B.max, min: B.min, all: B.all, any: B.any, var: B.var_, std: B.std };
for (const [name, f] of Object.entries(reductions)) P[name] = function (this: Variable, axis?: Axis, keepdims?: boolean) {
  return f(this, axis, keepdims);
};
Object.assign(P, {
  clip(this: Variable, lo: TensorLike, hi: TensorLike) {
    return E.clip(this, lo, hi);
  },
  astype(this: Variable, dtype: DType | 'int64') {
    return (dtype === 'int64' ? 'int32' : dtype) === this.dtype ? this : E.cast(this, dtype);
  },
  argmax(this: Variable, axis?: Axis, keepdims?: boolean) {
    return B.argmax(this, axis, keepdims);
  },
  argmin(this: Variable, axis?: Axis, keepdims?: boolean) {
    return B.argmin(this, axis, keepdims);
  },
  cumsum(this: Variable, axis?: Axis) {
    return B.cumsum(this, axis);
  },
  cumprod(this: Variable, axis?: Axis) {
    return B.cumprod(this, axis);
  },
  sort(this: Variable, axis?: Axis) {
    return B.sort(this, axis);
  },
  argsort(this: Variable, axis?: Axis) {
    return B.argsort(this, axis);
  },
  dot(this: Variable, y: TensorLike) {
    return B.dot(this, y);
  },
  transpose(this: Variable, ...axes: number[]) {
    return B.transpose(this, axes.length ? axes : undefined);
  },
  dimshuffle(this: Variable, ...pattern: Pattern) {
    return B.dimshuffle(this, pattern);
  },
  reshape(this: Variable, shape: readonly (number | Variable)[]) {
    return B.reshape(this, shape);
  },
  flatten(this: Variable, ndim?: number) {
    return B.flatten(this, ndim);
  },
  get(this: Variable, ...idx: IndexArg[]) {
    return B.get(this, ...idx);
  },
});
Object.defineProperty(P, 'T', {
  get(this: Variable) {
    return B.transpose(this);
  },
});
Object.defineProperty(P, 'shape', {
  get(this: Variable) {
    return B.shape(this);
  },
});
