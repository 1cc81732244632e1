/** RandomStreams on the native backend: the js backend's bits, on any thread count and SIMD level. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/index.js';
import { nativeStatus } from '../../lib/backend/native/index.js';
// @ts-expect-error a plain module shared with the child-process driver
import { drawBytes } from './drivers/draw_cases.mjs';

const native = nativeStatus();
const bytes = (backend: string, seed: number, dtype: string, rows: number, cols: number): string[] => drawBytes(api, backend, seed, dtype, rows, cols);

describe.runIf(native.available)('RandomStreams, native against js', () => {
  it('every distribution gives the same bits on both backends (float64 and float32, odd sizes)', () => {
    for (const dtype of ['float64', 'float32']) {
      for (const [rows, cols] of [[1, 1], [3, 7], [17, 5]]) {
        const js = bytes('js', 99, dtype, rows, cols);
        const nat = bytes('native', 99, dtype, rows, cols);
        js.forEach((b, i) => expect(nat[i], `${dtype} ${rows}x${cols} output ${i}`).toBe(b));
      }
    }
  });

  it('a failed call leaves the states unchanged (an index out of bounds, a bad probability)', () => {
    const { T, fn, random } = api;
    const srng = new random.RandomStreams(8);
    const x = T.vector('x');
    const i = T.ivector('i');
    const p = T.vector('p');
    const f = fn([x, i, p], [srng.normal(x.shape), x.get(i), srng.binomial(p.shape, 1, p)], { backend: 'native' });
    const first = f([1, 2, 3], [0, 2], [0.5]);
    const before = srng.states.map((s) => Array.from(s.getValue().data));
    expect(() => f([1, 2, 3], [0, 7], [0.5])).toThrow(/out of bounds|index/);
    expect(() => f([1, 2, 3], [0, 1], [-1])).toThrow(/random binomial: probabilities must be in \[0, 1\], got -1 at flat index 0/);
    expect(srng.states.map((s) => Array.from(s.getValue().data))).toEqual(before);
    srng.seed(8);
    expect(f([1, 2, 3], [0, 2], [0.5]).map((a) => Array.from(a.data))).toEqual(first.map((a) => Array.from(a.data)));
  });

  it('async calls draw the same sequence as synchronous ones (js workers and native)', async () => {
    const { T, fn, random } = api;
    for (const backend of ['js', 'native'] as const) {
      const x = T.matrix('x');
      const [s1, s2] = [new random.RandomStreams(5), new random.RandomStreams(5)];
      const [g1, g2] = [fn([x], s1.normal(x.shape), { backend }), fn([x], s2.normal(x.shape), { backend })];
      const args = [[0, 0, 0]];
      const sync = [g1(args), g1(args)].map((v) => Array.from(v.data));
      const viaAsync = [await g2.async(args), await g2.async(args)].map((v) => Array.from(v.data));
      expect(viaAsync).toEqual(sync);
      expect(sync[0]).not.toEqual(sync[1]);
    }
  });

  it('a draw split over two threads equals the single-threaded draw and js', () => {
    const before = api.backendInfo().blasThreads ?? 1;
    try {
      const pool = () => api.backendInfo().pool!;
      api.setBlasThreads(1);
      const one = bytes('native', 7, 'float64', 400, 500);
      const one32 = bytes('native', 7, 'float32', 400, 500);
      api.setBlasThreads(2);
      const jobs = pool().parallel + pool().paused;
      const two = bytes('native', 7, 'float64', 400, 500);
      const two32 = bytes('native', 7, 'float32', 400, 500);
      if ((api.backendInfo().cores ?? 1) >= 2) expect(pool().parallel + pool().paused).toBeGreaterThan(jobs);
      expect(two).toEqual(one);
      expect(two32).toEqual(one32);
      expect(bytes('js', 7, 'float64', 400, 500)).toEqual(one);
      expect(bytes('js', 7, 'float32', 400, 500)).toEqual(one32);
    } finally {
      api.setBlasThreads(before);
    }
  }, 60_000);

  const root = fileURLToPath(new URL('../..', import.meta.url));
  it.runIf(existsSync(`${root}/dist/lib/index.js`))('the base and avx2 builds of the kernels give the same bits (dist/ build in a child)', async () => {
    const driver = fileURLToPath(new URL('./drivers/simd_draws.mjs', import.meta.url));
    const run = (simd: string) =>
      new Promise<Record<string, string[]>>((resolve, reject) =>
        execFile(process.execPath, [driver, '5', '9', '13'], { env: { ...process.env, THEANODE_SIMD: simd }, timeout: 60_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
        ),
      );
    const [base, avx2] = [await run('base'), await run('avx2')];
    for (const dtype of ['float64', 'float32']) {
      const js = bytes('js', 5, dtype, 9, 13);
      expect(base[dtype]).toEqual(js);
      expect(avx2[dtype]).toEqual(js);
    }
  }, 120_000);
});
