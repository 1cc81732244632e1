/**
 * The published package: `npm pack`, install the tarball into an empty project without running
 * any install script, and check that the native backend loads there from prebuilds/.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nativeStatus } from '../../../lib/backend/native/index.js';

const root = resolve(__dirname, '../../..');
const built = existsSync(join(root, 'dist/lib/index.js')) && existsSync(join(root, 'build/Release/theanode.node'));

describe.runIf(nativeStatus().available && built)('package', () => {
  it('installs from its tarball and loads the native backend from the prebuild', () => {
    const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    npm(['run', 'prebuild'], root);
    const out = mkdtempSync(join(tmpdir(), 'theanode-pack-'));
    npm(['pack', '--pack-destination', out], root);
    const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toMatch(/^theanode-.*\.tgz$/);
    const project = mkdtempSync(join(tmpdir(), 'theanode-user-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module' }));
    npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', join(out, tarball)], project);
    expect(existsSync(join(project, 'node_modules/theanode/prebuilds/linux-x64/node.napi.glibc.node'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/theanode/build'))).toBe(false);
    const script = `
      import { T, fn, backendInfo } from 'theanode';
      const x = T.vector('x');
      const f = fn([x], x.mul(2).sum());
      console.log(JSON.stringify({ backend: f.backend, info: backendInfo().backend, value: f([1, 2, 3]).item() }));
    `;
    writeFileSync(join(project, 'check.mjs'), script);
    const result = JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: project, encoding: 'utf8' }).trim());
    expect(result).toEqual({ backend: 'native', info: 'native', value: 12 });
  });
});
