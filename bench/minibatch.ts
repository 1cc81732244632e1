/**
 * npm run bench:minibatch — the DeepLearningTutorials' minibatch idiom against passing each
 * minibatch as inputs, on Fashion-MNIST: `fn([index], cost, { givens: [[x, trainX[i*bs:(i+1)*bs]],
 * ...] })` with the data in shared variables, versus `fn([x, y], cost)` called with each batch
 * (views of the data, no copies). Both forms run the same model from the same initial weights;
 * the givens form uses one plan for every index value. Per epoch, float32:
 *   logistic_sgd: softmax regression 784→10, batch 600 (the tutorial's)
 *   mlp:          784-500-10 tanh, batch 20 (the tutorial's)
 *
 *   BACKEND=js|native (default native)  EPOCHS=n timed epochs (default 2, js: a tenth of one)
 */
import { T, shared, fn, grad, random, NDArray } from 'theanode';
import { FASHION_DIR, fashionAvailable, fashionTrainingSet } from './fashion.js';
import type { SharedVariable, Variable } from 'theanode';

const backend = (process.env.BACKEND ?? 'native') as 'js' | 'native';
const epochs = Number(process.env.EPOCHS ?? 2);

if (!fashionAvailable()) {
  console.log(`bench:minibatch: no Fashion-MNIST in ${FASHION_DIR} (Debian package dataset-fashion-mnist); nothing to measure`);
  process.exit(0);
}
const [X, Y] = fashionTrainingSet();
const n = X.shape[0];

type Model = (x: Variable, y: Variable) => { cost: Variable; params: SharedVariable[] };

const logistic: Model = (x, y) => {
  const W = shared(new NDArray(new Float32Array(784 * 10), [784, 10], 'float32'), 'W');
  const b = shared(new NDArray(new Float32Array(10), [10], 'float32'), 'b');
  return { cost: T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W).add(b)), y).mean(), params: [W, b] };
};

const mlp: Model = (x, y) => {
  const rng = new random.RandomState(1234);
  const bound = Math.sqrt(6 / (784 + 500));
  const W1 = shared(rng.uniform(-bound, bound, [784, 500]), 'W1', { dtype: 'float32' });
  const b1 = shared(new NDArray(new Float32Array(500), [500], 'float32'), 'b1');
  const W2 = shared(new NDArray(new Float32Array(500 * 10), [500, 10], 'float32'), 'W2');
  const b2 = shared(new NDArray(new Float32Array(10), [10], 'float32'), 'b2');
  const h = T.tanh(x.dot(W1).add(b1));
  return { cost: T.nnet.categoricalCrossentropy(T.nnet.softmax(h.dot(W2).add(b2)), y).mean(), params: [W1, b1, W2, b2] };
};

function sgd(cost: Variable, params: SharedVariable[], lr: number): [SharedVariable, Variable][] {
  const gs = grad(cost, params);
  return params.map((p, i) => [p, p.sub(gs[i].mul(lr))]);
}

/** Seconds per epoch of `batches` minibatches, for each form; also checks both end equal. */
function measure(name: string, model: Model, bs: number, lr: number) {
  const batches = Math.floor(n / bs);
  const run = Math.max(1, backend === 'js' ? Math.floor(batches / 10) : batches);
  // Input form.
  const x = T.matrix('x', 'float32'), y = T.ivector('y');
  const a = model(x, y);
  const byInput = fn([x, y], a.cost, { updates: sgd(a.cost, a.params, lr), backend });
  const rowsOf = (arr: NDArray, i: number) => new NDArray(arr.data.subarray(i * bs * (arr.size / n), (i + 1) * bs * (arr.size / n)), [bs, ...arr.shape.slice(1)], arr.dtype);
  const inputBatches = Array.from({ length: batches }, (_, i) => [rowsOf(X, i), rowsOf(Y, i)]);
  // Givens form, the tutorials' way.
  const trainX = shared(X, 'trainX'), trainY = shared(Y, 'trainY');
  const index = T.iscalar('index');
  const x2 = T.matrix('x', 'float32'), y2 = T.ivector('y');
  const g = model(x2, y2);
  const slice = T.slice(index.mul(bs), index.add(1).mul(bs));
  const byIndex = fn([index], g.cost, { updates: sgd(g.cost, g.params, lr), givens: [[x2, trainX.get(slice)], [y2, trainY.get(slice)]], backend });

  const epoch = (step: (i: number) => void) => {
    const t0 = performance.now();
    for (let i = 0; i < run; i++) step(i);
    return (performance.now() - t0) / 1000;
  };
  const inputStep = (i: number) => void byInput(...inputBatches[i]);
  const indexStep = (i: number) => void byIndex(i);
  // Warm up both, then alternate the timed epochs so that both see the same machine.
  epoch(inputStep);
  epoch(indexStep);
  const ti: number[] = [];
  const tg: number[] = [];
  for (let e = 0; e < epochs; e++) {
    ti.push(epoch(inputStep));
    tg.push(epoch(indexStep));
  }
  const same = a.params.every((p, k) => p.getValue().data.every((v, j) => v === g.params[k].getValue().data[j]));
  const best = (t: number[]) => Math.min(...t);
  const scale = batches / run;
  console.log(
    `${name.padEnd(13)} ${backend.padEnd(7)} batch ${String(bs).padStart(3)}  inputs ${(best(ti) * scale).toFixed(3)} s/epoch  givens+index ${(best(tg) * scale).toFixed(3)} s/epoch  ` +
      `ratio ${(best(tg) / best(ti)).toFixed(3)}  plans ${byIndex.planCount}  same weights: ${same}`,
  );
}

console.log(`bench:minibatch (${backend}; ${backend === 'js' ? 'a tenth of an epoch, scaled' : 'whole epochs'}; best of ${epochs})`);
measure('logistic_sgd', logistic, 600, 0.13);
measure('mlp', mlp, 20, 0.01);
