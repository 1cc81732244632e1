/** What the install script decides, for each situation a user's machine can be in. */
import { describe, expect, it } from 'vitest';
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
