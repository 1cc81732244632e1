/**
 * npm run bench:compile: how long fn() takes to compile training functions, and how that time
 * grows with the graph. Each row builds its graph once (grad included, timed apart) and then
 * compiles it REPS times after one warm-up compile; the median is printed. The process warms
 * the compiler's own code first, so the figures are those of a program that compiles several
 * functions.
 *
 *   mlp L        L dense tanh layers of width 32, softmax cross-entropy, SGD on every parameter
 *   mlp+4 L      the same with four more elementwise ops per layer (z = 0.9 z + tanh z, twice)
 *   seed train   the logistic regression of the README
 *
 *   REPS=n       timed compiles per row (default 7)
 *   QUICK=1      only the smaller sizes
 */
import { loadavg } from 'node:os';
import { T, shared, fn, grad, random, NDArray, Variable } from 'theanode';

const REPS = Number(process.env.REPS ?? 7);
const QUICK = process.env.QUICK === '1';
const WIDTH = 32;
const CLASSES = 10;
const STEPS = Number(process.env.EXTRA_STEPS ?? 4);

interface Built {
  inputs: Variable[];
  outputs: Variable[];
  updates: [ReturnType<typeof shared>, Variable][];
  gradMs: number;
}

function deepMlp(layers: number, extraSteps: boolean): Built {
  const rng = new random.RandomState(1);
  const x = T.matrix('x');
  const y = T.ivector('y');
  const params: ReturnType<typeof shared>[] = [];
  let z: Variable = x;
  for (let l = 0; l < layers; l++) {
    const W = shared(rng.randn(WIDTH, WIDTH) as NDArray, `W${l}`);
    const b = shared(new NDArray(new Float64Array(WIDTH), [WIDTH]), `b${l}`);
    params.push(W, b);
    z = T.tanh(z.dot(W).add(b));
    if (extraSteps) for (let s = 0; s < STEPS; s++) z = z.mul(0.9).add(T.tanh(z));
  }
  const Wo = shared(rng.randn(WIDTH, CLASSES) as NDArray, 'Wo');
  params.push(Wo);
  const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(z.dot(Wo)), y).mean();
  const t0 = performance.now();
  const grads = grad(cost, params);
  const gradMs = performance.now() - t0;
  return { inputs: [x, y], outputs: [cost], updates: params.map((p, i) => [p, p.sub(grads[i].mul(0.1))]), gradMs };
}

function seedTrain(): Built {
  const rng = new random.RandomState(0);
  const x = T.matrix('x'), y = T.vector('y');
  const w = shared(rng.randn(784) as NDArray, 'w');
  const b = shared(0, 'b');
  const p1 = T.div(1, T.add(1, T.exp(T.sub(T.neg(T.dot(x, w)), b))));
  const prediction = p1.gt(0.5);
  const xent = T.sub(T.mul(T.neg(y), T.log(p1)), T.mul(T.sub(1, y), T.log(T.sub(1, p1))));
  const cost = xent.mean().add(w.pow(2).sum().mul(0.01));
  const t0 = performance.now();
  const [gw, gb] = grad(cost, [w, b]);
  const gradMs = performance.now() - t0;
  return { inputs: [x, y], outputs: [prediction, xent], updates: [[w, w.sub(gw.mul(0.1))], [b, b.sub(gb.mul(0.1))]], gradMs };
}

/** Wall-clock and CPU milliseconds of one fn() call (CPU time is what a busy machine distorts least). */
function compileMs(g: Built): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn(g.inputs, g.outputs, { updates: g.updates });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Timing {
  wall: number;
  cpu: number;
}

function measure(label: string, build: () => Built): Timing {
  const g = build();
  compileMs(g);
  const runs = Array.from({ length: REPS }, () => compileMs(g));
  const t = { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
  const min = Math.min(...runs.map((r) => r.wall));
  console.log(`${label.padEnd(14)} ${t.wall.toFixed(1).padStart(9)} ms  cpu ${t.cpu.toFixed(1).padStart(8)} ms  (min ${min.toFixed(1)}; grad ${g.gradMs.toFixed(1)} ms)`);
  return t;
}

function growth(results: Map<number, Timing>, pairs: [number, number][]): string {
  return pairs
    .filter(([a, b]) => results.has(a) && results.has(b))
    .map(([a, b]) => `L=${a}->${b}: x${(results.get(b)!.wall / results.get(a)!.wall).toFixed(2)} (cpu x${(results.get(b)!.cpu / results.get(a)!.cpu).toFixed(2)})`)
    .join('  ');
}

// Warm the compiler's code (V8 optimises it after a few runs).
for (let i = 0; i < 3; i++) compileMs(deepMlp(8, true));

console.log(`fn() compile time: median wall-clock and CPU time of ${REPS} compiles after one warm-up; load average ${loadavg()[0].toFixed(1)}`);
const plain = new Map<number, Timing>();
for (const L of QUICK ? [32, 64] : [32, 64, 128, 256]) plain.set(L, measure(`mlp L=${L}`, () => deepMlp(L, false)));
console.log(`  growth: ${growth(plain, [[32, 64], [64, 128], [128, 256]])}`);
const extra = new Map<number, Timing>();
for (const L of QUICK ? [16, 32, 64] : [16, 32, 64, 128]) extra.set(L, measure(`mlp+${STEPS} L=${L}`, () => deepMlp(L, true)));
console.log(`  growth: ${growth(extra, [[16, 32], [32, 64], [64, 128]])}`);
measure('seed train', seedTrain);
