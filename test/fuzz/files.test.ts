/**
 * Corrupt .npy, .npz and IDX(.gz) files (bit flips, overwritten bytes, truncation, appended
 * bytes, lying size/count/offset fields) against the loaders: an Error naming the file or
 * well-formed arrays (the original ones where the format is checksummed), never a crash and
 * never unbounded memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseSeed } from './random.js';
import { bundleDriver, removeDriver, runFamily, totals } from './harness.js';

const CASES = Number(process.env.THEANODE_FUZZ_CASES ?? 3000);

describe('fuzz: corrupt files', () => {
  let driver = '';
  beforeAll(async () => {
    driver = await bundleDriver('test/fuzz/files_driver.ts');
  });
  afterAll(() => removeDriver(driver));

  it(`${CASES} corrupt files give an Error naming the file or well-formed data, in bounded memory`, async () => {
    const first = baseSeed() * 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'theanode-fuzz-files-'));
    try {
      const r = await runFamily(driver, { first, cases: CASES, chunk: Math.ceil(CASES / 2), args: [dir], timeoutMs: 110_000, maxOldSpaceMb: 512 });
      const t = totals(r.summaries);
      console.log(`corrupt-file fuzz: seeds ${first}..${first + CASES - 1}: ${t.cases} cases (${t.refused} refused, ${t.loaded} loaded), peak memory ${t.maxRssMb} MB per child`);
      expect(r.problems.slice(0, 5), r.problems.slice(0, 5).join('\n')).toEqual([]);
      expect(t.cases).toBe(CASES);
      // A node process with the library loaded sits near 60-80 MB; gigabytes would show here.
      expect(t.maxRssMb).toBeLessThan(400);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
