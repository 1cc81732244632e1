/**
 * LeNet (examples/lenet-model.ts) on Fashion-MNIST: SGD, lr 0.1, batch 128, float32. Reads the
 * Debian package dataset-fashion-mnist; prints test accuracy and seconds per epoch.
 *
 *   npm run example:lenet                          # 10 epochs
 *   node dist/examples/lenet.js --epochs 2 --seed 1
 *   node dist/examples/lenet.js --backend js --limit 2560 --epochs 1   # a slice, on the js backend
 */
import { buildLenet } from './lenet-model.js';
import { classifierSetup, trainClassifier } from './fashion-data.js';

const { opts, data, rng, backend } = classifierSetup({ lr: '0.1' });
const net = buildLenet(rng, { learningRate: Number(opts.lr), backend });

console.log(`LeNet on Fashion-MNIST: ${data.train[0].shape[0]} training images, backend ${net.step.backend}, batch ${opts.batch}, lr ${opts.lr}, float32, seed ${opts.seed}`);
trainClassifier(net, data, { epochs: Number(opts.epochs), batchSize: Number(opts.batch), shuffle: rng });
