/**
 * Native calls in flight when their JavaScript side goes away: a worker thread terminated
 * mid-f.async, and process.exit with calls in flight. Each runs in a child process, since the
 * failure this guards against is an abort of the whole process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { bundleDriver, removeDriver, describeChild, runChild } from '../../fuzz/harness.js';

describe.runIf(nativeStatus().available)('native teardown', () => {
  let driver = '';
  beforeAll(async () => {
    driver = await bundleDriver('test/backend/native/teardown_driver.ts');
  });
  afterAll(() => removeDriver(driver));

  it('survives worker.terminate() while f.async calls are in flight', async () => {
    for (let round = 0; round < 3; round++) {
      const r = await runChild(driver, ['terminate'], { timeoutMs: 60_000 });
      expect(r.code, describeChild(r, `terminate round ${round}`)).toBe(0);
      expect(r.stdout.trim()).toBe('ok 6');
    }
  });

  it('exits cleanly when process.exit() is called with calls in flight', async () => {
    const r = await runChild(driver, ['exit'], { timeoutMs: 60_000 });
    expect(r.code, describeChild(r, 'process.exit')).toBe(0);
    expect(r.stdout.trim()).toBe('ok exit');
  });
});
