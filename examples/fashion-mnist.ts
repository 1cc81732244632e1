/**
 * Softmax regression or an MLP (784-256-128-10, ReLU) on Fashion-MNIST, trained with minibatch
 * SGD in float32. Reads the Debian package dataset-fashion-mnist; writes the model (.npz) and its
 * training curve (.svg) to the output folder.
 *
 *   npm run example:softmax                 # 10 epochs, lr 0.1, batch 128
 *   npm run example:mlp
 *   node dist/examples/fashion-mnist.js mlp --epochs 2 --backend js --out /tmp/models
 *   node dist/examples/fashion-mnist.js mlp --resume models/mlp.npz --epochs 5
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { T, shared, fn, random, config, updates, training, NDArray, array } from 'theanode';
import type { SharedVariable } from 'theanode';
import { loadFashion, FASHION_DIR } from './fashion-data.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'models' },
    data: { type: 'string', default: FASHION_DIR },
    backend: { type: 'string' },
    resume: { type: 'string' },
    limit: { type: 'string' },
  },
});
const model = positionals[0] ?? 'softmax';
if (model !== 'softmax' && model !== 'mlp') {
  console.error(`unknown model ${model}: use softmax or mlp`);
  process.exit(2);
}
config.floatX = 'float32';
if (opts.backend) config.backend = opts.backend as typeof config.backend;

const limit = opts.limit ? Number(opts.limit) : undefined;
const [trainX, trainY] = loadFashion('train', opts.data, limit);
const [testX, testY] = loadFashion('t10k', opts.data, limit);
const rng = new random.RandomState(Number(opts.seed));

/** PyTorch's default initialisation for a linear layer: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
function linear(fanIn: number, fanOut: number, name: string): [SharedVariable, SharedVariable] {
  const bound = 1 / Math.sqrt(fanIn);
  return [shared(rng.uniform(-bound, bound, [fanIn, fanOut]), `${name}.w`), shared(rng.uniform(-bound, bound, [fanOut]), `${name}.b`)];
}

const layers = model === 'softmax' ? [linear(784, 10, 'out')] : [linear(784, 256, 'fc1'), linear(256, 128, 'fc2'), linear(128, 10, 'out')];
const params = layers.flat();

const x = T.matrix('x');
const y = T.ivector('y');
let h = x;
layers.forEach(([w, b], i) => {
  h = h.dot(w).add(b.dimshuffle('x', 0));
  if (i < layers.length - 1) h = T.relu(h);
});
const probs = T.nnet.softmax(h);
const loss = T.nnet.categoricalCrossentropy(probs, y).mean();
const step = fn([x, y], loss, { updates: updates.sgd(loss, params, { learningRate: Number(opts.lr) }), name: 'train' });
const predict = fn([x], probs.argmax(1), { name: 'predict' });

function accuracy(X: NDArray, Y: NDArray): number {
  const pred = predict(X);
  let ok = 0;
  for (let i = 0; i < Y.size; i++) if (pred.data[i] === Y.data[i]) ok++;
  return ok / Y.size;
}

mkdirSync(opts.out!, { recursive: true });
const modelPath = join(opts.out!, `${model}.npz`);
let initialEpoch = 1;
if (opts.resume) {
  const extra = training.loadParams(opts.resume, params);
  initialEpoch = (extra.epoch?.item() ?? 0) + 1;
  console.log(`resumed from ${opts.resume} at epoch ${initialEpoch}`);
}

console.log(`${model} on Fashion-MNIST: ${trainX.shape[0]} training and ${testX.shape[0]} test images, backend ${step.backend}, float32`);
const history = training.fit({
  step,
  data: [trainX, trainY],
  epochs: Number(opts.epochs),
  batchSize: Number(opts.batch),
  shuffle: rng,
  initialEpoch,
  onEpoch: (r) => {
    const acc = { trainAccuracy: accuracy(trainX, trainY), testAccuracy: accuracy(testX, testY) };
    console.log(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, train accuracy ${acc.trainAccuracy.toFixed(4)}, test accuracy ${acc.testAccuracy.toFixed(4)}, ${r.seconds.toFixed(2)} s`);
    training.saveParams(modelPath, params, { epoch: array([r.epoch], { dtype: 'int32' }).reshape() });
    return acc;
  },
});

const svg = training.curvesSvg(
  [
    { title: 'training loss', series: [{ label: 'loss', values: history.map((r) => r.loss) }] },
    { title: 'accuracy', series: [{ label: 'train', values: history.map((r) => r.trainAccuracy) }, { label: 'test', values: history.map((r) => r.testAccuracy) }] },
  ],
  `${model} on Fashion-MNIST (SGD lr ${opts.lr}, batch ${opts.batch}, float32, backend ${step.backend})`,
);
writeFileSync(join(opts.out!, `${model}.svg`), svg);
const last = history[history.length - 1];
const perEpoch = history.reduce((a, r) => a + r.seconds, 0) / history.length;
console.log(`final test accuracy ${last?.testAccuracy.toFixed(4)}; ${perEpoch.toFixed(2)} s per epoch; model ${modelPath}, curve ${join(opts.out!, `${model}.svg`)}`);
