/**
 * `T.distributed`: symbolic collectives over the ranks of a distributed job (lib/distributed).
 * @module
 */
export { allreduce } from '../ops/allreduce.js';
export type { AllReduceOp } from '../ops/allreduce.js';
