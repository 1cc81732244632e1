/**
 * The logistic-regression tutorial from Theano's documentation, in theanode: 400 random
 * "images" of 784 pixels with random 0/1 labels, trained by gradient descent for 10000 steps
 * until the predictions reproduce the labels.
 *
 *   npm run demo                      # float64, default backend
 *   THEANODE_FLOATX=float32 npm run demo
 *   STEPS=2000 THEANODE_BACKEND=js npm run demo
 */
import { T, shared, fn, grad, random, config } from 'theanode';

const steps = Number(process.env.STEPS ?? 10000);

const rng = new random.RandomState(0);
const N = 400, feats = 784;
const D = [rng.randn(N, feats), rng.randint(0, 2, [N])] as const;

// Declare Theano symbolic variables.
const x = T.matrix('x'), y = T.vector('y');
const w = shared(rng.randn(feats), 'w');
const b = shared(0, 'b');
console.log('Initial model:');
console.log(w.getValue().toString(), b.getValue().toString());

// Construct the expression graph.
const p1 = T.div(1, T.add(1, T.exp(T.sub(T.neg(T.dot(x, w)), b)))); // probability that target = 1
const prediction = p1.gt(0.5); // the prediction thresholded
const xent = T.sub(T.mul(T.neg(y), T.log(p1)), T.mul(T.sub(1, y), T.log(T.sub(1, p1)))); // cross-entropy
const cost = xent.mean().add(w.pow(2).sum().mul(0.01)); // the cost to minimise
const [gw, gb] = grad(cost, [w, b]);

// Compile.
const compileStart = performance.now();
const train = fn([x, y], [prediction, xent], {
  updates: [[w, w.sub(gw.mul(0.1))], [b, b.sub(gb.mul(0.1))]],
  name: 'train',
});
const predict = fn([x], prediction, { name: 'predict' });
const compileMs = performance.now() - compileStart;

// Train.
let xentValue = train(D[0], D[1])[1];
const firstCost = mean(xentValue.data);
const start = performance.now();
for (let i = 1; i < steps; i++) xentValue = train(D[0], D[1])[1];
const perStepUs = ((performance.now() - start) / Math.max(steps - 1, 1)) * 1000;

console.log('Final model:');
console.log(w.getValue().toString(), b.getValue().toString());
console.log('target values for D:');
console.log(D[1].toString());
console.log('prediction on D:');
const predicted = predict(D[0]);
console.log(predicted.toString());

let correct = 0;
for (let i = 0; i < N; i++) if (predicted.data[i] === D[1].data[i]) correct++;
console.log();
console.log(`backend ${train.backend}, floatX ${config.floatX}, ${steps} steps`);
console.log(`mean cross-entropy: first step ${firstCost.toFixed(6)}, last step ${mean(xentValue.data).toExponential(4)}`);
console.log(`accuracy on D: ${correct}/${N} (${((100 * correct) / N).toFixed(1)}%)`);
console.log(`time per training step: ${perStepUs.toFixed(1)} us (compile ${compileMs.toFixed(1)} ms)`);

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
