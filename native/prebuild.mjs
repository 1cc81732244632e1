// Writes prebuilds/<platform>-<arch>/node.napi.<libc>.node, the layout prebuildify produces and
// node-gyp-build loads. prebuildify itself always drives node-gyp and cannot drive cmake-js,
// so this builds with cmake-js and places the binary the same way.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const env = { ...process.env };
if (!env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) env.npm_config_nodedir = '/usr';
execFileSync(process.execPath, [join(root, 'node_modules/cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit', env });
const built = join(root, 'build/Release/theanode.node');
const libc = process.platform === 'linux' ? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc') : '';
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, `node.napi${libc ? '.' + libc : ''}.node`);
copyFileSync(built, target);
console.log(`prebuild written: ${target}`);
