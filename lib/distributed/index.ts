/**
 * Data-parallel training on MPI: every process (rank) runs the same script on its own shard of
 * each minibatch, and the gradients are summed or averaged across ranks inside each compiled step
 * (`T.distributed.allreduce`), so that all ranks keep the same parameters.
 * Launch with `mpirun -np K node train.js`.
 * @example
 * distributed.init();
 * distributed.broadcast([W, b]);                    // every rank starts from rank 0's values
 * const gW = T.distributed.allreduce(grad(cost, W), 'mean');
 * @module
 */
import { NDArray } from '../ndarray/ndarray.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { SharedVariable } from '../graph/variable.js';
import { distributedUnavailable, isInitialised, startMpi, transport, useTransport } from './runtime.js';
import { shardRange } from '../train/minibatches.js';
import { assertNoPendingCalls } from '../compile/queue.js';
import { collectiveOrder } from './abandon.js';

/** A collective called now must not overtake a compiled function's collective still queued. */
const inOrder = (where: string) => assertNoPendingCalls([collectiveOrder], where);

export { launchedByMpirun, abortJob } from './runtime.js';

/** This process's rank (0 until init()). */
export let rank = 0;
/** How many processes take part (1 until init()). */
export let size = 1;

/** What {@link init} returns. */
export interface WorldInfo {
  rank: number;
  size: number;
}

/**
 * Joins the job: starts MPI (once) and makes the compiled functions' allreduce kernels use it.
 * Throws one clear Error when the MPI addon is missing or the process was not started by mpirun.
 */
export function init(): WorldInfo {
  const t = startMpi();
  rank = t.rank;
  size = t.size;
  return { rank, size };
}

/** Whether init() has run in this process (and finalize() has not). */
export const initialised = (): boolean => isInitialised();

/** Waits until every rank has called barrier(). */
export function barrier(): void {
  const t = transport('distributed.barrier');
  inOrder('distributed.barrier');
  t.barrier();
}

/** How {@link allreduce} combines the ranks' arrays. */
export type ReduceOp = 'sum' | 'mean' | 'max';

/**
 * The elementwise sum, mean or maximum of `array` over all ranks (a new NDArray; every rank gets
 * the same). float64, float32 and int32 (whose mean is truncated toward zero, as int32 division).
 */
export function allreduce(array: NDArray, op: ReduceOp = 'sum'): NDArray {
  if (!(array instanceof NDArray)) throw new TypeError('distributed.allreduce: expected an NDArray');
  if (op !== 'sum' && op !== 'mean' && op !== 'max') throw new TypeError(`distributed.allreduce: op must be 'sum', 'mean' or 'max', got ${JSON.stringify(op)}`);
  if (array.dtype !== 'float64' && array.dtype !== 'float32' && array.dtype !== 'int32') {
    throw new TypeError(`distributed.allreduce: expected a float64, float32 or int32 array, got ${array.dtype}`);
  }
  const t = transport('distributed.allreduce');
  inOrder('distributed.allreduce');
  const data = array.data.slice() as TypedArray;
  t.allreduce(data, op === 'max' ? 'max' : 'sum');
  if (op === 'mean') for (let i = 0; i < data.length; i++) data[i] = array.dtype === 'int32' ? Math.trunc(data[i] / t.size) : data[i] / t.size;
  return new NDArray(data, [...array.shape], array.dtype);
}

/**
 * Sets every rank's shared variables to root's values (shapes may differ before: each rank takes
 * root's shape). Call it after building the model, so all ranks start from the same parameters.
 */
export function broadcast(vars: SharedVariable | readonly SharedVariable[], root = 0): void {
  const list = Array.isArray(vars) ? vars : [vars as SharedVariable];
  const t = transport('distributed.broadcast');
  inOrder('distributed.broadcast');
  if (!Number.isInteger(root) || root < 0 || root >= t.size) throw new RangeError(`distributed.broadcast: root ${root} is not a rank of ${t.size}`);
  list.forEach((v, i) => {
    if (!(v instanceof SharedVariable)) throw new TypeError(`distributed.broadcast: item ${i} is not a shared variable`);
  });
  for (const v of list) {
    // The root's shape first (so a rank whose variable has another shape takes root's), then the data.
    const value = v.getValue();
    const head = new Int32Array(9);
    head[0] = value.ndim;
    if (value.ndim > 8) throw new RangeError(`distributed.broadcast: ${v.name ?? "a shared variable"} has more than 8 axes`);
    value.shape.forEach((d: number, ax: number) => (head[1 + ax] = d));
    t.broadcast(new Uint8Array(head.buffer), root);
    const shape = [...head.subarray(1, 1 + head[0])];
    const n = shape.reduce((a, b) => a * b, 1);
    const data = (t.rank === root ? value.data : new (value.data.constructor as new (n: number) => TypedArray)(n)) as TypedArray;
    t.broadcast(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), root);
    if (t.rank !== root) v.setValue(new NDArray(data, shape, v.dtype));
  }
}

/** Leaves the job (MPI_Finalize). Called by itself when the process exits normally. */
export function finalize(): void {
  if (!isInitialised()) return;
  transport().finalize();
  useTransport(null);
  rank = 0;
  size = 1;
}

/**
 * Rows [start, end) of `n` that this rank takes: K contiguous shards whose lengths differ by at
 * most one, in rank order (the whole range before init()).
 */
export function shardOf(n: number, r = rank, k = size): [number, number] {
  return shardRange(n, r, k);
}
export { distributedUnavailable };
