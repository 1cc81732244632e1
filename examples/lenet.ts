/**
 * LeNet (examples/lenet-model.ts) on Fashion-MNIST: SGD, lr 0.1, batch 128, float32. Reads the
 * Debian package dataset-fashion-mnist; prints test accuracy and seconds per epoch.
 *
 *   npm run example:lenet                          # 10 epochs
 *   node dist/examples/lenet.js --epochs 2 --seed 1
 *   node dist/examples/lenet.js --backend js --limit 2560 --epochs 1   # a slice, on the js backend
 */
import { parseArgs } from 'node:util';
import { random, training, NDArray, setBlasThreads } from 'theanode';
import { buildLenet } from './lenet-model.js';
import { FASHION_DIR, loadFashion } from './fashion-data.js';

const { values: opts } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '0' },
    data: { type: 'string', default: FASHION_DIR },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    limit: { type: 'string' },
  },
});

if (opts.threads) setBlasThreads(Number(opts.threads));
const limit = opts.limit ? Number(opts.limit) : undefined;
const [trainX, trainY] = loadFashion('train', opts.data, limit);
const [testX, testY] = loadFashion('t10k', opts.data);
const rng = new random.RandomState(Number(opts.seed));
const net = buildLenet(rng, { learningRate: Number(opts.lr), backend: opts.backend as 'auto' | 'native' | 'js' });

function accuracy(X: NDArray, Y: NDArray): number {
  let ok = 0;
  // In slices of 1000 images: one plan, a bounded arena.
  for (let i = 0; i < X.shape[0]; i += 1000) {
    const n = Math.min(1000, X.shape[0] - i);
    const pred = net.predict(new NDArray(X.data.subarray(i * 784, (i + n) * 784), [n, 784]));
    for (let k = 0; k < n; k++) if (pred.data[k] === Y.data[i + k]) ok++;
  }
  return ok / X.shape[0];
}

console.log(`LeNet on Fashion-MNIST: ${trainX.shape[0]} training images, backend ${net.step.backend}, batch ${opts.batch}, lr ${opts.lr}, float32, seed ${opts.seed}`);
training.fit({
  step: net.step,
  data: [trainX, trainY],
  epochs: Number(opts.epochs),
  batchSize: Number(opts.batch),
  shuffle: rng,
  onEpoch: (r) => {
    const testAccuracy = accuracy(testX, testY);
    console.log(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, test accuracy ${testAccuracy.toFixed(4)}, ${r.seconds.toFixed(2)} s`);
    return { testAccuracy };
  },
});
