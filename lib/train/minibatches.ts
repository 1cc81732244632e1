/** Minibatches over arrays that share their first axis, optionally shuffled by a RandomState each pass. */
import { NDArray } from '../ndarray/ndarray.js';
import { allocate, TypedArray } from '../ndarray/dtype.js';
import { formatShape } from '../ndarray/shape.js';
import { isInitialised, transport } from '../distributed/runtime.js';
import { nativeRowGather } from '../backend/native/index.js';

/** What shuffles the rows: a RandomState, or anything with `permutation(n)`. */
export interface Shuffler {
  /** A permutation of 0..n-1. */
  permutation(n: number): NDArray | unknown;
}

/** Options of {@link minibatches}. */
export interface MinibatchOptions {
  batchSize: number;
  /** A RandomState (anything with `permutation(n)`) to shuffle the rows each time the iterator runs. */
  shuffle?: Shuffler | false;
  /** Leave out the last, smaller batch. */
  dropLast?: boolean;
  /**
   * Fill the same arrays for every batch instead of allocating new ones (much less memory
   * traffic); a batch is then valid only until the iterator advances.
   */
  reuse?: boolean;
  /**
   * In a distributed job (after distributed.init()), each rank takes its own contiguous shard of
   * every minibatch (rows split in rank order, shard lengths differing by at most one), so that K
   * ranks whose step averages gradients with `T.distributed.allreduce(g, 'mean')` compute the
   * gradient of the whole minibatch, as one process would, when K divides the batch size (with
   * 'sum', a cost summed over the rows and divided by the whole batch's size is exact for any
   * batch). Every rank must shuffle with the same seed. Default: true after init(); false turns it off.
   */
  shard?: boolean;
}

/** This rank's rows [start, end) of a batch of `n` rows, and the ranks' count. */
export function shardRange(n: number, rank: number, size: number): [number, number] {
  const base = Math.floor(n / size), extra = n % size;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/** Rows `order[start..end)` of `a`, copied into `into` (when it has the right size) or a new C-ordered array. */
function takeRows(a: NDArray, order: ArrayLike<number> | null, start: number, end: number, into?: TypedArray): NDArray {
  const row = a.shape.slice(1).reduce((x, y) => x * y, 1);
  const shape = [end - start, ...a.shape.slice(1)];
  const n = (end - start) * row;
  const out = into && into.length === n ? into : allocate(a.dtype, n);
  if (!order) out.set(a.data.subarray(start * row, end * row));
  else gatherRows(a.data, row, order, start, end, out);
  return new NDArray(out, shape, a.dtype);
}

/** Rows order[start..end) of `src` (rows of `row` elements) into `out`, one after another. */
function gatherRows(src: TypedArray, row: number, order: ArrayLike<number>, start: number, end: number, out: TypedArray): void {
  // Shuffled rows are scattered over the data set; the addon's gather prefetches them and
  // copies on several threads (why and how fast: native/src/rows.cc).
  const native = nativeRowGather();
  if (native && order instanceof Int32Array) return native(src, row, order, start, end, out);
  gatherRowsJs(src, row, order, start, end, out);
}

/** gatherRows in TypeScript (where the addon is not in use, and as its reference in tests). */
export function gatherRowsJs(src: TypedArray, row: number, order: ArrayLike<number>, start: number, end: number, out: TypedArray): void {
  if (row === 0) return;
  const rows = src.length / row;
  for (let i = start; i < end; i++) {
    const r = order[i];
    if (!(r >= 0 && r < rows) || !Number.isInteger(r)) throw new RangeError(`minibatches: order[${i}] is ${r}, expected a row in [0, ${rows})`);
    out.set(src.subarray(r * row, (r + 1) * row), (i - start) * row);
  }
}

/**
 * Yield the rows of several arrays in batches, together, in order or shuffled by a RandomState (numpy's permutation order).
 * Where the native addon is in use, it gathers the shuffled rows (prefetched, on its threads).
 * @example for (const [xb, yb] of training.minibatches([X, Y], { batchSize: 128, shuffle: new random.RandomState(0) })) train(xb, yb);
 */
export function* minibatches(arrays: readonly NDArray[], opts: MinibatchOptions): Generator<NDArray[]> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`minibatches: batchSize must be a positive integer, got ${batchSize}`);
  if (arrays.length === 0) throw new Error('minibatches: no arrays given');
  const n = arrays[0].shape[0];
  arrays.forEach((a, i) => {
    if (a.ndim === 0 || a.shape[0] !== n) throw new Error(`minibatches: array ${i} has shape ${formatShape(a.shape)}, expected ${n} rows like array 0`);
  });
  let order: ArrayLike<number> | null = null;
  if (opts.shuffle) {
    const perm = opts.shuffle.permutation(n);
    order = perm instanceof NDArray ? perm.data : (perm as ArrayLike<number>);
  }
  const buffers: (TypedArray | undefined)[] = arrays.map(() => undefined);
  const world = opts.shard !== false && isInitialised() ? transport() : null;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (opts.dropLast && end - start < batchSize) return;
    const [lo, hi] = world ? shardRange(end - start, world.rank, world.size).map((r) => start + r) : [start, end];
    const batch = arrays.map((a, i) => takeRows(a, order, lo, hi, opts.reuse ? buffers[i] : undefined));
    if (opts.reuse) batch.forEach((b, i) => (buffers[i] = b.data));
    yield batch;
  }
}

/**
 * How many batches minibatches() yields.
 * @example training.batchCount(60000, 128)  // 469
 */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
