/**
 * Async calls of unrelated functions run at the same time, BLAS called from several threads
 * stays right, and the pool's threads stay within the cores the process may use.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { T, fn, shared, random, NDArray, backendInfo, setBlasThreads } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { loadAddon } from '../../../binding/index.js';

const native = nativeStatus();

const firstDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : a.length;
};

describe.runIf(native.available)('native backend, concurrent calls', () => {
  it('does not hold a short call behind a long call of another function', async () => {
    const rng = new random.RandomState(0);
    const a = T.matrix('a');
    let expr = a;
    for (let i = 0; i < 12; i++) expr = T.tanh(T.dot(expr, a).mul(0.01));
    const long = fn([a], expr.sum(), { backend: 'native' });
    const x = T.vector('x');
    const short = fn([x], x.mul(2), { backend: 'native' });
    const data = rng.randn(500, 500) as NDArray;
    let longDone = false;
    const first = long.async(data).then((r) => ((longDone = true), r));
    // Started once the long call is on the thread pool.
    await new Promise((r) => setTimeout(r, 5));
    const rs = await short.async(new NDArray(new Float64Array([1, 2]), [2]));
    // Behind one lock, the short call would finish with the long one, not a few turns before it.
    await new Promise((r) => setTimeout(r, 2));
    expect(longDone).toBe(false);
    expect(Array.from(rs.data)).toEqual([2, 4]);
    expect((await first).item()).toBe(long(data).item());
  });

  it('gives the same bits when unrelated functions call BLAS at once', async () => {
    const before = backendInfo().blasThreads ?? 1;
    try {
      for (const threads of [1, 2]) {
        setBlasThreads(threads);
        const rng = new random.RandomState(5 + threads);
        // Products (gemm, gemv), the one-pass kernel and an update, each its own function.
        const a = T.matrix('a'), b = T.matrix('b'), v = T.vector('v');
        const products = fn([a, b, v], [T.dot(a, b), T.dot(a.T, a), T.dot(b.T, v)], { backend: 'native' });
        const w = shared(rng.randn(60) as NDArray, 'w');
        const x = T.matrix('x'), y = T.vector('y');
        const p = T.nnet.sigmoid(x.dot(w));
        const cost = T.nnet.binaryCrossentropy(p, y).mean();
        const step = fn([x, y], cost, { updates: [[w, w.sub(T.grad(cost, w).mul(0.1))]], backend: 'native' });
        const pArgs = [rng.randn(150, 90) as NDArray, rng.randn(90, 120) as NDArray, rng.randn(90) as NDArray];
        const sArgs = [rng.randn(300, 60) as NDArray, (rng.randint(0, 2, [300]) as NDArray).astype('float64')];
        const w0 = w.getValue();
        const expected = products(...pArgs).map((r) => Array.from(r.data));
        const costs: number[] = [];
        for (let k = 0; k < 30; k++) costs.push(step(...sArgs).item());
        const wEnd = Array.from(w.getValue().data);
        w.setValue(w0);
        const calls = 30;
        const [prodRuns, stepRuns] = await Promise.all([
          Promise.all(Array.from({ length: calls }, () => products.async(...pArgs))),
          Promise.all(Array.from({ length: calls }, () => step.async(...sArgs))),
        ]);
        prodRuns.forEach((outs, k) =>
          outs.forEach((r, i) => {
            const at = firstDifference(r.data, expected[i]);
            if (at >= 0) expect.fail(`${threads} thread(s), call ${k}, output ${i}[${at}]: ${r.data[at]} vs ${expected[i][at]}`);
          }),
        );
        const at = firstDifference(stepRuns.map((r) => r.item()), costs);
        if (at >= 0) expect.fail(`${threads} thread(s), step ${at}: cost ${stepRuns[at].item()} vs ${costs[at]}`);
        expect(firstDifference(w.getValue().data, wEnd)).toBe(-1);
      }
    } finally {
      setBlasThreads(before);
    }
  });

  it('splits elementwise work over threads with the bits of one thread', () => {
    const before = backendInfo().blasThreads ?? 1;
    const rng = new random.RandomState(9);
    try {
      for (const dtype of ['float64', 'float32'] as const) {
        // Full, bias-row, column, scalar and strided (neither row nor column) inputs, 3-d.
        const x = T.tensor3('x', dtype), row = T.vector('row', dtype), col = T.tensor(dtype, [false, false, true], 'col'), mid = T.tensor(dtype, [false, true, false], 'mid');
        const out = T.tanh(x.mul(row).add(col)).sub(T.exp(mid.mul(0.5))).mul(3);
        const args = [rng.randn(41, 30, 57), rng.randn(57), rng.randn(41, 30, 1), rng.randn(41, 1, 57)].map((a) => (a as NDArray).astype(dtype));
        const f = fn([x, row, col, mid], out, { backend: 'native' });
        setBlasThreads(1);
        const one = f(...args);
        setBlasThreads(2);
        const two = f(...args);
        const at = firstDifference(two.data, one.data);
        if (at >= 0) expect.fail(`${dtype}[${at}]: ${two.data[at]} on 2 threads, ${one.data[at]} on 1`);
        const js = fn([x, row, col, mid], out, { backend: 'js' })(...args);
        const tol = dtype === 'float32' ? 1e-4 : 1e-10;
        const bad = Array.from(js.data).findIndex((v, i) => !(Math.abs(v - two.data[i]) <= tol * (1 + Math.abs(v))));
        if (bad >= 0) expect.fail(`${dtype}[${bad}]: native ${two.data[bad]}, js ${js.data[bad]}`);
      }
    } finally {
      setBlasThreads(before);
    }
  });

  it.runIf(existsSync('/usr/bin/taskset'))('caps its threads at the cores of the affinity mask', () => {
    const { root } = loadAddon();
    const script = `const a = require(${JSON.stringify(root + '/node_modules/node-gyp-build')})(${JSON.stringify(root)}); a.setThreads(8); console.log(JSON.stringify(a.info()))`;
    const run = (cpus: string) => {
      const r = spawnSync('/usr/bin/taskset', ['-c', cpus, process.execPath, '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { threads: number; cores: number };
    };
    const one = run('0');
    expect(one.threads).toBe(8);
    expect(one.cores).toBe(1);
    expect(backendInfo().cores).toBeGreaterThanOrEqual(1);
  });

  // Every thread held to one CPU after start (the cores counted before): each woken worker lands
  // on the caller's core, leaves the job to it, and the caller pauses parallel work briefly.
  it.runIf(existsSync('/usr/bin/taskset') && (backendInfo().cores ?? 1) >= 2)('leaves a job to its caller when a worker wakes on the caller\'s core', async () => {
    const driver = fileURLToPath(new URL('./crowded_driver.mjs', import.meta.url));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [driver], { timeout: 60_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const r = JSON.parse(out) as { before: string[]; after: string[]; crowded: number; paused: number; parallel: number; cores: number };
    expect(r.cores).toBeGreaterThanOrEqual(2);
    // The same bits whoever ran the chunks.
    expect(r.after.length).toBe(3);
    r.after.forEach((bits, i) => expect(bits, `result ${i}`).toBe(r.before[i]));
    // Jobs were tried on two threads, their workers left them, and pauses followed.
    expect(r.parallel).toBeGreaterThan(0);
    expect(r.crowded).toBeGreaterThan(0);
    expect(r.crowded).toBeLessThanOrEqual(r.parallel);
    expect(r.paused).toBeGreaterThan(0);
  });
});
