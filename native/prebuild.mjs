// Writes prebuilds/linux-<arch>/node.napi.glibc.node, the layout prebuildify produces and
// node-gyp-build loads (prebuildify itself always drives node-gyp, never cmake-js). The binary is
// built portable (see CMakeLists.txt) in its own build directory, then checked: no RUNPATH, and
// no glibc or libstdc++ symbol newer than the baseline the README states.
//   node native/prebuild.mjs               this machine's architecture
//   node native/prebuild.mjs --arch arm64  cross-compiled (Debian: crossbuild-essential-arm64, libopenblas-dev:arm64)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, root } from './build.mjs';

/** The newest symbol versions a prebuild may need: glibc 2.17, libstdc++ of GCC 6. */
export const baseline = { GLIBC: '2.17', GLIBCXX: '3.4.22', CXXABI: '1.3.10' };

const newer = (a, b) => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/** RUNPATH and the newest required version of each of glibc, libstdc++ and the C++ ABI. */
export function inspect(file) {
  const dynamic = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
  const runpath = /^\s*(?:RUNPATH|RPATH)\s+(\S+)/m.exec(dynamic)?.[1];
  const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const needs = {};
  for (const [, lib, version] of symbols.matchAll(/\((GLIBC|GLIBCXX|CXXABI)_([0-9.]+)\)/g)) {
    if (!needs[lib] || newer(version, needs[lib])) needs[lib] = version;
  }
  return { runpath, needs };
}

/** Problems that would keep `file` from loading on a baseline system ([] when there are none). */
export function problems({ runpath, needs }) {
  const found = runpath ? [`RUNPATH ${runpath}`] : [];
  for (const [lib, version] of Object.entries(needs)) if (newer(version, baseline[lib])) found.push(`${lib}_${version} (baseline ${baseline[lib]})`);
  return found;
}

function main(argv) {
  const arch = argv.includes('--arch') ? argv[argv.indexOf('--arch') + 1] : process.arch;
  if (process.platform !== 'linux') throw new Error('prebuilds are made on Linux (glibc); elsewhere the install script builds from source');
  const cross = arch !== process.arch;
  if (cross && arch !== 'arm64') throw new Error(`no cross toolchain for ${arch} (only arm64)`);
  const built = build({ out: `build-prebuild/${arch}`, portable: true, toolchain: cross ? 'native/cross/aarch64-linux-gnu.cmake' : undefined });
  const found = problems(inspect(built));
  if (found.length > 0) throw new Error(`${built} would not load on the baseline: ${found.join(', ')}`);
  const dir = join(root, 'prebuilds', `linux-${arch}`);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'node.napi.glibc.node');
  copyFileSync(built, target);
  console.log(`prebuild written: ${target} (needs ${Object.entries(inspect(target).needs).map(([l, v]) => `${l}_${v}`).join(', ')})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
