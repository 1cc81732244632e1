/** A training loop: epochs of shuffled minibatches through a compiled step, with progress and history. */
import type { NDArray } from '../ndarray/ndarray.js';
import { minibatches, batchCount, MinibatchOptions } from './minibatches.js';
import { ProgressBar } from './progress.js';
import { isInitialised, transport } from '../distributed/runtime.js';

/** What {@link fit} records for one epoch. */
export interface EpochRecord {
  epoch: number;
  /** Mean of the step's loss over the epoch's batches, weighted by batch size. */
  loss: number;
  seconds: number;
  [metric: string]: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** One training step on a batch; returns the batch's mean loss (a number or a 0-d NDArray). */
  step: (...batch: NDArray[]) => number | NDArray | NDArray[];
  data: readonly NDArray[];
  epochs: number;
  batchSize: number;
  shuffle?: MinibatchOptions['shuffle'];
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  /** Called after each epoch; may add metrics (e.g. test accuracy) to the record it returns. */
  onEpoch?: (record: EpochRecord) => void | Record<string, number>;
  /**
   * In a distributed job each rank steps on its shard of every minibatch (see
   * MinibatchOptions.shard); the epoch's loss is then averaged over all ranks' rows, and the
   * progress bar shows on rank 0 only.
   */
  shard?: boolean;
  /** The first epoch's number (when resuming). */
  initialEpoch?: number;
}

function lossOf(r: number | NDArray | NDArray[]): number {
  const v = Array.isArray(r) ? r[0] : r;
  return typeof v === 'number' ? v : v.data[0];
}

/**
 * Train for some epochs over shuffled minibatches, with a progress bar, optional evaluation and
 * checkpoints; returns one record per epoch.
 * @example
 * ```ts
 * const history = training.fit({ step: (xb, yb) => train(xb, yb), data: [X, Y], epochs: 10, batchSize: 128 });
 * ```
 */
export function fit(opts: FitOptions): EpochRecord[] {
  const history: EpochRecord[] = [];
  const n = opts.data[0]?.shape[0] ?? 0;
  const first = opts.initialEpoch ?? 1;
  const world = opts.shard !== false && isInitialised() ? transport() : null;
  for (let epoch = first; epoch < first + opts.epochs; epoch++) {
    const enabled = world && world.rank !== 0 ? false : opts.progress;
    const bar = new ProgressBar({ total: batchCount(n, opts.batchSize), label: `epoch ${epoch}`, unit: 'batch', enabled });
    const t0 = performance.now();
    let sum = 0;
    let seen = 0;
    // The step consumes each batch before the next is drawn, so the batch arrays can be reused.
    for (const batch of minibatches(opts.data, { batchSize: opts.batchSize, shuffle: opts.shuffle, reuse: true, shard: !!world })) {
      const rows = batch[0].shape[0];
      const loss = lossOf(opts.step(...batch));
      sum += loss * rows;
      seen += rows;
      bar.tick(1, { loss: sum / seen });
    }
    bar.finish();
    if (world) {
      const both = Float64Array.of(sum, seen);
      world.allreduce(both, 'sum');
      [sum, seen] = both;
    }
    const record: EpochRecord = { epoch, loss: sum / Math.max(seen, 1), seconds: (performance.now() - t0) / 1000 };
    const extra = opts.onEpoch?.(record);
    if (extra) Object.assign(record, extra);
    history.push(record);
  }
  return history;
}
