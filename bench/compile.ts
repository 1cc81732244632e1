/**
 * npm run bench:compile: how long fn() takes to compile training functions, and how that time
 * grows with the graph. Each row builds its graph once (grad included, timed apart) and then
 * compiles it REPS times after one warm-up compile, in rounds over all rows; the median is
 * printed. The process warms the compiler's own code first, so the figures are those of a
 * program that compiles several functions.
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
  min: number;
}

interface Row {
  label: string;
  graph: Built;
  runs: { wall: number; cpu: number }[];
}

function summary(r: Row): Timing {
  return { wall: median(r.runs.map((x) => x.wall)), cpu: median(r.runs.map((x) => x.cpu)), min: Math.min(...r.runs.map((x) => x.wall)) };
}

function growth(rows: Map<number, Row>, pairs: [number, number][]): string {
  return pairs
    .filter(([a, b]) => rows.has(a) && rows.has(b))
    .map(([a, b]) => {
      const ta = summary(rows.get(a)!), tb = summary(rows.get(b)!);
      return `L=${a}->${b}: x${(tb.wall / ta.wall).toFixed(2)} (min x${(tb.min / ta.min).toFixed(2)}, cpu x${(tb.cpu / ta.cpu).toFixed(2)})`;
    })
    .join('  ');
}

// Warm the compiler's code (V8 optimises it after a few runs).
for (let i = 0; i < 3; i++) compileMs(deepMlp(8, true));

const plain = new Map<number, Row>();
const extra = new Map<number, Row>();
for (const L of QUICK ? [32, 64] : [32, 64, 128, 256]) plain.set(L, { label: `mlp L=${L}`, graph: deepMlp(L, false), runs: [] });
for (const L of QUICK ? [16, 32, 64] : [16, 32, 64, 128]) extra.set(L, { label: `mlp+${STEPS} L=${L}`, graph: deepMlp(L, true), runs: [] });
const seed: Row = { label: 'seed train', graph: seedTrain(), runs: [] };
const rows = [...plain.values(), ...extra.values(), seed];
for (const r of rows) compileMs(r.graph);
// Rounds over all rows, so that a change in the machine's load spreads over every row alike.
for (let rep = 0; rep < REPS; rep++) for (const r of rows) r.runs.push(compileMs(r.graph));

console.log(`fn() compile time: median wall-clock (min) and CPU time of ${REPS} compiles after one warm-up; load average ${loadavg()[0].toFixed(1)}`);
for (const r of rows) {
  const t = summary(r);
  console.log(`${r.label.padEnd(14)} ${t.wall.toFixed(1).padStart(9)} ms (min ${t.min.toFixed(1).padStart(7)})  cpu ${t.cpu.toFixed(1).padStart(8)} ms   grad ${r.graph.gradMs.toFixed(1)} ms`);
  if (r === [...plain.values()].at(-1)) console.log(`  growth: ${growth(plain, [[32, 64], [64, 128], [128, 256]])}`);
  if (r === [...extra.values()].at(-1)) console.log(`  growth: ${growth(extra, [[16, 32], [32, 64], [64, 128]])}`);
}
