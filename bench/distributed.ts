/**
 * npm run bench:distributed — data-parallel training on MPI: one epoch of the Fashion-MNIST MLP
 * (784-256-128-10 ReLU, minibatch 128, SGD, float32, as bench/mlp-epoch.ts) on 2 ranks of one
 * thread each (every rank steps on 64 rows of each minibatch and the gradients are averaged in
 * one message per step) against 1 rank of one thread on the whole minibatch, running the
 * ordinary step (no allreduce); and the share of a
 * step that the allreduce takes. Then the link itself: the time of an allreduce by message size,
 * from which latency and bandwidth (the scaling model in the README) follow.
 *
 * Run without mpirun, it launches the ranks itself (`mpirun -np K node <this file> epoch|link`).
 *   MPIRUN_FLAGS extra flags for mpirun (e.g. a hostfile and --mca btl tcp,self ...)
 *   LINK_ONLY=1  only the link measurement (e.g. over TCP in .ci/netns-mpi.sh)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { T, shared, fn, grad, random, updates, training, distributed, setBlasThreads, array } from 'theanode';
import type { SharedVariable, Variable } from 'theanode';
import { transport } from '../lib/distributed/runtime.js';
import { FASHION_DIR, fashionAvailable, fashionTrainingSet } from './fashion.js';

const BATCH = 128;

function mlp() {
  const rng = new random.RandomState(0);
  const layer = (fanIn: number, fanOut: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return [shared(rng.uniform(-bound, bound, [fanIn, fanOut]), 'w', { dtype: 'float32' }), shared(rng.uniform(-bound, bound, [fanOut]), 'b', { dtype: 'float32' })];
  };
  const params: SharedVariable[] = [layer(784, 256), layer(256, 128), layer(128, 10)].flat();
  const x = T.matrix('x', 'float32'), y = T.ivector('y');
  let h: Variable = x;
  for (let i = 0; i < 3; i++) {
    h = h.dot(params[2 * i]).add(params[2 * i + 1]);
    if (i < 2) h = T.relu(h);
  }
  const loss = T.nnet.categoricalCrossentropy(T.nnet.softmax(h), y).mean();
  // One rank is the ordinary program (no allreduce): the baseline is training as one process does.
  const gs = grad(loss, params).map((g) => (distributed.size > 1 ? T.distributed.allreduce(g, 'mean') : g));
  const step = fn([x, y], loss, { updates: updates.sgd(gs, params, { learningRate: 0.1 }), backend: 'native' });
  return { step, params, rng };
}

/** Median seconds of `reps` allreduces of `data` (after a few unmeasured ones). */
function allreduceSeconds(data: Float32Array | Float64Array, reps: number): number {
  const t = transport();
  for (let i = 0; i < 3; i++) t.allreduce(data, 'sum');
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    t.allreduce(data, 'sum');
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

function epochRank() {
  setBlasThreads(1);
  const { step, params, rng } = mlp();
  distributed.broadcast(params);
  const data = fashionTrainingSet();
  let cpu0 = process.cpuUsage();
  const history = training.fit({
    step, data, epochs: 2, batchSize: BATCH, shuffle: rng, progress: false,
    onEpoch: (r) => void (r.epoch === 1 && (cpu0 = process.cpuUsage())),
  });
  const seconds = history[1].seconds;
  // CPU time of the timed epoch on the busiest rank: what the epoch would take on idle cores
  // (on a shared machine the wall time also holds the waits for cores other processes use).
  const used = process.cpuUsage(cpu0);
  const cpu = distributed.allreduce(array([(used.user + used.system) / 1e6]), 'max');
  const steps = training.batchCount(data[0].shape[0], BATCH);
  const count = params.reduce((n, p) => n + p.getValue().size, 0);
  const reduce = allreduceSeconds(new Float32Array(count), 50);
  if (distributed.rank === 0) {
    console.log(JSON.stringify({ ranks: distributed.size, seconds, cpuSeconds: cpu.data[0], stepMs: (seconds / steps) * 1e3, allreduceMs: reduce * 1e3, share: reduce / (seconds / steps), loss: history[1].loss, floats: count }));
  }
}

function linkRank() {
  const rows: { bytes: number; us: number }[] = [];
  for (let bytes = 8; bytes <= 1 << 24; bytes *= 4) {
    const reps = Math.max(10, Math.min(2000, Math.floor(2e8 / bytes / 100)));
    rows.push({ bytes, us: allreduceSeconds(new Float64Array(bytes / 8), reps) * 1e6 });
  }
  if (distributed.rank === 0) {
    // The model t = latency + bytes / bandwidth: latency from the smallest message, bandwidth
    // the median over messages of 128 KB and more (one slow size, e.g. a protocol switch, does not decide it).
    const latency = rows[0].us;
    const big = rows.filter((r) => r.bytes >= 1 << 17).map((r) => r.bytes / ((r.us - latency) * 1e-6) / 1e9).sort((a, b) => a - b);
    const bandwidth = big[Math.floor(big.length / 2)];
    console.log(JSON.stringify({ ranks: distributed.size, latencyUs: latency, bandwidthGBs: bandwidth, rows }));
  }
}

const run = promisify(execFile);
const self = fileURLToPath(import.meta.url);
const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
const extra = (process.env.MPIRUN_FLAGS ?? '').split(/\s+/).filter(Boolean);

async function launch(np: number, mode: string): Promise<Record<string, unknown>> {
  const args = [...root, '--oversubscribe', '--bind-to', 'none', ...extra, '-np', String(np), process.execPath, self, mode];
  const { stdout } = await run('mpirun', args, { maxBuffer: 1 << 24, timeout: 30 * 60_000 });
  return JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
}

async function main() {
  if (process.env.LINK_ONLY !== '1') {
    if (!fashionAvailable()) {
      console.log(`bench:distributed: no Fashion-MNIST in ${FASHION_DIR} (Debian package dataset-fashion-mnist); nothing to measure`);
      return;
    }
    const one = await launch(1, 'epoch');
    const two = await launch(2, 'epoch');
    const f = (v: unknown, d = 3) => (v as number).toFixed(d);
    console.log(`1 rank x 1 thread:  ${f(one.seconds)} s/epoch  ${f(one.stepMs)} ms/step  (CPU ${f(one.cpuSeconds)} s)  loss ${f(one.loss, 4)}`);
    console.log(`2 ranks x 1 thread: ${f(two.seconds)} s/epoch  ${f(two.stepMs)} ms/step  (CPU ${f(two.cpuSeconds)} s on the busiest rank)  loss ${f(two.loss, 4)}`);
    const ratio = (a: unknown, b: unknown) => f((a as number) / (b as number), 2);
    console.log(`speedup ${ratio(one.seconds, two.seconds)}x wall, ${ratio(one.cpuSeconds, two.cpuSeconds)}x in CPU time of the busiest rank; allreduce of ${two.floats} float32 (${f(((two.floats as number) * 4) / 1e6, 2)} MB): ${f(two.allreduceMs)} ms = ${f((two.share as number) * 100, 1)}% of a 2-rank step`);
  }
  const link = await launch(2, 'link');
  console.log(`link (2 ranks${extra.length ? ` ${extra.join(' ')}` : ', one machine'}): latency ${(link.latencyUs as number).toFixed(1)} us, bandwidth ${(link.bandwidthGBs as number).toFixed(2)} GB/s`);
  for (const r of link.rows as { bytes: number; us: number }[]) console.log(`  ${String(r.bytes).padStart(9)} B  ${r.us.toFixed(1).padStart(9)} us  ${(r.bytes / r.us / 1e3).toFixed(2).padStart(6)} GB/s`);
}

const mode = process.argv[2];
if (mode === 'epoch') {
  distributed.init();
  epochRank();
} else if (mode === 'link') {
  distributed.init();
  linkRank();
} else {
  await main();
}
