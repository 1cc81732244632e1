/**
 * Data-parallel training under `mpirun -np 2` and `-np 4`: the ranks end with the parameters one
 * process reaches on whole minibatches (allclose: the gradient's sums are reassociated), on both
 * backends and in float64 and float32; a rank that fails makes every rank fail with an Error
 * (or mpirun end non-zero), never a hang. Needs Open MPI and the MPI addon; skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleDriver, removeDriver } from '../fuzz/harness.js';
import { describeRun, mpiMissing, mpirun } from './mpirun.js';

const missing = mpiMissing();
if (missing) console.log(`skipping the MPI tests: ${missing}`);

const TIMEOUT = 120_000;
let driver = '';

beforeAll(async () => {
  if (!missing) driver = await bundleDriver('test/distributed/train_driver.ts');
}, TIMEOUT);
afterAll(() => removeDriver(driver));

function expectClose(got: number[][], want: number[][], rtol: number, atol: number) {
  expect(got.length).toBe(want.length);
  got.forEach((g, p) =>
    g.forEach((v, i) => {
      const w = want[p][i];
      expect(Math.abs(v - w) <= atol + rtol * Math.abs(w), `param ${p}[${i}]: ${v} vs ${w}`).toBe(true);
    }),
  );
}

describe.skipIf(!!missing)('distributed training under mpirun', () => {
  for (const np of [2, 4]) {
    it(`distributed.allreduce and broadcast on ${np} ranks give the hand-derived values`, async () => {
      const r = await mpirun(np, driver, ['reduce', 'js', 'float64'], { timeoutMs: TIMEOUT });
      expect(r.code, describeRun(r)).toBe(0);
      const ranks = [...Array(np).keys()];
      const sum = (f: (k: number) => number) => ranks.reduce((a, k) => a + f(k), 0);
      for (const k of ranks) {
        const o = r.ranks[k];
        expect(o.sum).toEqual([sum((q) => q + 0.5), sum((q) => -q), np]);
        expect(o.mean).toEqual([sum((q) => q + 0.5) / np, sum((q) => -q) / np, 1]);
        expect(o.max).toEqual([np - 0.5, 0, 1]);
        expect(o.isum).toEqual([sum((q) => q), sum((q) => 10 * q + 1)]);
        expect(o.imax).toEqual([np - 1, 10 * (np - 1) + 1]);
        expect(o.fsum).toEqual([sum((q) => q * 0.25)]);
        expect(o.fdtype).toBe('float32');
        expect(o.broadcast).toEqual([np - 1, np - 1, np - 1, np - 1]);
      }
    }, TIMEOUT);

    for (const backend of ['native', 'js']) {
      for (const dtype of ['float64', 'float32']) {
        it(`${np} ranks on ${backend} in ${dtype} end where one process on whole minibatches ends`, async () => {
          const r = await mpirun(np, driver, ['train', backend, dtype], { timeoutMs: TIMEOUT });
          expect(r.code, describeRun(r)).toBe(0);
          const first = r.ranks[0] as { distributed: number[][]; alone: number[][]; allreduces: number; backend: string };
          expect(first.backend).toBe(backend);
          // One message per step: every gradient's allreduce merged into one instruction.
          expect(first.allreduces).toBe(1);
          for (let k = 0; k < np; k++) expect((r.ranks[k] as typeof first).distributed).toEqual(first.distributed);
          const [rtol, atol] = dtype === 'float64' ? [1e-10, 1e-12] : [1e-4, 1e-5];
          expectClose(first.distributed, first.alone, rtol, atol);
        }, TIMEOUT);
      }
    }
  }

  for (const backend of ['native', 'js']) {
    it(`async calls of two functions with collectives, all in flight, meet in call order (${backend})`, async () => {
      const np = 2;
      const r = await mpirun(np, driver, ['concurrent', backend, 'float64'], { timeoutMs: TIMEOUT });
      expect(r.code, describeRun(r)).toBe(0);
      // p(i) sums 2i over the ranks; q(i) averages i + rank.
      const want = [...Array(10).keys()].map((i) => (i % 2 ? Array(5).fill(i + (np - 1) / 2) : Array(3).fill(2 * i * np)));
      for (let k = 0; k < np; k++) {
        const o = r.ranks[k] as { results: number[][]; refused: string };
        expect(o.results).toEqual(want);
        expect(o.refused).toMatch(/distributed.barrier: called synchronously while .* the distributed job's collectives/);
      }
    }, TIMEOUT);
  }

  for (const [mode, np] of [['bad-input', 2], ['bad-input-async', 2], ['bad-label', 2], ['bad-label-async', 2], ['bad-input', 4]] as const) {
    for (const backend of ['native', 'js']) {
      it(`${mode} on rank 1 of ${np} (${backend}): every rank throws an Error and changes no parameter`, async () => {
        const r = await mpirun(np, driver, [mode, backend, 'float64'], { timeoutMs: TIMEOUT });
        expect(r.timedOut, describeRun(r)).toBe(false);
        expect(r.code).not.toBe(0);
        for (let k = 0; k < np; k++) {
          const o = r.ranks[k] as { error: string; step: number; unchanged: boolean };
          expect(o, describeRun(r)).toBeDefined();
          expect(o.step).toBe(mode.endsWith('-async') ? 3 : 2);
          expect(o.unchanged).toBe(true);
          if (k === 1) expect(o.error).toMatch(mode.startsWith('bad-input') ? /dot: shapes/ : /label \d+ of row \d+ is out of range/);
          else expect(o.error).toMatch(/allreduce: rank 1 failed/);
        }
      }, TIMEOUT);
    }
  }

  it('a rank that dies outside a collective ends the job (non-zero, with its message), not a hang', async () => {
    const r = await mpirun(2, driver, ['throw', 'native', 'float64'], { timeoutMs: TIMEOUT });
    expect(r.timedOut, describeRun(r)).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/rank 1 gives up/);
    expect(r.stdout + r.stderr).toMatch(/exited with non-zero status|non-zero exit code/);
  }, TIMEOUT);
});
