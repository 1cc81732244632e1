/** `T`, like theano.tensor. */
import './fluent.js';
export * from './variables.js';
export * from './basic.js';
export {
  add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq, neq, and, or, not, neg, exp, log, log1p, expm1,
  sqrt, sqr, abs, sign, tanh, sigmoid, softplus, relu, floor, ceil, round, clip, cast, switch_ as switch,
} from '../ops/elemwise_builders.js';
export { arange } from '../ops/arange.js';
export { slice } from '../ops/index.js';
export { var_ as var } from './basic.js';
export * as nnet from './nnet.js';
export * as signal from './signal.js';
export { tensordot, batchedDot } from './tensordot.js';
export { grad } from '../grad.js';
