/**
 * Malformed values of every kind (typed arrays of each element type, out-of-range and
 * non-integer numbers, ragged and deeply nested arrays, NDArrays whose data and shape
 * disagree, values that are not arrays at all, wrong argument counts, lengths computed from
 * NaN) against compiled functions (sync and async, both backends), shared() and setValue():
 * and values that kernels read at run time (indices, index vectors, reshape lengths): a clear
 * Error that leaves shared variables unchanged, or exactly the value given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseSeed } from './random.js';
import { bundleDriver, removeDriver, runFamily, totals } from './harness.js';

const CASES = Number(process.env.THEANODE_FUZZ_CASES ?? 3000);

describe('fuzz: malformed inputs', () => {
  let driver = '';
  beforeAll(async () => {
    driver = await bundleDriver('test/fuzz/malformed_driver.ts');
  });
  afterAll(() => removeDriver(driver));

  it(`${CASES} malformed values are refused clearly or taken exactly`, async () => {
    const first = baseSeed() * 1_000_000;
    const r = await runFamily(driver, { first, cases: CASES, chunk: Math.ceil(CASES / 2), timeoutMs: 110_000, maxOldSpaceMb: 512 });
    const t = totals(r.summaries);
    console.log(`malformed-input fuzz: seeds ${first}..${first + CASES - 1}: ${t.cases} cases (fn ${t.fn}, shared ${t.shared}, setValue ${t.setValue}, arange ${t.arange}, run-time values ${t.runtime}), ${t.failures} failures`);
    expect(r.problems.slice(0, 5), r.problems.slice(0, 5).join('\n')).toEqual([]);
    expect(t.cases).toBe(CASES);
  });
});
