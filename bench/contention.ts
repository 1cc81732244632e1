/**
 * The contention section of `npm run bench`: the seed step, a product and the MLP epoch with a
 * second process keeping one core busy, on 1 thread and on the default count, measured in
 * alternating rounds so that both see the same load; then a product after the thread count went
 * up to 8 and back down (no lasting slowdown). Also runnable alone: node dist/bench/contention.js
 *
 *   ROUNDS=n   alternating rounds per cell (default 5; the median is reported)
 *
 * The pool (native/src/pool.cc) was chosen with this section: build the addon with
 * `npx cmake-js compile --out <dir> --CDTHEANODE_POOL=openmp` (or `tbb`), put that build where
 * a copy of the package loads it, and run this file in each copy back to back.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { T, fn, random, NDArray, backendInfo, setBlasThreads } from 'theanode';
import { fashionAvailable, mlpEpochSeconds } from './mlp-epoch.js';
import { seedTrain } from './seed-model.js';

export interface ContentionRow {
  workload: string;
  threads: number | string;
  us: number;
  /** The same workload's 1-thread time in the same rounds. */
  oneThread: number;
}

const ROUNDS = Number(process.env.ROUNDS ?? 5);

/** A child process that keeps one core busy until stopped. */
export function busyCore(): ChildProcess {
  // It stops by itself when this process is gone (killed before it could stop the child).
  const spin = `const parent = process.ppid; for (;;) { for (let i = 0; i < 1e8; i++); try { process.kill(parent, 0); } catch { process.exit(0); } }`;
  const child = spawn(process.execPath, ['-e', spin], { stdio: 'ignore' });
  child.unref();
  return child;
}

export function seedStepFn(N: number, dtype: 'float64' | 'float32', backend: 'native' | 'js' = 'native'): () => void {
  const rng = new random.RandomState(0);
  const X = (rng.randn(N, 784) as NDArray).astype(dtype), Y = (rng.randint(0, 2, [N]) as NDArray).astype(dtype);
  const train = seedTrain(rng.randn(784) as NDArray, dtype, backend);
  return () => void train(X, Y);
}

export function productFn(): () => void {
  const rng = new random.RandomState(3);
  const a = T.matrix('a'), b = T.matrix('b');
  const f = fn([a, b], T.dot(a, b), { backend: 'native' });
  const A = rng.randn(400, 300) as NDArray, B = rng.randn(300, 200) as NDArray;
  return () => void f(A, B);
}

/** Microseconds per call of `steps` calls (after a few warm-up calls). */
function timeSteps(step: () => void, steps: number): number {
  for (let i = 0; i < Math.min(20, steps); i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  return ((performance.now() - t0) / steps) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median microseconds per call for each thread count, the counts alternating round by round. */
export function alternate(measure: () => number, threads: number[], rounds = ROUNDS): number[] {
  const runs = threads.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    threads.forEach((t, i) => {
      setBlasThreads(t);
      runs[i].push(measure());
    });
  }
  return runs.map(median);
}

export function contentionRows(defaultThreads: number): ContentionRow[] {
  const rows: ContentionRow[] = [];
  const counts = [1, defaultThreads];
  const add = (workload: string, us: number[]) => counts.forEach((t, i) => rows.push({ workload, threads: i === 0 ? 1 : `${t} (default)`, us: us[i], oneThread: us[0] }));
  const busy = busyCore();
  try {
    const seed = seedStepFn(400, 'float64');
    add('seed step N=400 f64', alternate(() => timeSteps(seed, 1000), counts));
    const seed32 = seedStepFn(400, 'float32');
    add('seed step N=400 f32', alternate(() => timeSteps(seed32, 1000), counts));
    const product = productFn();
    add('product 400x300 · 300x200', alternate(() => timeSteps(product, 200), counts));
    // Up to 8 threads and back, in each round: the default count right after, against it before.
    const plain: number[] = [], after: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      setBlasThreads(defaultThreads);
      plain.push(timeSteps(product, 200));
      setBlasThreads(8);
      timeSteps(product, 50);
      setBlasThreads(defaultThreads);
      after.push(timeSteps(product, 200));
    }
    rows.push({ workload: 'product, after 8 threads and back', threads: `${defaultThreads} (default)`, us: median(after), oneThread: median(plain) });
    if (!process.env.SKIP_LARGE) {
      const label = `MLP epoch${fashionAvailable() ? '' : ' (synthetic data)'}`;
      add(label, alternate(() => mlpEpochSeconds(undefined) * 1e6, counts, Math.min(ROUNDS, 3)));
    }
  } finally {
    busy.kill();
    setBlasThreads(defaultThreads);
  }
  return rows;
}

export function printContention(rows: ContentionRow[]): void {
  console.log('\nContention: a second process keeps one core busy (ratio: to 1 thread in the same rounds; "after 8 threads and back": to the default count before it, in the same rounds)');
  const table = rows.map((r) => [r.workload, String(r.threads), r.us.toFixed(1), (r.us / r.oneThread).toFixed(2)]);
  const header = ['workload', 'threads', 'us/step', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const t of table) console.log(line(t));
}

if (process.argv[1]?.endsWith('contention.js')) {
  const info = backendInfo();
  if (info.backend !== 'native') {
    console.log(`contention: the native backend is not available (${info.reason})`);
  } else {
    printContention(contentionRows(info.blasThreads ?? 1));
  }
}
