/**
 * npm run bench: one table of per-step times for the seed workload (N=400 and N=60000,
 * FEATS=784), a trivial function, one epoch of the Fashion-MNIST MLP, LeNet and the LSTM, with the hand-written
 * C + OpenBLAS program measured in the same run as the seed's baseline (PyTorch is the MLP's),
 * and the same C step in one pass over X by blocks.
 * Peer rows (numpy, PyTorch) are added when python3 has them.
 *
 *   STEPS=n       timed steps per cell (default 3000)
 *   SKIP_LARGE=1  only the N=400, scalar and serving rows (and no MLP under contention)
 *   SKIP_CONTENTION=1  no contention section
 *
 * Every row is measured on 1 and 2 threads where threads apply (the js backend runs a call on
 * one thread); the js rows say '-'.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { T, fn, random, NDArray, backendInfo, setBlasThreads } from 'theanode';
import { fashionAvailable, mlpEpochSeconds } from './mlp-epoch.js';
import { seedTrain } from './seed-model.js';
import { contentionRows, printContention } from './contention.js';
import { servingMs } from './serving.js';
import { lenetEpochSeconds, EPOCH_BATCHES } from './lenet-epoch.js';
import { lstmEpochSeconds, torchLstmEpoch } from './lstm-epoch.js';

const STEPS = Number(process.env.STEPS ?? 3000);
const FEATS = 784;
let N = 400;
const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(join(here, 'c')) ? here : join(here, '../../bench');

const rng = new random.RandomState(0);
let X = rng.randn(N, FEATS) as NDArray;
let Y = (rng.randint(0, 2, [N]) as NDArray).astype('float64');
const W0 = rng.randn(FEATS) as NDArray;

interface Row {
  workload: string;
  backend: string;
  dtype: string;
  threads: number | string;
  us: number;
  baseline?: number;
}
const rows: Row[] = [];

function seedStep(backend: 'js' | 'native', dtype: 'float64' | 'float32'): () => void {
  const train = seedTrain(W0, dtype, backend);
  const Xd = X.astype(dtype), Yd = Y.astype(dtype);
  return () => void train(Xd, Yd);
}

/** Microseconds per call, after a warm-up of a tenth of the calls and at least half a second
 * (V8 compiles the glue in the background meanwhile, on the core a second thread would use). */
function time(step: () => void, steps: number): number {
  const warmUntil = performance.now() + 500;
  for (let i = 0; i < Math.max(10, steps / 10) || performance.now() < warmUntil; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  return ((performance.now() - t0) / steps) * 1000;
}

/** The C baseline per step (two gemv calls, or `onePass` by blocks of rows), or undefined when it cannot be built here. */
function cBaseline(dtype: 'float64' | 'float32', threads: number, dataPath: string, dir: string, steps = STEPS, onePass = false): number | undefined {
  const exe = join(dir, `seed_${onePass ? 'onepass' : 'step'}_${dtype}`);
  if (!existsSync(exe)) {
    try {
      const flags = [...(dtype === 'float32' ? ['-DUSE_FLOAT'] : []), ...(onePass ? ['-DONE_PASS'] : [])];
      execFileSync('cc', ['-O3', '-march=native', ...flags, '-I/usr/include/x86_64-linux-gnu/openblas-pthread', join(root, 'c/seed_step.c'), '-o', exe, '-lopenblas', '-lm'], { stdio: 'pipe' });
    } catch {
      return undefined;
    }
  }
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
  const out = execFileSync(exe, [dataPath, String(steps)], { env, encoding: 'utf8' });
  return Number(out.trim().split(' ')[0]);
}

const dir = mkdtempSync(join(tmpdir(), 'theanode-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
/** Writes X, Y, W0 for the C program and the peers. */
function writeData(path: string): string {
  const head = new Int32Array([N, FEATS]);
  const body = new Float64Array(N * FEATS + N + FEATS);
  body.set(X.data);
  body.set(Y.data, N * FEATS);
  body.set(W0.data, N * FEATS + N);
  writeFileSync(path, Buffer.concat([Buffer.from(head.buffer), Buffer.from(body.buffer)]));
  return path;
}
const dataPath = writeData(join(dir, 'seed.bin'));

// Optional peers, measured by their own scripts on the same data (the first interpreter that has the package).
function peerScript(script: string, args: string[], threads = 1): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), THREADS: String(threads) };
      return execFileSync(python, [join(root, 'peers', script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env });
    } catch {
      // No python3, or this one lacks the package: try the next.
    }
  }
  return null;
}
/** A peer's microseconds per seed step by dtype, or undefined when it cannot run here. */
const peerRuns = new Map<string, Record<string, number> | undefined>();
function peer(name: string, threads: number): Record<string, number> | undefined {
  const key = `${name} ${threads}`;
  if (peerRuns.has(key)) return peerRuns.get(key);
  const out = peerScript(`seed_${name}.py`, [dataPath, String(Math.min(STEPS, 2000))], threads);
  const times = out ? Object.fromEntries(out.trim().split('\n').map((line) => [line.split(' ')[0], Number(line.split(' ')[1])])) : undefined;
  peerRuns.set(key, times);
  return times;
}


const info = backendInfo();
const native = info.backend === 'native';
for (const dtype of ['float64', 'float32'] as const) {
  for (const threads of [1, 2]) {
    const base = cBaseline(dtype, threads, dataPath, dir);
    rows.push({ workload: 'seed step', backend: 'C + OpenBLAS', dtype, threads, us: base ?? NaN, baseline: base });
    const onePass = cBaseline(dtype, threads, dataPath, dir, STEPS, true);
    rows.push({ workload: 'seed step', backend: 'C one pass + OpenBLAS', dtype, threads, us: onePass ?? NaN, baseline: base });
    if (native) {
      setBlasThreads(threads);
      rows.push({ workload: 'seed step', backend: 'theanode native', dtype, threads, us: time(seedStep('native', dtype), STEPS), baseline: base });
    }
    if (threads === 1) rows.push({ workload: 'seed step', backend: 'theanode js', dtype, threads: '-', us: time(seedStep('js', dtype), Math.min(STEPS, 1000)), baseline: base });
    const numpy = peer('numpy', threads)?.[dtype];
    if (numpy !== undefined) rows.push({ workload: 'seed step', backend: 'numpy (hand gradient)', dtype, threads, us: numpy, baseline: base });
    const torch = peer('torch', threads)?.[dtype];
    if (torch !== undefined) rows.push({ workload: 'seed step', backend: 'PyTorch autograd', dtype, threads, us: torch, baseline: base });
  }
}

// The same step at Fashion-MNIST size (N = 60000), float64: memory-bound.
if (native && !process.env.SKIP_LARGE) {
  N = 60000;
  const big = new random.RandomState(1);
  X = big.randn(N, FEATS) as NDArray;
  Y = (big.randint(0, 2, [N]) as NDArray).astype('float64');
  const bigPath = writeData(join(dir, 'seed60k.bin'));
  for (const threads of [1, 2]) {
    setBlasThreads(threads);
    const base = cBaseline('float64', threads, bigPath, dir, 20);
    rows.push({ workload: 'seed step N=60000', backend: 'C + OpenBLAS', dtype: 'float64', threads, us: base ?? NaN, baseline: base });
    rows.push({ workload: 'seed step N=60000', backend: 'theanode native', dtype: 'float64', threads, us: time(seedStep('native', 'float64'), 20), baseline: base });
  }
}

// One epoch of the Fashion-MNIST MLP, against PyTorch on the same epoch when it is installed.
// (Random data of the same size where the data set is not installed: the time does not depend on it.)
const MLP = `MLP epoch (Fashion-MNIST${fashionAvailable() ? '' : ' size, synthetic data'})`;
if (native && !process.env.SKIP_LARGE) {
  for (const threads of [1, 2]) {
    const torchEpoch = fashionAvailable() ? torchMlpEpoch(threads) : undefined;
    rows.push({ workload: MLP, backend: 'theanode native', dtype: 'float32', threads, us: mlpEpochSeconds(threads) * 1e6, baseline: torchEpoch });
    if (torchEpoch) rows.push({ workload: MLP, backend: 'PyTorch', dtype: 'float32', threads, us: torchEpoch, baseline: torchEpoch });
  }
}

// One epoch of LeNet (examples/lenet-model.ts), from a slice of LENET_BATCHES batches (default
// 100) scaled to the epoch's 469, against PyTorch's best of 1 and 2 threads on the same slice;
// the js backend from 3 batches.
const LENET = 'LeNet epoch (Fashion-MNIST)';
if (native && !process.env.SKIP_LARGE && fashionAvailable()) {
  const batches = Number(process.env.LENET_BATCHES ?? 100);
  const torch = torchLenetEpoch(batches);
  for (const threads of [1, 2]) rows.push({ workload: LENET, backend: 'theanode native', dtype: 'float32', threads, us: lenetEpochSeconds(threads, batches).wall * 1e6, baseline: torch?.us });
  if (torch) rows.push({ workload: LENET, backend: 'PyTorch', dtype: 'float32', threads: torch.threads, us: torch.us, baseline: torch.us });
  rows.push({ workload: LENET, backend: 'theanode js', dtype: 'float32', threads: '-', us: lenetEpochSeconds(1, 3, 'js').wall * 1e6, baseline: torch?.us });
}

// One epoch of the LSTM classifier (examples/lstm-model.ts, scan over 28 rows), 1 thread, from a
// slice of LSTM_BATCHES batches (default 60) scaled to the epoch, against PyTorch's nn.LSTM on
// the same slice.
const LSTM = 'LSTM epoch (Fashion-MNIST)';
if (native && !process.env.SKIP_LARGE && fashionAvailable()) {
  const batches = Number(process.env.LSTM_BATCHES ?? 60);
  const torch = await torchLstmEpoch(batches);
  rows.push({ workload: LSTM, backend: 'theanode native', dtype: 'float32', threads: 1, us: lstmEpochSeconds(1, batches).wall * 1e6, baseline: torch ? torch.wall * 1e6 : undefined });
  if (torch) rows.push({ workload: LSTM, backend: 'PyTorch', dtype: 'float32', threads: 1, us: torch.wall * 1e6, baseline: torch.wall * 1e6 });
}
if (native) setBlasThreads(info.blasThreads ?? 1);

// Per-call overhead: x + 1 on a scalar.
for (const backend of native ? (['native', 'js'] as const) : (['js'] as const)) {
  const s = T.scalar('s');
  const f = fn([s], s.add(1), { backend });
  const arg = new NDArray(new Float64Array([1]), []);
  for (const threads of backend === 'native' ? [1, 2] : ['-' as const]) {
    if (threads !== '-') setBlasThreads(threads);
    rows.push({ workload: 'x + 1 (scalar)', backend: `theanode ${backend}`, dtype: 'float64', threads, us: time(() => void f(arg), 200000) });
  }
}

// Parallel serving: two models' f.async predictions, one model after the other vs both at once
// (per 1000 requests of each; "us/step" is milliseconds here, the ratio concurrent / sequential).
for (const backend of native ? (['native', 'js'] as const) : (['js'] as const)) {
  for (const threads of backend === 'native' ? [1, 2] : ['-' as const]) {
    if (threads !== '-') setBlasThreads(threads);
    const { sequential, concurrent } = await servingMs(backend);
    rows.push({ workload: 'two models, sequential (ms)', backend: `theanode ${backend}`, dtype: 'float32', threads, us: sequential, baseline: sequential });
    rows.push({ workload: 'two models, concurrent (ms)', backend: `theanode ${backend}`, dtype: 'float32', threads, us: concurrent, baseline: sequential });
  }
}
if (native) setBlasThreads(info.blasThreads ?? 1);

/** PyTorch's time for the MLP epoch (the last of two epochs), in microseconds. */
function torchMlpEpoch(threads: number): number | undefined {
  const out = peerScript('fashion_mlp_torch.py', ['0', '2'], threads);
  const m = out?.match(/last epoch ([\d.]+) s/);
  return m ? Number(m[1]) * 1e6 : undefined;
}

/** PyTorch's LeNet epoch (best of 1 and 2 threads, on `batches` batches scaled to an epoch), in microseconds. */
function torchLenetEpoch(batches: number): { us: number; threads: number } | undefined {
  let best: { us: number; threads: number } | undefined;
  for (const threads of [1, 2]) {
    const out = peerScript('lenet_torch.py', ['0', '1', String(threads), String(batches * 128)]);
    const m = out?.match(/, ([\d.]+) s, /);
    const us = m ? (Number(m[1]) * 1e6 * EPOCH_BATCHES) / batches : undefined;
    if (us !== undefined && (!best || us < best.us)) best = { us, threads };
  }
  return best;
}

console.log(`backend: ${info.backend}${info.blasCore ? `, OpenBLAS core ${info.blasCore}` : ''}${info.products ? `, products on ${info.products}` : ''}${info.reason ? ` (${info.reason})` : ''}; ${STEPS} steps per cell`);
const header = ['workload', 'backend', 'dtype', 'threads', 'us/step', 'ratio'];
const table = rows.map((r) => [r.workload, r.backend, r.dtype, String(r.threads), Number.isNaN(r.us) ? 'n/a' : r.us.toFixed(1), r.baseline && !Number.isNaN(r.us) ? (r.us / r.baseline).toFixed(2) : '']);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const t of table) console.log(line(t));
console.log('us/step: per training step (per epoch for the MLP, LeNet and the LSTM); ratio: to the C program with the same threads (to PyTorch for the MLP, LeNet and the LSTM; to sequential for serving).');
if (native && !process.env.SKIP_CONTENTION) printContention(contentionRows(info.blasThreads ?? 1));
