/**
 * An LSTM classifier on Fashion-MNIST (examples/lstm-model.ts): each image read as 28 rows of 28
 * standardised pixels by `scan`, 128 hidden units, softmax on the last hidden state, Adam lr
 * 1e-3, batch 128, float32. Reads the Debian package dataset-fashion-mnist; prints loss, test
 * accuracy and seconds per epoch. bench/peers/lstm_torch.py is the same recipe in PyTorch.
 *
 *   npm run example:lstm                           # 10 epochs
 *   node dist/examples/lstm.js --epochs 3 --seed 1 --threads 1
 *   node dist/examples/lstm.js --backend js --limit 1280 --epochs 1   # a slice, on the js backend
 */
import { buildLstm } from './lstm-model.js';
import { classifierSetup, trainClassifier } from './fashion-data.js';

const { opts, data, rng, backend } = classifierSetup({ lr: '0.001' }, { hidden: '128' });
const net = buildLstm(rng, { hidden: Number(opts.hidden), learningRate: Number(opts.lr), backend });

console.log(`LSTM (${opts.hidden} units, scan over 28 rows) on Fashion-MNIST: ${data.train[0].shape[0]} training images, backend ${net.step.backend}, batch ${opts.batch}, Adam lr ${opts.lr}, float32, seed ${opts.seed}`);
trainClassifier(net, data, { epochs: Number(opts.epochs), batchSize: Number(opts.batch), shuffle: rng });
