/** The Fashion-MNIST training set for the benches: pixels as float32 in [0, 1], labels as int32. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { io, NDArray } from 'theanode';

export const FASHION_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

export function fashionAvailable(): boolean {
  return existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
}

let data: [NDArray, NDArray] | undefined;

/** The 60000 training images (flattened to 784 pixels) and their labels, loaded once. */
export function fashionTrainingSet(): [NDArray, NDArray] {
  if (data) return data;
  const images = io.loadIdx(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
  const labels = io.loadIdx(join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'));
  const x = new Float32Array(images.size);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  data = [new NDArray(x, [images.shape[0], 784], 'float32'), new NDArray(Int32Array.from(labels.data), [labels.shape[0]], 'int32')];
  return data;
}
