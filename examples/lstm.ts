/**
 * An LSTM classifier on Fashion-MNIST (examples/lstm-model.ts): each image read as 28 rows of 28
 * pixels by `scan`, 128 hidden units, softmax on the last hidden state, Adam lr 1e-3, batch 128,
 * float32. Reads the Debian package dataset-fashion-mnist; prints loss, test accuracy and seconds
 * per epoch. bench/peers/lstm_torch.py is the same recipe in PyTorch.
 *
 *   npm run example:lstm                           # 10 epochs
 *   node dist/examples/lstm.js --epochs 3 --seed 1 --threads 1
 *   node dist/examples/lstm.js --backend js --limit 1280 --epochs 1   # a slice, on the js backend
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io, random, training, NDArray, setBlasThreads } from 'theanode';
import { buildLstm } from './lstm-model.js';

const { values: opts } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.001' },
    hidden: { type: 'string', default: '128' },
    seed: { type: 'string', default: '0' },
    data: { type: 'string', default: process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    limit: { type: 'string' },
  },
});

function loadSplit(prefix: string, limit?: number): [NDArray, NDArray] {
  const file = (kind: string) => join(opts.data!, `${prefix}-${kind}.gz`);
  if (!existsSync(file('images-idx3-ubyte'))) {
    console.error(`Fashion-MNIST not found in ${opts.data}: install the Debian package dataset-fashion-mnist, or pass --data / set FASHION_MNIST_DIR.`);
    process.exit(1);
  }
  const images = io.loadIdx(file('images-idx3-ubyte'));
  const labels = io.loadIdx(file('labels-idx1-ubyte'));
  const n = Math.min(limit ?? images.shape[0], images.shape[0]);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return [new NDArray(x, [n, 784]), new NDArray(Int32Array.from(labels.data.subarray(0, n)), [n])];
}

if (opts.threads) setBlasThreads(Number(opts.threads));
const limit = opts.limit ? Number(opts.limit) : undefined;
const [trainX, trainY] = loadSplit('train', limit);
const [testX, testY] = loadSplit('t10k');
const rng = new random.RandomState(Number(opts.seed));
const net = buildLstm(rng, { hidden: Number(opts.hidden), learningRate: Number(opts.lr), backend: opts.backend as 'auto' | 'native' | 'js' });

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

console.log(`LSTM (${opts.hidden} units, scan over 28 rows) on Fashion-MNIST: ${trainX.shape[0]} training images, backend ${net.step.backend}, batch ${opts.batch}, Adam lr ${opts.lr}, float32, seed ${opts.seed}`);
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
