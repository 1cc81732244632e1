/**
 * theanode: Theano for Node.js.
 * @document ../docs/porting-from-theano.md
 * @module
 */
import * as T from './tensor/index.js';
import * as printing from './printing.js';
import * as gradient from './gradient.js';
import * as random from './random/index.js';
import * as updates from './updates.js';
import * as training from './train/index.js';
import * as distributed from './distributed/index.js';

export { T, printing, gradient, random, updates, training, distributed };
export { shared } from './shared.js';
export { fn } from './compile/function.js';
export type { FnOptions, CompiledFunction, UpdatesLike, GivensLike } from './compile/function.js';
export { grad } from './grad.js';
export { scan } from './scan/index.js';
export type { ScanOptions, SequenceArg, OutputInfoArg, StepFn, StepResult } from './scan/index.js';
export type { GradOptions } from './grad.js';
export { config } from './config.js';
export type { Config, FloatX, BackendName } from './config.js';
export { NDArray, array, zeros, ones, full } from './ndarray/ndarray.js';
export type { DType, TypedArray } from './ndarray/dtype.js';
export type { Nested, ArrayLike as NDArrayLike, ArrayOptions } from './ndarray/ndarray.js';
export type { Shape } from './ndarray/shape.js';
export type { SharedOptions } from './shared.js';
export { TensorType } from './graph/type.js';
export type { Apply } from './graph/variable.js';
export type { TensorLike } from './graph/as_variable.js';
export type { FunctionGraph } from './graph/fgraph.js';
export type { Axis } from './tensor/basic.js';
export type { SliceSpec, IndexArg } from './ops/index.js';
export type { Pattern } from './ops/dimshuffle.js';
export type { Program, Plan, BufferSpec, BufferKind, Instruction, Attrs, AttrValue } from './compile/program.js';
export type { Op } from './graph/op.js';
export type { LoweredProgram } from './compile/lower.js';
export type { ResolvedBackend } from './backend/select.js';
export { Variable, SharedVariable, Constant } from './graph/variable.js';
export * as io from './io/index.js';
export { backendInfo, setBlasThreads } from './backend/native/index.js';
export type { BackendInfo } from './backend/native/index.js';
