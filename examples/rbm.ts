/**
 * A restricted Boltzmann machine on Fashion-MNIST, as the Deep Learning Tutorials' rbm: trained by
 * persistent contrastive divergence (PCD-15), whose Gibbs chain is a scan of binomial sampling
 * steps inside the compiled training step. The chain's state persists between minibatches in a
 * shared variable; the random streams advance inside the loop and come back in scan's updates.
 * Prints the pseudo-likelihood per epoch (the tutorial's stochastic approximation: one visible
 * bit flipped per call, cycling over the 784 bits) and writes the filters as a PNG.
 *
 *   npm run example:rbm                                # 15 epochs, 500 hidden units, PCD-15
 *   node dist/examples/rbm.js --epochs 1 --limit 6000 --k 5 --backend js
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { T, shared, fn, training, zeros, scan, array } from 'theanode';
import type { Variable } from 'theanode';
import { tileRows, writeGreyPng } from './image-tiles.js';
import { tutorialSetup } from './tutorial-setup.js';

const { opts, trainX, rng, srng, W, hbias, vbias } = tutorialSetup({ k: '15' });
const nVisible = 784;
const nHidden = Number(opts.hidden);
const batch = Number(opts.batch);
const params = [W, hbias, vbias];

const freeEnergy = (v: Variable) => {
  const wxb = v.dot(W).add(hbias);
  return T.nnet.softplus(wxb).sum(1).neg().sub(v.dot(vbias));
};
const sampleH = (v: Variable) => {
  const mean = T.nnet.sigmoid(v.dot(W).add(hbias));
  return [mean, srng.binomial(mean.shape, 1, mean, 'float32')];
};
const sampleV = (h: Variable) => {
  const mean = T.nnet.sigmoid(h.dot(W.T).add(vbias));
  return [mean, srng.binomial(mean.shape, 1, mean, 'float32')];
};
/** One Gibbs step h → v → h. */
const gibbsHVH = (h: Variable) => {
  const [vMean, vSample] = sampleV(h);
  const [hMean, hSample] = sampleH(vSample);
  return [vMean, vSample, hMean, hSample];
};

const x = T.matrix('x');
// The persistent chain: the last hidden sample of the previous minibatch.
const persistent = shared(zeros([batch, nHidden]), 'chain');
const [chain, chainUpdates] = scan(gibbsHVH, { outputsInfo: [null, null, null, persistent], nSteps: Number(opts.k), name: 'gibbs' });
const [, vSamples, , hSamples] = chain as Variable[];
const chainEnd = vSamples.get(-1);
const cost = freeEnergy(x).mean().sub(freeEnergy(chainEnd).mean());
const grads = T.grad(cost, params, { considerConstant: [chainEnd] });
const lr = Number(opts.lr);

// Pseudo-likelihood, the tutorial's monitoring cost: flip one bit per call.
const bit = shared(array(0, { dtype: 'int32' }), 'bit');
const xi = T.round(x);
const flipped = T.setSubtensor(xi, [T.slice(null), bit], T.sub(1, xi.get(T.slice(null), bit)));
const pseudoLikelihood = T.log(T.nnet.sigmoid(freeEnergy(flipped).sub(freeEnergy(xi)))).mean().mul(nVisible);

const updates = new Map<import('theanode').SharedVariable, Variable>(chainUpdates);
params.forEach((p, i) => updates.set(p, p.sub(grads[i].mul(lr))));
updates.set(persistent, hSamples.get(-1));
updates.set(bit, bit.add(1).mod(nVisible));
const train = fn([x], pseudoLikelihood, { updates, name: 'PCD step' });

console.log(`RBM on Fashion-MNIST: ${trainX.shape[0]} images, ${nHidden} hidden units, PCD-${opts.k}, backend ${train.backend}, float32`);
training.fit({
  step: (xb) => train(xb),
  data: [trainX],
  epochs: Number(opts.epochs),
  batchSize: batch,
  shuffle: rng,
  onEpoch: (r) => console.log(`epoch ${r.epoch}: pseudo-likelihood ${r.loss.toFixed(3)}, ${r.seconds.toFixed(2)} s`),
});

mkdirSync(opts.out!, { recursive: true });
const image = join(opts.out!, 'rbm-filters.png');
writeGreyPng(image, tileRows(fn([], W.T.astype('float64'))(), [28, 28], [10, 10]));
console.log(`filters of the first 100 hidden units: ${image}`);
