/**
 * Training utilities: minibatches, a progress bar, a fit loop, checkpoints, curves.
 * @module
 */
export { minibatches, batchCount } from './minibatches.js';
export type { MinibatchOptions, Shuffler } from './minibatches.js';
export { ProgressBar } from './progress.js';
export type { ProgressOptions } from './progress.js';
export { fit } from './fit.js';
export type { FitOptions, EpochRecord } from './fit.js';
export { saveParams, loadParams } from './checkpoint.js';
export type { Params } from './checkpoint.js';
export { curvesSvg } from './plot.js';
export type { Panel, Series } from './plot.js';
