/** Fashion-MNIST for the examples: pixels in [0, 1] as float32, labels as int32, from the Debian package. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { io, training, NDArray } from 'theanode';

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
