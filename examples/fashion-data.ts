/** Fashion-MNIST for the examples: pixels in [0, 1] as float32, labels as int32, from the Debian package. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { io, NDArray } from 'theanode';

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
