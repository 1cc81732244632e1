/**
 * Random expression graphs over the op set (elementwise, reductions with axes and keepdims,
 * dot, dimshuffle/transpose/reshape, indexing, concatenation, softmax) with random shapes
 * (zero-length and size-1 broadcast axes, 0-d) and dtypes: js and native agree, with and
 * without rewrites, and gradients agree with finite differences on a float64 subset.
 * Seeded (THEANODE_FUZZ_SEED moves the run); a failure prints its seed and graph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseSeed } from './random.js';
import { bundleDriver, removeDriver, runFamily, totals } from './harness.js';

const CASES = Number(process.env.THEANODE_FUZZ_CASES ?? 3000);

describe('fuzz: random expression graphs', () => {
  let driver = '';
  beforeAll(async () => {
    driver = await bundleDriver('test/fuzz/graphs_driver.ts');
  });
  afterAll(() => removeDriver(driver));

  it(`${CASES} graphs agree across backends and rewrites; gradients match finite differences`, async () => {
    const first = baseSeed() * 1_000_000;
    const r = await runFamily(driver, { first, cases: CASES, chunk: Math.ceil(CASES / 4), timeoutMs: 110_000, maxOldSpaceMb: 512 });
    const t = totals(r.summaries);
    console.log(`graph fuzz: seeds ${first}..${first + CASES - 1}: ${t.cases} cases, ${t.grads} gradient checks, ${t.failures} failures`);
    expect(r.problems.slice(0, 5), r.problems.slice(0, 5).join('\n')).toEqual([]);
    expect(t.cases).toBe(CASES);
    expect(t.grads).toBeGreaterThan(CASES / 20);
  });
});
