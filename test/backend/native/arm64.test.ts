/**
 * The linux-arm64 prebuild (`npm run build:prebuild:arm64`), loaded by Debian's arm64 Node.js
 * under qemu-user-static (root made by native/cross/arm64-root.sh): it must load without a
 * RUNPATH, run on the native backend, agree with the js backend and report errors as errors.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
// @ts-expect-error: a plain .mjs script without declarations
import { inspect, problems } from '../../../native/prebuild.mjs';

const root = resolve(__dirname, '../../..');
const prebuild = join(root, 'prebuilds/linux-arm64/node.napi.glibc.node');
const armRoot = join(root, 'build-prebuild/arm64-root');
const qemu = '/usr/bin/qemu-aarch64-static';
const ready = [prebuild, join(armRoot, 'usr/bin/node'), qemu, join(root, 'dist/lib/index.js')].every(existsSync);

const check = `
  import { T, fn, grad, shared, backendInfo, random } from './dist/lib/index.js';
  const rng = new random.RandomState(0);
  const X = rng.randn(50, 20), y = rng.randint(0, 2, [50]);
  const x = T.matrix('x'), t = T.vector('t');
  const w = shared(rng.randn(20), 'w');
  const cost = T.nnet.binaryCrossentropy(T.nnet.sigmoid(T.dot(x, w)), t).mean();
  const [gw] = grad(cost, [w]);
  const costs = {}, sums = {};
  const A = rng.randn(200, 150);
  for (const backend of ['native', 'js']) {
    w.setValue(new random.RandomState(7).randn(20));
    const train = fn([x, t], cost, { updates: [[w, w.sub(gw.mul(0.5))]], backend });
    for (let i = 0; i < 50; i++) costs[backend] = train(X, y).item();
    sums[backend] = fn([x], T.nnet.softmax(T.dot(x, x.T)).max(1).sum(), { backend })(A).item();
  }
  let error = '';
  try { fn([x], T.dot(x, x), { backend: 'native', name: 'square' })(rng.randn(3, 4)); } catch (e) { error = e.message; }
  const info = backendInfo();
  console.log(JSON.stringify({ arch: process.arch, backend: info.backend, blasCore: info.blasCore, reason: info.reason, costs, sums, error }));
`;

describe.runIf(ready)('linux-arm64 prebuild under qemu', () => {
  it('needs nothing newer than the baseline and has no RUNPATH', () => {
    expect(problems(inspect(prebuild))).toEqual([]);
  });

  it('loads in arm64 Node.js, runs natively and agrees with the js backend', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'theanode-arm64-'));
    try {
      for (const part of ['package.json', 'dist/lib', 'dist/binding']) cpSync(join(root, part), join(pkg, part), { recursive: true });
      mkdirSync(join(pkg, 'prebuilds/linux-arm64'), { recursive: true });
      cpSync(prebuild, join(pkg, 'prebuilds/linux-arm64/node.napi.glibc.node'));
      symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
      writeFileSync(join(pkg, 'check.mjs'), check);
      const env = { ...process.env, THEANODE_BACKEND: '', THEANODE_NO_NATIVE: '', OPENBLAS_CORETYPE: '' };
      const { stdout } = await promisify(execFile)(qemu, ['-L', armRoot, join(armRoot, 'usr/bin/node'), 'check.mjs'], { cwd: pkg, env, encoding: 'utf8' });
      const r = JSON.parse(stdout);
      expect(r).toMatchObject({ arch: 'arm64', backend: 'native' });
      expect(r.blasCore).toMatch(/\S/);
      expect(Math.abs(r.costs.native - r.costs.js)).toBeLessThan(1e-10 * Math.abs(r.costs.js));
      expect(Math.abs(r.sums.native - r.sums.js)).toBeLessThan(1e-10 * Math.abs(r.sums.js));
      expect(r.error).toMatch(/^fn 'square': dot: shapes \(3, 4\) and \(3, 4\) are not aligned/);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
