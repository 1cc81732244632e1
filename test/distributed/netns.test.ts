/**
 * Two machines, simulated: two network namespaces joined by a veth pair (.ci/netns-mpi.sh), one
 * rank in each, Open MPI over TCP with shared memory off and its daemon started in the other
 * namespace instead of over ssh. The ranks must train to the same parameters as one process.
 * Runs only as root where `ip netns` works (skipped with the reason otherwise).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { bundleDriver, removeDriver } from '../fuzz/harness.js';
import { describeRun, mpiMissing, mpirun, root } from './mpirun.js';

const script = resolve(root, '.ci/netns-mpi.sh');
const tag = `thn${process.pid % 100000}`;
const run = promisify(execFile);

function netnsMissing(): string | null {
  const mpi = mpiMissing();
  if (mpi) return mpi;
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'the ip command (iproute2) is missing';
  const probe = spawnSync('ip', ['netns', 'add', `${tag}probe`], { encoding: 'utf8' });
  if (probe.status !== 0) return `ip netns does not work here: ${(probe.stderr || '').trim()}`;
  spawnSync('ip', ['netns', 'del', `${tag}probe`]);
  return null;
}

const missing = netnsMissing();
if (missing) console.log(`skipping the two-namespace MPI test: ${missing}`);

const TIMEOUT = 180_000;
let driver = '';

describe.skipIf(!!missing)('two ranks in two network namespaces, over TCP', () => {
  beforeAll(async () => {
    await run(script, ['up', tag]);
    driver = await bundleDriver('test/distributed/train_driver.ts');
  }, TIMEOUT);
  afterAll(async () => {
    removeDriver(driver);
    await run(script, ['down', tag]);
  });

  it('each rank runs in its own namespace', async () => {
    const r = await mpirun(2, '', [], { timeoutMs: TIMEOUT, command: [script, 'run', tag, 'sh', '-c', 'echo "{\\"rank\\":$OMPI_COMM_WORLD_RANK,\\"addr\\":\\"$(ip -o -4 addr show | grep -o "10\\.77\\.0\\.[0-9]*")\\"}"'] });
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.ranks.map((o) => o.addr)).toEqual(['10.77.0.1', '10.77.0.2']);
  }, TIMEOUT);

  for (const backend of ['native', 'js']) {
    it(`training on ${backend} ends where one process ends`, async () => {
      const r = await mpirun(2, '', [], { timeoutMs: TIMEOUT, command: [script, 'run', tag, process.execPath, driver, 'train', backend, 'float64'] });
      expect(r.code, describeRun(r)).toBe(0);
      const [a, b] = r.ranks as { distributed: number[][]; alone: number[][]; allreduces: number }[];
      expect(a.allreduces).toBe(1);
      expect(b.distributed).toEqual(a.distributed);
      a.distributed.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - a.alone[i][j])).toBeLessThan(1e-12 + 1e-10 * Math.abs(a.alone[i][j]))));
    }, TIMEOUT);
  }

  it('a bad input on the remote rank fails both ranks with an Error', async () => {
    const r = await mpirun(2, '', [], { timeoutMs: TIMEOUT, command: [script, 'run', tag, process.execPath, driver, 'bad-input', 'native', 'float64'] });
    expect(r.timedOut, describeRun(r)).toBe(false);
    expect(r.code).not.toBe(0);
    expect((r.ranks[0] as { error: string }).error).toMatch(/allreduce: rank 1 failed/);
    expect((r.ranks[1] as { error: string }).error).toMatch(/dot: shapes/);
  }, TIMEOUT);
});
