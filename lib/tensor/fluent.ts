/** Fluent methods on every Variable: x.add(y), x.dot(w), x.mean(), x.T, x.get(...), x.shape, ... */
import { Variable } from '../graph/variable.js';
import type { TensorLike } from '../graph/as_variable.js';
import type { DType } from '../ndarray/dtype.js';
import type { IndexArg } from '../ops/index.js';
import type { Pattern } from '../ops/dimshuffle.js';
import * as E from '../ops/elemwise_builders.js';
import * as B from './basic.js';

import type { Axis } from './basic.js';

declare module '../graph/variable.js' {
  interface Variable {
    add(y: TensorLike): Variable;
    sub(y: TensorLike): Variable;
    mul(y: TensorLike): Variable;
    div(y: TensorLike): Variable;
    pow(y: TensorLike): Variable;
    maximum(y: TensorLike): Variable;
    minimum(y: TensorLike): Variable;
    gt(y: TensorLike): Variable;
    ge(y: TensorLike): Variable;
    lt(y: TensorLike): Variable;
    le(y: TensorLike): Variable;
    eq(y: TensorLike): Variable;
    neq(y: TensorLike): Variable;
    and(y: TensorLike): Variable;
    or(y: TensorLike): Variable;
    not(): Variable;
    neg(): Variable;
    exp(): Variable;
    log(): Variable;
    log1p(): Variable;
    expm1(): Variable;
    sqrt(): Variable;
    sqr(): Variable;
    abs(): Variable;
    sign(): Variable;
    tanh(): Variable;
    sigmoid(): Variable;
    softplus(): Variable;
    relu(): Variable;
    floor(): Variable;
    ceil(): Variable;
    round(): Variable;
    clip(lo: TensorLike, hi: TensorLike): Variable;
    astype(dtype: DType): Variable;
    sum(axis?: Axis, keepdims?: boolean): Variable;
    mean(axis?: Axis, keepdims?: boolean): Variable;
    prod(axis?: Axis, keepdims?: boolean): Variable;
    max(axis?: Axis, keepdims?: boolean): Variable;
    min(axis?: Axis, keepdims?: boolean): Variable;
    all(axis?: Axis, keepdims?: boolean): Variable;
    any(axis?: Axis, keepdims?: boolean): Variable;
    var(axis?: Axis, keepdims?: boolean): Variable;
    std(axis?: Axis, keepdims?: boolean): Variable;
    argmax(axis?: number | null, keepdims?: boolean): Variable;
    argmin(axis?: number | null, keepdims?: boolean): Variable;
    dot(y: TensorLike): Variable;
    transpose(...axes: number[]): Variable;
    dimshuffle(...pattern: Pattern): Variable;
    reshape(shape: readonly (number | Variable)[]): Variable;
    flatten(ndim?: number): Variable;
    get(...idx: IndexArg[]): Variable;
    /** x.T: the transpose. */
    readonly T: Variable;
    /** x.shape: the runtime shape as a symbolic int32 vector. */
    readonly shape: Variable;
  }
}

const P = Variable.prototype as unknown as Record<string, unknown>;
const binary = { add: E.add, sub: E.sub, mul: E.mul, div: E.div, pow: E.pow, maximum: E.maximum, minimum: E.minimum, gt: E.gt, ge: E.ge, lt: E.lt, le: E.le, eq: E.eq, neq: E.neq, and: E.and, or: E.or };
for (const [name, f] of Object.entries(binary)) P[name] = function (this: Variable, y: TensorLike) {
  return f(this, y);
};
const unary = { not: E.not, neg: E.neg, exp: E.exp, log: E.log, log1p: E.log1p, expm1: E.expm1, sqrt: E.sqrt, sqr: E.sqr, abs: E.abs, sign: E.sign, tanh: E.tanh, sigmoid: E.sigmoid, softplus: E.softplus, relu: E.relu, floor: E.floor, ceil: E.ceil, round: E.round };
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
  astype(this: Variable, dtype: DType) {
    return dtype === this.dtype ? this : E.cast(this, dtype);
  },
  argmax(this: Variable, axis?: number | null, keepdims?: boolean) {
    return B.argmax(this, axis, keepdims);
  },
  argmin(this: Variable, axis?: number | null, keepdims?: boolean) {
    return B.argmin(this, axis, keepdims);
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
