/**
 * `T`, like theano.tensor.
 * @module
 */
import './fluent.js';
export * from './variables.js';
export * from './basic.js';
export {
  add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq, neq, and, or, not, neg, exp, log, log1p, expm1,
  sqrt, sqr, abs, sign, tanh, sigmoid, softplus, relu, floor, ceil, round, clip, cast, switch_ as switch,
  switch_ as where, intDiv, intDiv as int_div, intDiv as floor_div, div as true_div, abs as abs_, mod, sin, cos, tan, arcsin, arccos, arctan, arctan2, sinh, cosh, arcsinh,
  arccosh, arctanh, log2, log10, exp2, isnan, isinf, erf, erfc, erfinv, gamma, gammaln, psi, trigamma, tetragamma,
} from '../ops/elemwise_builders.js';
export { arange } from '../ops/arange.js';
export { slice } from '../ops/index.js';
export { var_ as var, zerosLike as zeros_like, onesLike as ones_like, shapePadleft as shape_padleft, shapePadright as shape_padright } from './basic.js';
export * as nnet from './nnet.js';
export * as signal from './signal.js';
export * as distributed from './distributed.js';
export { tensordot, batchedDot } from './tensordot.js';
export { grad } from '../grad.js';
export { Lop, Rop, jacobian, hessian } from '../derivatives.js';
