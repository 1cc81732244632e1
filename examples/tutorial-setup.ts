/**
 * What the denoising autoencoder and the RBM examples share, as the tutorials do: the command
 * line, float32, the Fashion-MNIST images, the random streams, and one layer of weights used
 * both ways (visible → hidden and back) with its two biases.
 */
import { parseArgs } from 'node:util';
import { shared, random, config, zeros, NDArray } from 'theanode';
import type { SharedVariable } from 'theanode';
import { loadFashion, FASHION_DIR } from './fashion-data.js';

export interface TutorialSetup {
  opts: Record<string, string | undefined>;
  trainX: NDArray;
  rng: random.RandomState;
  srng: random.RandomStreams;
  /** Weights (784 × hidden), hidden biases, visible biases. */
  W: SharedVariable;
  hbias: SharedVariable;
  vbias: SharedVariable;
}

/** Parses the shared flags plus `extra` (name → default), loads the data and makes the layer. */
export function tutorialSetup(extra: Record<string, string>): TutorialSetup {
  const options: Record<string, { type: 'string'; default?: string }> = {
    epochs: { type: 'string', default: '15' },
    batch: { type: 'string', default: '20' },
    lr: { type: 'string', default: '0.1' },
    hidden: { type: 'string', default: '500' },
    seed: { type: 'string', default: '123' },
    limit: { type: 'string' },
    out: { type: 'string', default: 'models' },
    data: { type: 'string', default: FASHION_DIR },
    backend: { type: 'string' },
  };
  for (const [name, value] of Object.entries(extra)) options[name] = { type: 'string', default: value };
  const { values } = parseArgs({ options });
  const opts = values as Record<string, string | undefined>;
  config.floatX = 'float32';
  if (opts.backend) config.backend = opts.backend as typeof config.backend;
  const [trainX] = loadFashion('train', opts.data, opts.limit ? Number(opts.limit) : undefined);
  const nVisible = 784;
  const nHidden = Number(opts.hidden);
  const rng = new random.RandomState(Number(opts.seed));
  const srng = new random.RandomStreams(Number(opts.seed) + 1);
  // The tutorials' initialisation: U(±4·sqrt(6 / (fanIn + fanOut))) for sigmoid units.
  const bound = 4 * Math.sqrt(6 / (nHidden + nVisible));
  const W = shared(rng.uniform(-bound, bound, [nVisible, nHidden]).astype('float32'), 'W');
  return { opts, trainX, rng, srng, W, hbias: shared(zeros([nHidden]), 'hbias'), vbias: shared(zeros([nVisible]), 'vbias') };
}
