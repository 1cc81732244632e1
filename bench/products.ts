/**
 * GFLOPS of the native matrix products on one thread (the first column also on two), for the shapes of the benched networks
 * (the MLP's, LeNet's and the LSTM's, batch 128), as C += op(A)·op(B) into a shared variable
 * (one gemm, in place). Each column is a child process: the addon's own AVX-512 kernels where
 * the CPU has them, then OpenBLAS (THEANODE_SIMD=avx2) with the environment's kernel family,
 * then OpenBLAS told to use its SkylakeX (AVX-512) kernels.
 *
 *   npm run bench:products            # float32
 *   node dist/bench/products.js float64
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { T, fn, shared, random, setBlasThreads, backendInfo, NDArray } from 'theanode';

const SHAPES: [string, number, number, number, boolean, boolean][] = [
  ['MLP forward 1', 128, 256, 784, false, false],
  ['MLP dW 1', 784, 256, 128, true, false],
  ['MLP dX 2', 128, 256, 128, false, true],
  ['MLP forward 3 (10 columns: OpenBLAS in every column for float32)', 128, 10, 128, false, false],
  ['LeNet conv 2 forward (16 images)', 50, 1024, 500, false, false],
  ['LeNet conv 2 input gradient', 500, 1024, 50, true, false],
  ['LeNet conv 2 filter gradient', 50, 500, 1024, false, true],
  ['LeNet conv 1 forward (8 images)', 20, 4608, 25, false, false],
  ['LeNet dense', 128, 500, 800, false, false],
  ['LSTM step, 4 gates', 512, 128, 128, false, false],
  ['square 512', 512, 512, 512, false, false],
];

/** GFLOPS per shape in this process: the best of 5 rounds of enough calls for ~50 ms each. */
function measure(dtype: 'float32' | 'float64', threads: number): number[] {
  setBlasThreads(threads);
  const rng = new random.RandomState(0);
  return SHAPES.map(([, m, n, k, ta, tb]) => {
    const a = T.matrix('a', dtype), b = T.matrix('b', dtype);
    const c = shared(new NDArray(new Float64Array(m * n), [m, n]), 'c', { dtype });
    const step = fn([a, b], [], { updates: [[c, c.add(T.dot(ta ? a.T : a, tb ? b.T : b))]], backend: 'native' });
    const A = (ta ? rng.randn(k, m) : rng.randn(m, k)).astype(dtype), B = (tb ? rng.randn(n, k) : rng.randn(k, n)).astype(dtype);
    const flops = 2 * m * n * k, calls = Math.max(5, Math.round(5e-2 / (flops / 1e11)));
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) step(A, B);
      best = Math.min(best, (performance.now() - t0) / calls);
    }
    return flops / (best * 1e-3) / 1e9;
  });
}

const dtype = (process.argv[3] ?? process.argv[2]) === 'float64' ? 'float64' : 'float32';
if (process.argv[2] === 'child') {
  console.log(JSON.stringify({ products: backendInfo().products, core: backendInfo().blasCore, gflops: measure(dtype, 1), twoThreads: process.env.TWO_THREADS ? measure(dtype, 2) : [] }));
} else {
  const self = fileURLToPath(import.meta.url);
  const child = (change: Record<string, string | undefined>) => {
    const env = { ...process.env, ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete env[key];
    const out = execFileSync(process.execPath, [self, 'child', dtype], { encoding: 'utf8', env });
    return JSON.parse(out.trim().split('\n').pop()!) as { products: string; core: string; gflops: number[]; twoThreads: number[] };
  };
  const columns = [child({ TWO_THREADS: '1' }), child({ THEANODE_SIMD: 'avx2' }), child({ THEANODE_SIMD: 'avx2', OPENBLAS_CORETYPE: 'SkylakeX', OPENBLAS_L2_SIZE: undefined })];
  const names = columns.map((c) => (c.products === 'avx512' ? 'own AVX-512' : `OpenBLAS ${c.core}`));
  console.log(`GFLOPS of C += op(A)·op(B), ${dtype}, one thread unless said (ratio: the first column's time to OpenBLAS's)`);
  console.log(`| product | m x n x k | ${names[0]} | ${names[0]}, 2 threads | ${names.slice(1).join(' | ')} | ratio to ${names[1]} | ratio to ${names[2]} |`);
  console.log(`| --- | --- | --- | --- | ${names.slice(1).map(() => '---').join(' | ')} | --- | --- |`);
  SHAPES.forEach(([label, m, n, k, ta, tb], i) => {
    const g = columns.map((c) => c.gflops[i]);
    const shape = `${ta ? 'A^T ' : ''}${m} x ${n} x ${k}${tb ? ' B^T' : ''}`;
    const cells = [g[0], columns[0].twoThreads[i], g[1], g[2]].map((v) => v.toFixed(0));
    console.log(`| ${label} | ${shape} | ${cells.join(' | ')} | ${(g[1] / g[0]).toFixed(2)} | ${(g[2] / g[0]).toFixed(2)} |`);
  });
}
