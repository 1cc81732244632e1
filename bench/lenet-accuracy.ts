/**
 * LeNet's test accuracy, theanode native against PyTorch on the same recipe (examples/lenet.ts
 * and bench/peers/lenet_torch.py: conv 5x5 x20, max-pool 2, conv 5x5 x50, max-pool 2, dense 500
 * tanh, softmax; SGD lr 0.1, batch 128, float32), per epoch and averaged over seeds. Each run is
 * a child process, one at a time, on one thread; then the js backend's time per epoch, from a
 * few batches.
 *
 *   npm run bench:lenet-accuracy                      # seeds 1,2,3, 10 epochs
 *   node dist/bench/lenet-accuracy.js --seeds 1 --epochs 2 --js-batches 3
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lenetEpochSeconds } from './lenet-epoch.js';

const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    epochs: { type: 'string', default: '10' },
    'js-batches': { type: 'string', default: '3' },
  },
});
const seeds = opts.seeds!.split(',').map(Number);
const epochs = Number(opts.epochs);
const jsBatches = Number(opts['js-batches']);

const here = dirname(fileURLToPath(import.meta.url));
// Run from dist/bench: the example is compiled next to it, the Python peer stays in the sources.
const example = join(here, '../examples/lenet.js');
const peers = existsSync(join(here, 'peers')) ? join(here, 'peers') : join(here, '../../bench/peers');

interface Epoch {
  accuracy: number;
  seconds: number;
}

/** Runs a command to its end without blocking the event loop; resolves with its stdout. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ code: -1, out, err: String(e) }));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** Test accuracy and seconds of each epoch from a run's lines ("epoch N: ... test accuracy A, S s"). */
function epochsOf(out: string): Epoch[] {
  const found: Epoch[] = [];
  for (const m of out.matchAll(/epoch (\d+): .*?test accuracy ([\d.]+), ([\d.]+) s/g)) found[Number(m[1]) - 1] = { accuracy: Number(m[2]), seconds: Number(m[3]) };
  return found;
}

/** The first Python that has torch, or undefined. */
async function torchPython(): Promise<string | undefined> {
  for (const python of ['python3', '/usr/bin/python3']) if ((await run(python, ['-c', 'import torch'])).code === 0) return python;
  return undefined;
}

const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

async function theanode(seed: number): Promise<Epoch[]> {
  const r = await run(process.execPath, [example, '--backend', 'native', '--threads', '1', '--seed', String(seed), '--epochs', String(epochs)], oneThread);
  if (r.code !== 0) throw new Error(`theanode LeNet, seed ${seed}, failed (exit ${r.code}): ${r.err.trim()}`);
  return epochsOf(r.out);
}

async function pytorch(python: string, seed: number): Promise<Epoch[]> {
  const r = await run(python, [join(peers, 'lenet_torch.py'), '--seed', String(seed), '--epochs', String(epochs), '--threads', '1'], oneThread);
  if (r.code !== 0) throw new Error(`PyTorch LeNet, seed ${seed}, failed (exit ${r.code}): ${r.err.trim()}`);
  return epochsOf(r.out);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function printTable(title: string, runs: Map<number, Epoch[]>): number[] {
  console.log(`\n${title}: test accuracy per epoch (seconds per epoch, mean over seeds, in the last column)`);
  const cols = [...runs.keys()].map((s) => `seed ${s}`);
  console.log(`| epoch | ${cols.join(' | ')} | mean | s/epoch |`);
  console.log(`| --- | ${cols.map(() => '---').join(' | ')} | --- | --- |`);
  const means: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const at = [...runs.values()].map((r) => r[e]).filter((x): x is Epoch => !!x);
    if (!at.length) break;
    means.push(mean(at.map((x) => x.accuracy)));
    const cells = [...runs.values()].map((r) => (r[e] ? r[e].accuracy.toFixed(4) : ''));
    console.log(`| ${e + 1} | ${cells.join(' | ')} | ${means[e].toFixed(4)} | ${mean(at.map((x) => x.seconds)).toFixed(2)} |`);
  }
  return means;
}

async function main(): Promise<void> {
  if (!existsSync(example)) throw new Error(`${example} is missing: run npm run build:ts first`);
  const python = await torchPython();
  if (!python) console.log('PyTorch is not installed for python3: only theanode runs.');
  const ours = new Map<number, Epoch[]>();
  const theirs = new Map<number, Epoch[]>();
  for (const seed of seeds) {
    const t0 = performance.now();
    ours.set(seed, await theanode(seed));
    console.log(`theanode native seed ${seed}: ${ours.get(seed)!.map((e) => e.accuracy.toFixed(4)).join(' ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (!python) continue;
    const t1 = performance.now();
    theirs.set(seed, await pytorch(python, seed));
    console.log(`PyTorch seed ${seed}: ${theirs.get(seed)!.map((e) => e.accuracy.toFixed(4)).join(' ')} (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
  }
  const a = printTable('theanode native, 1 thread', ours);
  if (python) {
    const b = printTable(`PyTorch ${(await run(python, ['-c', 'import torch; print(torch.__version__)'])).out.trim()}, 1 thread`, theirs);
    console.log('\nmean test accuracy per epoch, theanode minus PyTorch:');
    console.log(a.map((x, e) => `${e + 1}: ${(x - b[e]).toFixed(4)}`).join(', '));
  }
  const js = lenetEpochSeconds(1, jsBatches, 'js');
  console.log(`\ntheanode js: ${js.wall.toFixed(0)} s per epoch (wall; ${js.cpu.toFixed(0)} s CPU), extrapolated from ${jsBatches} batches after 5 warm-up ones to the 469 of an epoch`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
