/** theanode: Theano for Node.js. */
import * as T from './tensor/index.js';
import * as printing from './printing.js';
import * as gradient from './gradient.js';
import * as random from './random/index.js';
import * as updates from './updates.js';
import * as training from './train/index.js';

export { T, printing, gradient, random, updates, training };
export { shared } from './shared.js';
export { fn } from './compile/function.js';
export type { FnOptions, CompiledFunction } from './compile/function.js';
export { grad } from './grad.js';
export type { GradOptions } from './grad.js';
export { config } from './config.js';
export { NDArray, array, zeros, ones, full } from './ndarray/ndarray.js';
export type { DType } from './ndarray/dtype.js';
export { Variable, SharedVariable, Constant } from './graph/variable.js';
export * as io from './io/index.js';
export { backendInfo, setBlasThreads } from './backend/native/index.js';
export type { BackendInfo } from './backend/native/index.js';
