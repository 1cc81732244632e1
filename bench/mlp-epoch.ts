/**
 * One epoch of the Fashion-MNIST MLP (784-256-128-10, ReLU, softmax cross-entropy, minibatch
 * 128, SGD, float32) on the native backend: the network workload of `npm run bench`. Same model,
 * initialisation and data as examples/fashion-mnist.ts; the first epoch warms up, the second is
 * timed.
 */
import { T, shared, fn, random, updates, training, NDArray, setBlasThreads } from 'theanode';
import { fashionAvailable, fashionTrainingSet } from './fashion.js';

export { FASHION_DIR, fashionAvailable } from './fashion.js';

let data: [NDArray, NDArray] | undefined;
function trainingSet(): [NDArray, NDArray] {
  return (data ??= fashionAvailable() ? fashionTrainingSet() : syntheticSet());
}

/** Where the data set is not installed: 60000 images of its size, pixels in [0, 1), 10 classes
 * (the time of an epoch does not depend on the values). */
function syntheticSet(): [NDArray, NDArray] {
  const n = 60000;
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
  for (let i = 0; i < x.length; i++) x[i] = next();
  for (let i = 0; i < n; i++) y[i] = Math.floor(next() * 10);
  return [new NDArray(x, [n, 784]), new NDArray(y, [n])];
}

/** Seconds for one epoch with `threads` threads (or the count set, when undefined). */
export function mlpEpochSeconds(threads?: number): number {
  if (threads !== undefined) setBlasThreads(threads);
  const rng = new random.RandomState(0);
  const layer = (fanIn: number, fanOut: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return [shared(rng.uniform(-bound, bound, [fanIn, fanOut]), 'w', { dtype: 'float32' }), shared(rng.uniform(-bound, bound, [fanOut]), 'b', { dtype: 'float32' })];
  };
  const layers = [layer(784, 256), layer(256, 128), layer(128, 10)];
  const x = T.matrix('x', 'float32'), y = T.ivector('y');
  let h = x;
  layers.forEach(([w, b], i) => {
    h = h.dot(w).add(b);
    if (i < layers.length - 1) h = T.relu(h);
  });
  const loss = T.nnet.categoricalCrossentropy(T.nnet.softmax(h), y).mean();
  const step = fn([x, y], loss, { updates: updates.sgd(loss, layers.flat(), { learningRate: 0.1 }), backend: 'native' });
  const history = training.fit({ step, data: trainingSet(), epochs: 2, batchSize: 128, shuffle: rng, progress: false });
  return history[1].seconds;
}
