/** Without the addon everything runs on js: one warning when it cannot load, none when it is turned off. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { explainLoadError, nativeDisabledBy } from '../../binding/index.js';

const root = resolve(__dirname, '../..');
const built = existsSync(join(root, 'dist/lib/index.js'));
const addonBuilt = existsSync(join(root, 'build/Release/theanode.node'));

const script = `
  import { T, fn, backendInfo } from './dist/lib/index.js';
  const x = T.vector('x');
  const f = fn([x], x.mul(2).sum());
  const g = fn([x], x.add(1));
  console.log(JSON.stringify({ backend: f.backend, g: g.backend, info: backendInfo().backend, reason: backendInfo().reason, value: f([1, 2]).item() }));
`;

// Asynchronous, so that the test worker's event loop stays free while the child runs.
async function run(cwd: string, noNative?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, THEANODE_BACKEND: '' };
  delete env.THEANODE_NO_NATIVE;
  // The copy must look for its own addon (not a sanitizer build named by the environment).
  delete env.THEANODE_ADDON_PATH;
  if (noNative !== undefined) env.THEANODE_NO_NATIVE = noNative;
  const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', env });
  return { stderr: r.stderr, result: JSON.parse(r.stdout.trim()) };
}

describe.runIf(built)('js fallback', () => {
  it('runs on js without a warning when THEANODE_NO_NATIVE=1 chooses it, and says why in backendInfo', async () => {
    for (const value of ['1', 'true', 'TRUE']) {
      const { stderr, result } = await run(root, value);
      expect(stderr).not.toMatch(/warning/i);
      expect(result).toEqual({ backend: 'js', g: 'js', info: 'js', reason: `turned off by THEANODE_NO_NATIVE=${value}`, value: 6 });
    }
  });

  it.runIf(addonBuilt)('keeps the native backend for THEANODE_NO_NATIVE=0, false or empty', async () => {
    for (const value of ['0', 'false', '']) expect((await run(root, value)).result.backend).toBe('native');
  });

  it('warns once, naming the build script, when the addon cannot load', async () => {
    // A copy of the package without build/ or prebuilds/: what a user gets where no prebuild fits.
    const copy = mkdtempSync(join(tmpdir(), 'theanode-noaddon-'));
    try {
      for (const part of ['package.json', 'dist/lib', 'dist/binding']) cpSync(join(root, part), join(copy, part), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
      const { stderr, result } = await run(copy);
      const warnings = stderr.match(/theanode: using the js backend because the native addon cannot be used: No native build was found/g);
      expect(warnings).toHaveLength(1);
      expect(stderr).toContain(`node ${join(copy, 'native/build.mjs')}`);
      expect(result).toMatchObject({ backend: 'js', g: 'js', info: 'js', value: 6 });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('loader', () => {
  it('turns native off only for THEANODE_NO_NATIVE=1 or true', () => {
    expect([undefined, '', '0', 'false', 'no', '2'].map(nativeDisabledBy)).toEqual([false, false, false, false, false, false]);
    expect(['1', 'true', 'True', ' 1 '].map(nativeDisabledBy)).toEqual([true, true, true, true]);
  });

  it('names the missing library and the Debian package that provides it', () => {
    const msg = explainLoadError('libopenblas.so.0: cannot open shared object file: No such file or directory');
    expect(msg).toMatch(/libopenblas\.so\.0: cannot open shared object file/);
    expect(msg).toMatch(/apt-get install libopenblas0/);
    expect(explainLoadError('No native build was found for platform=linux', '/srv/app/node_modules/theanode')).toMatch(
      /Build it with `node \/srv\/app\/node_modules\/theanode\/native\/build\.mjs` \(needs cmake/,
    );
  });
});
