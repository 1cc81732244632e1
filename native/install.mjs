// The install script. Where a prebuilt addon loads, nothing is done. Elsewhere (another
// architecture, macOS, musl, a glibc older than the prebuild's baseline) the addon is built from
// source when cmake, a C++ compiler and a BLAS are there. The install never fails because of the
// addon: without one, theanode runs on its js backend and says why once, when it first compiles.
import { spawnSync } from 'node:child_process';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, missingTools, root } from './build.mjs';

/** Loads the addon the way the package will, in a child process (a bad binary cannot take the install down). */
export function addonLoads() {
  const script = `require('node-gyp-build')(${JSON.stringify(root)})`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, error: (r.stderr || '').trim().split('\n').find((l) => /Error/.test(l)) ?? '' };
}

/**
 * What to do: 'skip' (turned off, or a development checkout, where `npm run build` builds),
 * 'ready' (an addon loads), 'build', or 'none' (tools missing).
 */
export function decide({ env = process.env, dir = root, loads = () => addonLoads().ok, missing = missingTools } = {}) {
  if (/^(1|true)$/i.test(env.THEANODE_NO_NATIVE ?? '')) return { action: 'skip', why: 'THEANODE_NO_NATIVE is set' };
  const installed = dir.split(sep).includes('node_modules');
  if (!installed && !/^(1|true)$/i.test(env.THEANODE_BUILD_FROM_SOURCE ?? '')) return { action: 'skip', why: 'a development checkout: `npm run build` builds the addon' };
  if (!/^(1|true)$/i.test(env.THEANODE_BUILD_FROM_SOURCE ?? '') && loads()) return { action: 'ready' };
  const lacking = missing();
  if (lacking.length > 0) return { action: 'none', why: `${lacking.join(' and ')} not found` };
  return { action: 'build' };
}

function main() {
  const say = (m) => console.log(`theanode: ${m}`);
  const platform = `${process.platform}-${process.arch}`;
  const d = decide();
  if (d.action === 'skip') return say(`native addon not built (${d.why})`);
  if (d.action === 'ready') return say(`using the prebuilt native addon for ${platform}`);
  const help = 'the js backend will be used. To build the native addon, install cmake, a C++17 compiler and OpenBLAS (Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev; macOS: brew install cmake openblas), then run `npm rebuild theanode`.';
  if (d.action === 'none') return say(`no prebuilt addon loads on ${platform} and it cannot be built here (${d.why}); ${help}`);
  say(`no prebuilt addon loads on ${platform}; building it from source (cmake-js)...`);
  try {
    build({ quiet: true });
  } catch (e) {
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').filter((l) => /error|not found|could not/i.test(l)).slice(0, 8);
    return say(`the source build failed; ${help}\n${output.join('\n')}`);
  }
  const check = addonLoads();
  say(check.ok ? `native addon built for ${platform}` : `the addon was built but does not load (${check.error}); ${help}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
