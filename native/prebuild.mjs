// Writes prebuilds/<platform>-<arch>/node.napi.<libc>.node, the layout prebuildify produces and
// node-gyp-build loads. prebuildify itself always drives node-gyp and cannot drive cmake-js,
// so this builds with cmake-js and places the binary the same way.
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, root } from './build.mjs';

build();
const built = join(root, 'build/Release/theanode.node');
const libc = process.platform === 'linux' ? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc') : '';
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, `node.napi${libc ? '.' + libc : ''}.node`);
copyFileSync(built, target);
console.log(`prebuild written: ${target}`);
