/** Fashion-MNIST for the examples: pixels in [0, 1] as float32, labels as int32, from the Debian package. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { io, random, training, setBlasThreads, NDArray } from 'theanode';

export const FASHION_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

/** One split ('train' or 't10k'), at most `limit` images; exits with instructions when the data is missing. */
export function loadFashion(prefix: 'train' | 't10k', dir = FASHION_DIR, limit?: number): [NDArray, NDArray] {
  const file = (kind: string) => join(dir, `${prefix}-${kind}.gz`);
  const imagesPath = file('images-idx3-ubyte');
  if (!existsSync(imagesPath)) {
    console.error(`Fashion-MNIST not found: ${imagesPath} is missing.\nInstall the Debian package (apt-get install dataset-fashion-mnist), or point --data / FASHION_MNIST_DIR at a folder with the four .gz files.`);
    process.exit(1);
  }
  const images = io.loadIdx(imagesPath);
  const labels = io.loadIdx(file('labels-idx1-ubyte'));
  const n = limit ? Math.min(limit, images.shape[0]) : images.shape[0];
  const pixels = images.shape[1] * images.shape[2];
  const x = new Float32Array(n * pixels);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return [new NDArray(x, [n, pixels], 'float32'), new NDArray(Int32Array.from(labels.data.subarray(0, n)), [n], 'int32')];
}

/** The fraction of `Y` that `predict` gets right, in slices of 1000 images (one plan, a bounded arena). */
export function accuracyOf(predict: (x: NDArray) => NDArray, X: NDArray, Y: NDArray): number {
  let ok = 0;
  const row = X.size / Math.max(X.shape[0], 1);
  for (let i = 0; i < X.shape[0]; i += 1000) {
    const n = Math.min(1000, X.shape[0] - i);
    const pred = predict(new NDArray(X.data.subarray(i * row, (i + n) * row), [n, ...X.shape.slice(1)], X.dtype));
    for (let k = 0; k < n; k++) if (pred.data[k] === Y.data[i + k]) ok++;
  }
  return ok / X.shape[0];
}

/** Trains a classifier's step over shuffled minibatches, printing loss, test accuracy and seconds per epoch. */
export function trainClassifier(net: { step: (x: NDArray, y: NDArray) => NDArray; predict: (x: NDArray) => NDArray }, data: { train: [NDArray, NDArray]; test: [NDArray, NDArray] }, opts: { epochs: number; batchSize: number; shuffle: training.Shuffler }) {
  return training.fit({
    step: net.step,
    data: data.train,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    shuffle: opts.shuffle,
    onEpoch: (r) => {
      const testAccuracy = accuracyOf(net.predict, ...data.test);
      console.log(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, test accuracy ${testAccuracy.toFixed(4)}, ${r.seconds.toFixed(2)} s`);
      return { testAccuracy };
    },
  });
}

/**
 * The classifier examples' command line (--epochs --batch --lr --seed --data --backend --threads
 * --limit, plus `extra` flags with their defaults), the thread count set, the data loaded.
 */
export function classifierSetup(defaults: { lr: string }, extra: Record<string, string> = {}) {
  const options: Record<string, { type: 'string'; default?: string }> = {
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: defaults.lr },
    seed: { type: 'string', default: '0' },
    data: { type: 'string', default: FASHION_DIR },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    limit: { type: 'string' },
  };
  for (const [name, value] of Object.entries(extra)) options[name] = { type: 'string', default: value };
  const opts = parseArgs({ options }).values as Record<string, string | undefined>;
  if (opts.threads) setBlasThreads(Number(opts.threads));
  const limit = opts.limit ? Number(opts.limit) : undefined;
  const data = { train: loadFashion('train', opts.data, limit), test: loadFashion('t10k', opts.data) };
  return { opts, data, rng: new random.RandomState(Number(opts.seed)), backend: opts.backend as 'auto' | 'native' | 'js' };
}
