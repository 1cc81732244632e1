/** What the install script decides, for each situation a user's machine can be in; the build script without cmake. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
// @ts-expect-error: a plain .mjs script without declarations
import { decide } from '../../../native/install.mjs';

const installed = '/srv/app/node_modules/theanode';
const never = () => {
  throw new Error('not consulted');
};

describe('install script', () => {
  it('does nothing where a prebuild loads', () => {
    expect(decide({ env: {}, dir: installed, loads: () => true, missing: never })).toEqual({ action: 'ready' });
  });

  it('builds from source where no prebuild loads and the tools are there', () => {
    expect(decide({ env: {}, dir: installed, loads: () => false, missing: () => [] })).toEqual({ action: 'build' });
    expect(decide({ env: { THEANODE_BUILD_FROM_SOURCE: '1' }, dir: installed, loads: never, missing: () => [] })).toEqual({ action: 'build' });
  });

  it('says what is missing, without failing, where it cannot build', () => {
    expect(decide({ env: {}, dir: installed, loads: () => false, missing: () => ['cmake'] })).toEqual({ action: 'none', why: 'cmake not found' });
  });

  it('skips a development checkout and a user who turned the addon off', () => {
    expect(decide({ env: {}, dir: '/home/me/theanode', loads: never, missing: never }).action).toBe('skip');
    expect(decide({ env: { THEANODE_NO_NATIVE: 'true' }, dir: installed, loads: never, missing: never })).toEqual({ action: 'skip', why: 'THEANODE_NO_NATIVE is set' });
    expect(decide({ env: { THEANODE_NO_NATIVE: '0' }, dir: installed, loads: () => true, missing: never })).toEqual({ action: 'ready' });
  });
});

describe('build script without cmake', () => {
  const root = resolve(__dirname, '../../..');
  const withoutTools = async (args: string[]) => {
    const bin = mkdtempSync(join(tmpdir(), 'theanode-bin-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    try {
      return await promisify(execFile)(process.execPath, [join(root, 'native/build.mjs'), ...args], { cwd: root, env: { ...process.env, PATH: bin }, encoding: 'utf8' }).then(
        (r) => ({ code: 0, ...r }),
        (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  };

  it('skips the addon with a message and succeeds for `npm run build`', async () => {
    const r = await withoutTools(['--if-possible']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^theanode: native addon skipped \(cmake and a C\+\+17 compiler not found\); the js backend will be used/);
  });

  it('fails, saying what is missing, for `npm run build:native`', async () => {
    const r = await withoutTools([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot build the native addon: cmake and a C\+\+17 compiler not found \(Debian\/Ubuntu: apt-get install cmake g\+\+ libopenblas-dev\)/);
  });
});
