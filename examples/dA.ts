/**
 * A denoising autoencoder on Fashion-MNIST, as the Deep Learning Tutorials' dA: each input is
 * corrupted by zeroing pixels at random (a binomial mask drawn by the compiled step itself, from
 * a RandomStreams), encoded by sigmoid(x̃ W + b), decoded with the tied weights W', and the
 * cross-entropy of the reconstruction with the clean input is minimised by SGD. Prints the
 * reconstruction cost per epoch and writes the learned filters (the columns of W) as a PNG.
 *
 *   npm run example:dA                                  # 15 epochs, corruption 0.3, 500 hidden units
 *   node dist/examples/dA.js --epochs 2 --corruption 0 --backend js --out /tmp/dA
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { T, shared, fn, random, config, training, zeros } from 'theanode';
import { loadFashion, FASHION_DIR } from './fashion-data.js';
import { tileRows, writeGreyPng } from './image-tiles.js';

const { values: opts } = parseArgs({
  options: {
    epochs: { type: 'string', default: '15' },
    batch: { type: 'string', default: '20' },
    lr: { type: 'string', default: '0.1' },
    hidden: { type: 'string', default: '500' },
    corruption: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '123' },
    limit: { type: 'string' },
    out: { type: 'string', default: 'models' },
    data: { type: 'string', default: FASHION_DIR },
    backend: { type: 'string' },
  },
});
config.floatX = 'float32';
if (opts.backend) config.backend = opts.backend as typeof config.backend;

const [trainX] = loadFashion('train', opts.data, opts.limit ? Number(opts.limit) : undefined);
const nVisible = 784;
const nHidden = Number(opts.hidden);
const rng = new random.RandomState(Number(opts.seed));
const srng = new random.RandomStreams(Number(opts.seed) + 1);

// The tutorial's initialisation: U(±4·sqrt(6 / (fanIn + fanOut))) for sigmoid units.
const bound = 4 * Math.sqrt(6 / (nHidden + nVisible));
const W = shared(rng.uniform(-bound, bound, [nVisible, nHidden]).astype('float32'), 'W');
const bHid = shared(zeros([nHidden]), 'b');
const bVis = shared(zeros([nVisible]), "b'");

const x = T.matrix('x');
const corrupted = x.mul(srng.binomial(x.shape, 1, 1 - Number(opts.corruption), 'float32'));
const hidden = T.nnet.sigmoid(corrupted.dot(W).add(bHid));
const reconstruction = T.nnet.sigmoid(hidden.dot(W.T).add(bVis));
// Cross-entropy summed over the pixels of each image, averaged over the batch.
const cost = T.nnet.binaryCrossentropy(reconstruction, x).sum(1).mean();
const params = [W, bHid, bVis];
const grads = T.grad(cost, params);
const lr = Number(opts.lr);
const train = fn([x], cost, { updates: params.map((p, i) => [p, p.sub(grads[i].mul(lr))] as const), name: 'dA step' });

console.log(`denoising autoencoder on Fashion-MNIST: ${trainX.shape[0]} images, ${nHidden} hidden units, corruption ${opts.corruption}, backend ${train.backend}, float32`);
training.fit({
  step: (xb) => train(xb),
  data: [trainX],
  epochs: Number(opts.epochs),
  batchSize: Number(opts.batch),
  onEpoch: (r) => console.log(`epoch ${r.epoch}: reconstruction cost ${r.loss.toFixed(3)}, ${r.seconds.toFixed(2)} s`),
});

mkdirSync(opts.out!, { recursive: true });
const image = join(opts.out!, `dA-filters-corruption-${opts.corruption}.png`);
// Each hidden unit's filter is a column of W: transpose to rows of 784 pixels.
const filters = fn([], W.T.astype('float64'))();
writeGreyPng(image, tileRows(filters, [28, 28], [10, 10]));
console.log(`filters of the first 100 hidden units: ${image}`);
