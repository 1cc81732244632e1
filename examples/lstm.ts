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
import { parseArgs } from 'node:util';
import { random, setBlasThreads } from 'theanode';
import { buildLstm } from './lstm-model.js';
import { FASHION_DIR, loadFashion, trainClassifier } from './fashion-data.js';

const { values: opts } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.001' },
    hidden: { type: 'string', default: '128' },
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
const net = buildLstm(rng, { hidden: Number(opts.hidden), learningRate: Number(opts.lr), backend: opts.backend as 'auto' | 'native' | 'js' });

console.log(`LSTM (${opts.hidden} units, scan over 28 rows) on Fashion-MNIST: ${trainX.shape[0]} training images, backend ${net.step.backend}, batch ${opts.batch}, Adam lr ${opts.lr}, float32, seed ${opts.seed}`);
trainClassifier(net, { train: [trainX, trainY], test: [testX, testY] }, { epochs: Number(opts.epochs), batchSize: Number(opts.batch), shuffle: rng });
