/**
 * The native `reduce` kernel's vectorised loops (native/src/kernels/reduce.cc): rows reduced in
 * 16 lanes and blocks, columns folded in order. Lengths around the lanes and the blocks (1, 7, 15,
 * 16, 17, 1023, 8193), NaN at every kind of position for max/min, empty axes and 0-size arrays,
 * float32 and float64; values whose sums are exact in any order are checked against hand-derived
 * numbers, random ones against the js backend, and the bits must not depend on the thread count,
 * the call or the vector width of the build.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { T, fn, NDArray, random, backendInfo, setBlasThreads } from 'theanode';
import type { Variable } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';

const native = nativeStatus();
const FLOATS = ['float64', 'float32'] as const;
type Float = (typeof FLOATS)[number];
const LENGTHS = [1, 7, 15, 16, 17, 31, 33, 1023, 8192, 8193, 20000];

const tensor = (dtype: string, ndim: number) => T.tensor(dtype as Float, Array(ndim).fill(false), 'x');
const fill = (shape: number[], dtype: string, f: (i: number) => number) => {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : dtype === 'bool' ? new Uint8Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(i);
  return new NDArray(data, shape, dtype as Float);
};

/** Runs one reduction of x on the native backend. */
function nat(op: 'sum' | 'mean' | 'prod' | 'max' | 'min' | 'all' | 'any', x: NDArray, axis?: number | number[], keepdims = false): NDArray {
  const v = tensor(x.dtype, x.shape.length);
  const f = fn([v], (T as unknown as Record<string, (x: Variable, a?: unknown, k?: boolean) => Variable>)[op](v, axis, keepdims), { backend: 'native' });
  expect(f.program.instructions.map((i) => i.opcode)).toContain('reduce');
  return f(x) as NDArray;
}

describe.runIf(native.available)('native reduce', () => {
  it('sums, means and products over the last axis equal the hand-derived values at every length', () => {
    for (const dtype of FLOATS) {
      for (const n of LENGTHS) {
        // Row r holds r + 1, r + 2, ... r + n: every partial sum is an integer below 2^53.
        const rows = 3;
        // The exact sum, rounded once to the output's dtype.
        const round = dtype === 'float32' ? Math.fround : (v: number) => v;
        const x = fill([rows, n], dtype, (i) => Math.floor(i / n) + (i % n) + 1);
        const s = nat('sum', x, 1, true);
        expect(s.shape).toEqual([rows, 1]);
        for (let r = 0; r < rows; r++) expect(s.data[r], `${dtype} n=${n} row ${r}`).toBe(round(n * r + (n * (n + 1)) / 2));
        const m = nat('mean', x, 1);
        for (let r = 0; r < rows; r++) expect(m.data[r], `${dtype} mean n=${n}`).toBe(round(r + (n + 1) / 2));
        // One -2 and one 1.5 among ones, at the start, a lane boundary, the tail: -3 exactly.
        for (const [p, q] of [[0, n - 1], [Math.min(15, n - 1), Math.min(16, n - 1)], [n - 1, 0]]) {
          const y = fill([n], dtype, (i) => (i === p && p !== q ? -2 : i === q && p !== q ? 1.5 : i === p ? -3 : 1));
          expect(nat('prod', y).data[0], `${dtype} prod n=${n} p=${p} q=${q}`).toBe(-3);
        }
      }
    }
  });

  it('float32 sums accumulate in double precision, in every lane and block', () => {
    // 2^24 + 1 is not a float32; a float accumulator would lose each 1.
    for (const n of [33, 1023, 8193]) {
      const x = fill([2, n], 'float32', (i) => (i % n === 0 ? 2 ** 24 : i % n === n - 1 ? -(2 ** 24) : 1));
      expect(Array.from(nat('sum', x, 1).data)).toEqual([n - 2, n - 2]);
      expect(Array.from(nat('sum', x, 0).data).slice(0, 3)).toEqual([2 ** 25, 2, 2]);
    }
  });

  it('max and min: the largest and smallest wherever they are, and a NaN anywhere wins', () => {
    for (const dtype of FLOATS) {
      for (const n of LENGTHS) {
        const rng = new random.RandomState(n);
        const perm = rng.permutation(n) as NDArray;
        const x = fill([n], dtype, (i) => perm.data[i] - n / 2);
        expect(nat('max', x).data[0], `${dtype} max n=${n}`).toBe(n - 1 - n / 2);
        expect(nat('min', x).data[0], `${dtype} min n=${n}`).toBe(-n / 2);
        if (n >= 3) {
          const inf = fill([n], dtype, (i) => (i === n >> 1 ? Infinity : i === n - 1 ? -Infinity : perm.data[i]));
          expect(nat('max', inf).data[0]).toBe(Infinity);
          expect(nat('min', inf).data[0]).toBe(-Infinity);
        }
        for (const p of new Set([0, 1, 15, 16, 17, n - 16, n - 1, n >> 1].filter((p) => p >= 0 && p < n))) {
          // NaN beside the extremes (inf on both sides), and as the only value that is not -inf.
          const y = fill([2, n], dtype, (i) => (i % n === p ? NaN : i % 3 === 0 ? Infinity : i % 3 === 1 ? -Infinity : 0));
          for (const op of ['max', 'min'] as const) {
            const r = nat(op, y, 1);
            expect(Number.isNaN(r.data[0]) && Number.isNaN(r.data[1]), `${dtype} ${op} n=${n} NaN at ${p}`).toBe(true);
            // Over the leading axis: only the columns that hold the NaN.
            const z = fill([n, 3], dtype, (i) => (Math.floor(i / 3) === p && i % 3 === 1 ? NaN : i));
            const c = nat(op, z, 0);
            expect(Number.isNaN(c.data[1]), `${dtype} ${op} columns n=${n} NaN at ${p}`).toBe(true);
            expect(c.data[0]).toBe(op === 'max' ? 3 * (n - 1) : 0);
            expect(c.data[2]).toBe(op === 'max' ? 3 * (n - 1) + 2 : 2);
          }
        }
        const neg = fill([n], dtype, () => -Infinity);
        expect(nat('max', neg).data[0]).toBe(-Infinity);
      }
    }
  });

  it('column, middle-axis and generic reductions equal the hand-derived sums', () => {
    for (const dtype of FLOATS) {
      for (const n of [1, 7, 17, 1025]) {
        // x[a, b, c] = b + 1: sums over b are n(n+1)/2 for every (a, c).
        const x = fill([2, n, 3], dtype, (i) => Math.floor(i / 3) % n + 1);
        const tri = (n * (n + 1)) / 2;
        expect(Array.from(nat('sum', x, 1).data)).toEqual(Array(6).fill(tri));
        expect(Array.from(nat('sum', x, [0, 1]).data)).toEqual(Array(3).fill(2 * tri));
        expect(Array.from(nat('sum', x, [0, 2]).data)).toEqual(Array.from({ length: n }, (_, b) => 6 * (b + 1)));
        expect(Array.from(nat('max', x, [0, 2]).data)).toEqual(Array.from({ length: n }, (_, b) => b + 1));
        expect(Array.from(nat('sum', x).data)).toEqual([6 * tri]);
        // Runs: the last reduced axis long (one row reduction per run, runs in order), with a NaN.
        for (const len of [16, 40, 8200]) {
          const r = fill([3, n, len], dtype, (i) => (Math.floor(i / len) % n) + 1);
          expect(Array.from(nat('sum', r, [0, 2]).data), `runs of ${len}`).toEqual(Array.from({ length: n }, (_, b) => 3 * len * (b + 1)));
          expect(Array.from(nat('max', r, [0, 2]).data)).toEqual(Array.from({ length: n }, (_, b) => b + 1));
          r.data[(2 * n + n - 1) * len + len - 1] = NaN;
          expect(Number.isNaN(nat('min', r, [0, 2]).data[n - 1]), `NaN in the last run of ${len}`).toBe(true);
        }
        // Length-1 axes between the reduced ones do not change the result.
        const y = new NDArray(x.data, [2, 1, n, 1, 3], dtype);
        expect(Array.from(nat('sum', y, [1, 2, 3]).data)).toEqual(Array(6).fill(tri));
        expect(Array.from(nat('mean', y, [0, 1, 2]).data)).toEqual(Array(3).fill((n + 1) / 2));
      }
    }
  });

  it('empty axes and 0-size arrays: the identity, NaN for the mean, an Error for max and min', () => {
    for (const dtype of FLOATS) {
      const e = fill([4, 0], dtype, () => 0);
      expect(Array.from(nat('sum', e, 1).data)).toEqual([0, 0, 0, 0]);
      expect(Array.from(nat('prod', e, 1).data)).toEqual([1, 1, 1, 1]);
      expect(Array.from(nat('mean', e, 1).data).every(Number.isNaN)).toBe(true);
      expect(nat('sum', e, 0).shape).toEqual([0]);
      expect(nat('max', e, 0).shape).toEqual([0]);
      expect(nat('sum', e).data[0]).toBe(0);
      const z = fill([0, 5], dtype, () => 0);
      expect(Array.from(nat('sum', z, 0, true).data)).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(nat('prod', z, 0).data)).toEqual([1, 1, 1, 1, 1]);
      expect(Array.from(nat('mean', fill([3, 0, 2], dtype, () => 0), 1).data).every(Number.isNaN)).toBe(true);
      for (const op of ['max', 'min'] as const) {
        expect(() => nat(op, e, 1)).toThrow(/zero-size array/);
        expect(() => nat(op, z, 0)).toThrow(/zero-size array/);
      }
    }
  });

  it('integer sums and boolean all/any over rows and columns', () => {
    for (const n of [1, 7, 17, 1023]) {
      const x = fill([3, n], 'int32', (i) => (i % n) - 3);
      expect(Array.from(nat('sum', x, 1).data)).toEqual(Array(3).fill((n * (n - 1)) / 2 - 3 * n));
      expect(Array.from(nat('max', x, 1).data)).toEqual(Array(3).fill(n - 4));
      for (const p of new Set([0, n >> 1, n - 1])) {
        const b = fill([2, n], 'bool', (i) => (i % n === p ? 0 : 1));
        expect(Array.from(nat('all', b, 1).data), `all n=${n} p=${p}`).toEqual([0, 0]);
        expect(Array.from(nat('any', b, 1).data)).toEqual(n === 1 ? [0, 0] : [1, 1]);
        const c = fill([n, 2], 'bool', (i) => (Math.floor(i / 2) === p && i % 2 === 0 ? 1 : 0));
        expect(Array.from(nat('any', c, 0).data), `any columns n=${n} p=${p}`).toEqual([1, 0]);
        expect(Array.from(nat('all', c, 0).data)).toEqual([n === 1 ? 1 : 0, 0]);
      }
    }
  });

  it('agree with the js backend on random data, every contiguous and generic set of axes', () => {
    const rng = new random.RandomState(4);
    const shapes = [[5, 1023], [1023, 5], [3, 17, 9], [2, 8193], [4, 3, 2, 17]];
    for (const dtype of FLOATS) {
      const rtol = dtype === 'float32' ? 1e-4 : 1e-10;
      for (const shape of shapes) {
        const x = tensor(dtype, shape.length);
        const data = (rng.randn(shape.reduce((a, b) => a * b, 1)) as NDArray).astype(dtype);
        const X = new NDArray(data.data, shape, dtype);
        const axesSets: (number | number[] | undefined)[] = [undefined];
        for (let mask = 1; mask < 1 << shape.length; mask++) axesSets.push(shape.map((_, i) => i).filter((i) => mask & (1 << i)));
        for (const axes of axesSets) {
          const outs = [T.sum(x, axes), T.mean(x, axes), T.prod(x.mul(0.1).add(1), axes), T.max(x, axes), T.min(x, axes)];
          const rj = fn([x], outs, { backend: 'js' })(X) as NDArray[];
          const rn = fn([x], outs, { backend: 'native' })(X) as NDArray[];
          rj.forEach((r, k) => {
            expect(rn[k].shape).toEqual(r.shape);
            // Sums of N(0,1) cancel: the tolerance is relative to the sum of magnitudes' scale.
            const scale = k < 2 ? Math.sqrt(shape.reduce((a, b) => a * b, 1)) : 0;
            for (let i = 0; i < r.size; i++) {
              const a = rn[k].data[i], b = r.data[i];
              if (!(Math.abs(a - b) <= 1e-300 + rtol * (Math.abs(b) + scale))) expect.fail(`${dtype} (${shape}) axes ${axes} output ${k}[${i}]: native ${a}, js ${b}`);
            }
          });
        }
      }
    }
  });

  it('give the same bits on one and two threads and on every call', () => {
    const before = backendInfo().blasThreads ?? 1;
    const pool = () => backendInfo().pool ?? { parallel: 0, paused: 0 };
    const rng = new random.RandomState(9);
    try {
      for (const dtype of FLOATS) {
        for (const [shape, axes] of [[[512, 3584], [1]], [[1e6], undefined], [[3584, 512], [0]], [[4, 30000], [1]], [[28, 512, 128], [1]], [[28, 512, 128], [0, 2]]] as [number[], number[] | undefined][]) {
          const x = tensor(dtype, shape.length);
          const f = fn([x], [T.sum(x, axes, true), T.mean(x, axes), T.max(x, axes), T.prod(x.mul(1e-3).add(1), axes)], { backend: 'native' });
          const X = new NDArray((rng.randn(shape.reduce((a, b) => a * b, 1)) as NDArray).astype(dtype).data, shape, dtype);
          const bits = (r: NDArray[]) => r.map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('hex'));
          setBlasThreads(1);
          const one = bits(f(X) as NDArray[]);
          setBlasThreads(2);
          const jobs = pool().parallel + pool().paused;
          for (let k = 0; k < 3; k++) expect(bits(f(X) as NDArray[]), `${dtype} (${shape}) call ${k}`).toEqual(one);
          if ((backendInfo().cores ?? 1) >= 2) expect(pool().parallel + pool().paused, `${dtype} (${shape}) split`).toBeGreaterThan(jobs);
        }
      }
    } finally {
      setBlasThreads(before);
    }
  }, 60_000);

  const root = fileURLToPath(new URL('../../..', import.meta.url));
  it.runIf(existsSync(`${root}/dist/lib/index.js`))('give the same bits on the base, avx2 and widest builds (dist/ build in a child)', async () => {
    const driver = fileURLToPath(new URL('./reduce_bits_driver.mjs', import.meta.url));
    const run = (simd: string | undefined) =>
      new Promise<string[]>((resolve, reject) =>
        execFile(process.execPath, [driver], { env: { ...process.env, THEANODE_SIMD: simd }, timeout: 60_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
        ),
      );
    const [base, avx2, widest] = [await run('base'), await run('avx2'), await run(undefined)];
    expect(base.length).toBeGreaterThan(0);
    expect(avx2).toEqual(base);
    expect(widest).toEqual(base);
  }, 120_000);
});
