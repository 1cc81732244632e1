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
import { T, fn, training } from 'theanode';
import { tileRows, writeGreyPng } from './image-tiles.js';
import { tutorialSetup } from './tutorial-setup.js';

const { opts, trainX, srng, W, hbias: bHid, vbias: bVis } = tutorialSetup({ corruption: '0.3' });
const nHidden = Number(opts.hidden);

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
