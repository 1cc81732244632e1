/**
 * The LSTM classifier (examples/lstm-model.ts: scan over 28 rows, 128 units, Adam, batch 128,
 * float32): seconds per epoch on the native backend on one thread, against the PyTorch peer
 * (bench/peers/lstm_torch.py, nn.LSTM, one thread) on the same slice of the data, in the same
 * run. For `npm run bench` and on its own:
 *
 *   node dist/bench/lstm-epoch.js [BATCHES [ROUNDS]]   # default 60 batches, 2 rounds
 *
 * Each round runs the peer (a child process, awaited) and then theanode, so the two see the
 * same load; the machine may be shared, so CPU time is reported beside wall time and the ratio
 * is given for both. The epoch time is the timed batches scaled to the 469 batches of an epoch.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { random, NDArray, setBlasThreads } from 'theanode';
import { buildLstm } from '../examples/lstm-model.js';
import { fashionTrainingSet, FASHION_DIR } from './fashion.js';
import { EPOCH_BATCHES, type EpochTime } from './lenet-epoch.js';

const BATCH = 128;
const here = dirname(fileURLToPath(import.meta.url));
const peers = existsSync(join(here, 'peers')) ? join(here, 'peers') : join(here, '../../bench/peers');

/** Seconds per epoch (wall and CPU) of theanode's step, from `batches` timed batches after 3 warm-up ones. */
export function lstmEpochSeconds(threads: number, batches = 60, backend: 'native' | 'js' = 'native'): EpochTime {
  setBlasThreads(threads);
  const [x, y] = fashionTrainingSet();
  const net = buildLstm(new random.RandomState(0), { backend });
  const batch = (k: number): [NDArray, NDArray] => {
    const i = (k * BATCH) % (x.shape[0] - BATCH);
    return [new NDArray(x.data.subarray(i * 784, (i + BATCH) * 784), [BATCH, 784]), new NDArray(y.data.subarray(i, i + BATCH), [BATCH])];
  };
  for (let k = 0; k < 3; k++) net.step(...batch(k));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < batches; k++) net.step(...batch(k + 3));
  const c = process.cpuUsage(c0);
  const scale = EPOCH_BATCHES / batches;
  return { wall: ((performance.now() - t0) / 1000) * scale, cpu: ((c.user + c.system) / 1e6) * scale };
}

/** PyTorch's epoch (wall and CPU) on `batches` batches scaled to an epoch, or undefined when torch is missing. */
export function torchLstmEpoch(batches: number, threads = 1): Promise<EpochTime | undefined> {
  const args = [join(peers, 'lstm_torch.py'), '--epochs', '1', '--threads', String(threads), '--limit', String(batches * BATCH), '--data', FASHION_DIR];
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const run = (python: string) =>
    new Promise<string | undefined>((resolve) => {
      const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', () => resolve(undefined));
      child.on('close', (code) => resolve(code === 0 ? out : undefined));
    });
  return (async () => {
    // The first interpreter that has torch.
    for (const python of ['python3', '/usr/bin/python3']) {
      const out = await run(python);
      const m = out?.match(/, ([\d.]+) s, ([\d.]+) s CPU/);
      if (m) {
        const scale = EPOCH_BATCHES / batches;
        return { wall: Number(m[1]) * scale, cpu: Number(m[2]) * scale };
      }
    }
    return undefined;
  })();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const batches = Number(process.argv[2] ?? 60);
  const rounds = Number(process.argv[3] ?? 2);
  const f = (t: EpochTime) => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;
  for (let r = 1; r <= rounds; r++) {
    const torch = await torchLstmEpoch(batches);
    const ours = lstmEpochSeconds(1, batches);
    const ratio = torch ? `; ratio ${(ours.wall / torch.wall).toFixed(2)}x wall, ${(ours.cpu / torch.cpu).toFixed(2)}x CPU` : '; PyTorch not found';
    console.log(`round ${r}: LSTM epoch, 1 thread, from ${batches} batches: theanode native ${f(ours)}${torch ? `; PyTorch ${f(torch)}` : ''}${ratio}`);
  }
}
