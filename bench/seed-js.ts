/**
 * The seed workload (logistic regression, N=400, FEATS=784, float64) on the js backend, timed
 * in-process against a hand-written Float64Array implementation of the same training step.
 *
 *   npm run bench:js            (STEPS=n to change the number of timed steps)
 */
import { T, shared, fn, grad, random, NDArray } from 'theanode';

const N = 400, FEATS = 784;
const STEPS = Number(process.env.STEPS ?? 3000);
const WARMUP = 300;

const rng = new random.RandomState(0);
const X = rng.randn(N, FEATS) as NDArray;
const Y = rng.randint(0, 2, [N]) as NDArray;
const W0 = rng.randn(FEATS) as NDArray;

function theanodeStep(): () => void {
  const x = T.matrix('x'), y = T.vector('y');
  const w = shared(W0, 'w');
  const b = shared(0, 'b');
  const p1 = T.div(1, T.add(1, T.exp(T.sub(T.neg(T.dot(x, w)), b))));
  const xent = T.sub(T.mul(T.neg(y), T.log(p1)), T.mul(T.sub(1, y), T.log(T.sub(1, p1))));
  const cost = xent.mean().add(w.pow(2).sum().mul(0.01));
  const [gw, gb] = grad(cost, [w, b]);
  const train = fn([x, y], [p1.gt(0.5), xent], { updates: [[w, w.sub(gw.mul(0.1))], [b, b.sub(gb.mul(0.1))]], backend: 'js' });
  const Yf = Y.astype('float64');
  return () => void train(X, Yf);
}

/** The same step written by hand: one pass for X·w and the loss, one for X^T·g. */
function handWrittenStep(): () => void {
  const x = X.data as Float64Array;
  const y = Float64Array.from(Y.data);
  const w = Float64Array.from(W0.data);
  let b = 0;
  const z = new Float64Array(N);
  const g = new Float64Array(N);
  const gw = new Float64Array(FEATS);
  const pred = new Uint8Array(N);
  const xent = new Float64Array(N);
  const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
  return () => {
    let i = 0;
    for (; i + 3 < N; i += 4) {
      const r0 = i * FEATS, r1 = r0 + FEATS, r2 = r1 + FEATS, r3 = r2 + FEATS;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < FEATS; k++) {
        const wk = w[k];
        s0 += x[r0 + k] * wk;
        s1 += x[r1 + k] * wk;
        s2 += x[r2 + k] * wk;
        s3 += x[r3 + k] * wk;
      }
      z[i] = s0; z[i + 1] = s1; z[i + 2] = s2; z[i + 3] = s3;
    }
    let gb = 0;
    for (let n = 0; n < N; n++) {
      const zn = z[n] + b;
      const e = Math.exp(-Math.abs(zn));
      const p = zn >= 0 ? 1 / (1 + e) : e / (1 + e);
      pred[n] = p > 0.5 ? 1 : 0;
      xent[n] = y[n] * softplus(-zn) + (1 - y[n]) * softplus(zn);
      g[n] = (p - y[n]) / N;
      gb += g[n];
    }
    gw.fill(0);
    let n = 0;
    for (; n + 3 < N; n += 4) {
      const g0 = g[n], g1 = g[n + 1], g2 = g[n + 2], g3 = g[n + 3];
      const r0 = n * FEATS, r1 = r0 + FEATS, r2 = r1 + FEATS, r3 = r2 + FEATS;
      for (let k = 0; k < FEATS; k++) gw[k] += x[r0 + k] * g0 + x[r1 + k] * g1 + (x[r2 + k] * g2 + x[r3 + k] * g3);
    }
    for (; n < N; n++) for (let k = 0; k < FEATS; k++) gw[k] += x[n * FEATS + k] * g[n];
    for (let k = 0; k < FEATS; k++) w[k] -= 0.1 * (gw[k] + 0.02 * w[k]);
    b -= 0.1 * gb;
  };
}

function time(step: () => void): number {
  for (let i = 0; i < WARMUP; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  return ((performance.now() - t0) / STEPS) * 1000;
}

const hand = time(handWrittenStep());
const ours = time(theanodeStep());
console.log(`seed step, N=${N} FEATS=${FEATS} float64, ${STEPS} steps`);
console.log(`  hand-written Float64Array: ${hand.toFixed(1)} us/step`);
console.log(`  theanode js backend:       ${ours.toFixed(1)} us/step`);
console.log(`  ratio theanode/hand-written: ${(ours / hand).toFixed(2)}`);
