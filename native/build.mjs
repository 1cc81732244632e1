// Builds the addon with cmake-js (Release). Used by `npm run build:native` (fails loudly), by
// `npm run build` (--if-possible: without cmake or a BLAS the TypeScript still builds, and this
// says the addon was skipped), by the install script, and by the prebuild script (--portable).
// cmake-js is resolved from wherever npm put it (hoisted into the user's node_modules when
// theanode is a dependency). package.json's `binary.napi_versions` makes cmake-js take the
// Node-API headers from the node-api-headers package, so no header download is needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

/** The first of `names` that runs with `--version`, or undefined. */
export function findTool(names) {
  for (const name of names.filter(Boolean)) {
    const r = spawnSync(name, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return name;
  }
  return undefined;
}

/** What is missing to build from source: [] when cmake and a C++ compiler are there. */
export function missingTools() {
  const missing = [];
  if (!findTool(['cmake'])) missing.push('cmake');
  if (!findTool([process.env.CXX, 'c++', 'g++', 'clang++'])) missing.push('a C++17 compiler');
  return missing;
}

/**
 * Compile the addon into `out` (relative to the package root). `portable` makes the binary to
 * ship (see CMakeLists.txt); `toolchain` cross-compiles with that CMake toolchain file.
 */
export function build({ out = 'build', portable = false, toolchain, quiet = false } = {}) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const addonApi = dirname(require.resolve('node-addon-api/package.json'));
  const args = [cmakeJs, 'compile', '--directory', root, '--out', join(root, out), `--CDNODE_ADDON_API_DIR=${addonApi}`];
  if (portable) args.push('--CDTHEANODE_PORTABLE=ON');
  if (toolchain) args.push(`--CDCMAKE_TOOLCHAIN_FILE=${join(root, toolchain)}`);
  execFileSync(process.execPath, args, { cwd: root, stdio: quiet ? 'pipe' : 'inherit' });
  return join(root, out, 'Release/theanode.node');
}

function main(argv) {
  const ifPossible = argv.includes('--if-possible');
  const skipped = (why) => console.log(`theanode: native addon skipped (${why}); the js backend will be used. \`npm run build:native\` builds it once cmake, a C++17 compiler and libopenblas-dev are installed.`);
  const missing = missingTools();
  if (missing.length > 0) {
    if (ifPossible) return skipped(`${missing.join(' and ')} not found`);
    console.error(`theanode: cannot build the native addon: ${missing.join(' and ')} not found (Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev)`);
    process.exit(1);
  }
  try {
    console.log(`built ${build()}`);
  } catch (e) {
    if (!ifPossible) process.exit(1);
    skipped(`the build failed: ${e.message.split('\n')[0]}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
