/**
 * LeNet (examples/lenet-model.ts) on Fashion-MNIST: SGD, lr 0.1, batch 128, float32. Reads the
 * Debian package dataset-fashion-mnist; prints test accuracy and seconds per epoch.
 *
 *   npm run example:lenet                          # 10 epochs
 *   node dist/examples/lenet.js --epochs 2 --seed 1
 *   node dist/examples/lenet.js --backend js --limit 2560 --epochs 1   # a slice, on the js backend
 */
import { parseArgs } from 'node:util';
import { random, setBlasThreads } from 'theanode';
import { buildLenet } from './lenet-model.js';
import { FASHION_DIR, loadFashion, trainClassifier } from './fashion-data.js';

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

console.log(`LeNet on Fashion-MNIST: ${trainX.shape[0]} training images, backend ${net.step.backend}, batch ${opts.batch}, lr ${opts.lr}, float32, seed ${opts.seed}`);
trainClassifier(net, { train: [trainX, trainY], test: [testX, testY] }, { epochs: Number(opts.epochs), batchSize: Number(opts.batch), shuffle: rng });
