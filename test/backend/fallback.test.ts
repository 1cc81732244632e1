/** Without the addon everything runs on js, and one warning says why. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { explainLoadError } from '../../binding/index.js';

const root = resolve(__dirname, '../..');

describe('js fallback', () => {
  it.runIf(existsSync(join(root, 'dist/lib/index.js')))('runs on js with a single warning when the addon cannot be used', () => {
    const script = `
      import { T, fn, backendInfo } from './dist/lib/index.js';
      const x = T.vector('x');
      const f = fn([x], x.mul(2).sum());
      const g = fn([x], x.add(1));
      console.log(JSON.stringify({ backend: f.backend, g: g.backend, info: backendInfo().backend, reason: f.backendReason, value: f([1, 2]).item() }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, THEANODE_NO_NATIVE: '1', THEANODE_BACKEND: '' },
    });
    expect(run.stderr.match(/theanode: using the js backend because the native addon cannot be used: THEANODE_NO_NATIVE is set/g)).toHaveLength(1);
    expect(JSON.parse(run.stdout.trim())).toEqual({ backend: 'js', g: 'js', info: 'js', reason: 'THEANODE_NO_NATIVE is set', value: 6 });
  });

  it('names the missing library and the Debian package that provides it', () => {
    const msg = explainLoadError('libopenblas.so.0: cannot open shared object file: No such file or directory');
    expect(msg).toMatch(/libopenblas\.so\.0: cannot open shared object file/);
    expect(msg).toMatch(/apt-get install libopenblas0/);
    expect(explainLoadError('No native build was found for platform=linux')).toMatch(/npm run build:native/);
  });
});
