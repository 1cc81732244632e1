/**
 * LeNet on Fashion-MNIST (examples/lenet-model.ts: SGD lr 0.1, batch 128, float32): seconds per
 * epoch on the native backend, for `npm run bench` and on its own:
 *
 *   node dist/bench/lenet-epoch.js [THREADS [BATCHES]]   # BATCHES: time a slice of the epoch
 *
 * The first batches warm up (plans, V8); the epoch time is the timed batches scaled to the
 * 469 batches of an epoch, with the process's CPU time reported beside the wall time.
 */
import { fileURLToPath } from 'node:url';
import { random, NDArray, setBlasThreads } from 'theanode';
import { buildLenet } from '../examples/lenet-model.js';
import { fashionTrainingSet } from './fashion.js';

const BATCH = 128;
export const EPOCH_BATCHES = Math.ceil(60000 / BATCH);

const trainingSet = fashionTrainingSet;

export interface EpochTime {
  wall: number;
  cpu: number;
}

/** Seconds per epoch (wall and CPU), from `batches` timed batches after 5 warm-up ones. */
export function lenetEpochSeconds(threads: number, batches = EPOCH_BATCHES, backend: 'native' | 'js' = 'native'): EpochTime {
  setBlasThreads(threads);
  const [x, y] = trainingSet();
  const net = buildLenet(new random.RandomState(0), { backend });
  const batch = (k: number): [NDArray, NDArray] => {
    const i = (k * BATCH) % (x.shape[0] - BATCH);
    return [new NDArray(x.data.subarray(i * 784, (i + BATCH) * 784), [BATCH, 784]), new NDArray(y.data.subarray(i, i + BATCH), [BATCH])];
  };
  for (let k = 0; k < 5; k++) net.step(...batch(k));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < batches; k++) net.step(...batch(k + 5));
  const c = process.cpuUsage(c0);
  const scale = EPOCH_BATCHES / batches;
  return { wall: ((performance.now() - t0) / 1000) * scale, cpu: ((c.user + c.system) / 1e6) * scale };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const threads = Number(process.argv[2] ?? 1);
  const batches = Number(process.argv[3] ?? EPOCH_BATCHES);
  const backend = (process.argv[4] ?? 'native') as 'native' | 'js';
  const t = lenetEpochSeconds(threads, batches, backend);
  console.log(`lenet ${backend} threads ${threads}: ${t.wall.toFixed(2)} s per epoch (wall), ${t.cpu.toFixed(2)} s CPU, from ${batches} batches`);
}
