/** scan: Theano's loops with gradients (backpropagation through time). */
export { scan } from './build.js';
export type { ScanOptions, SequenceArg, OutputInfoArg, StepFn, StepResult } from './build.js';
