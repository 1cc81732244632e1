/**
 * The published package, as a user gets it: `npm pack`, unpack into a new project's node_modules
 * (its dependencies linked from this checkout, so no registry is needed), run the install script
 * as npm does, then load it from ESM, CommonJS and TypeScript projects and run an example.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error: a plain .mjs script without declarations
import { inspect, problems } from '../../../native/prebuild.mjs';

const root = resolve(__dirname, '../../..');
const platform = `${process.platform}-${process.arch}`;
const prebuild = join(root, 'prebuilds', platform, 'node.napi.glibc.node');
const ready = existsSync(join(root, 'dist/lib/index.js')) && existsSync(prebuild);
const tsc = join(root, 'node_modules/typescript/bin/tsc');

const made: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};

/** A project whose node_modules holds the unpacked tarball and links to theanode's dependencies. */
async function makeProject(tarball: string, { withPrebuilds = true } = {}): Promise<{ project: string; pkg: string }> {
  const project = tempDir('theanode-user-');
  const pkg = join(project, 'node_modules/theanode');
  mkdirSync(pkg, { recursive: true });
  await run('tar', ['xzf', tarball, '-C', pkg, '--strip-components=1']);
  if (!withPrebuilds) rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
  for (const dep of ['node-gyp-build', 'node-addon-api', 'cmake-js', 'typescript', '@types']) {
    symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module' }));
  return { project, pkg };
}

// Asynchronous, so that the test worker's event loop stays free while the children run.
const run = promisify(execFile);
const node = (args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) => run(process.execPath, args, { cwd, encoding: 'utf8', env: { ...env, THEANODE_BACKEND: '' } });

describe.runIf(ready)('package', () => {
  let tarball = '';
  let files: string[] = [];
  beforeAll(async () => {
    const out = tempDir('theanode-pack-');
    await run('npm', ['pack', '--pack-destination', out], { cwd: root });
    tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
    files = (await run('tar', ['tzf', tarball], { encoding: 'utf8' })).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  });
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('ships the library, its sources to build from, the examples and the legal files, and nothing else', () => {
    for (const f of ['LICENSE', 'README.md', 'CHANGELOG.md', 'CMakeLists.txt', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/examples/logreg-seed.js', 'native/install.mjs', 'native/build.mjs', 'native/src/addon.cc', `prebuilds/${platform}/node.napi.glibc.node`]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(build|test|bench|node_modules|native\/memcheck|docs)\//.test(f))).toEqual([]);
  });

  it('has a prebuild without RUNPATH that needs nothing newer than glibc 2.17 and GCC 6\'s libstdc++', () => {
    const found = inspect(prebuild);
    expect(found.runpath).toBeUndefined();
    expect(problems(found)).toEqual([]);
  });

  it('uses the prebuild at install and loads it from ESM and CommonJS', async () => {
    const { project, pkg } = await makeProject(tarball);
    expect((await node(['native/install.mjs'], pkg)).stdout).toContain(`using the prebuilt native addon for ${platform}`);
    expect(existsSync(join(pkg, 'build'))).toBe(false);
    writeFileSync(join(project, 'esm.mjs'), `
      import { T, fn, backendInfo } from 'theanode';
      const x = T.vector('x');
      const f = fn([x], x.mul(2).sum());
      console.log(JSON.stringify({ backend: f.backend, info: backendInfo().backend, value: f([1, 2, 3]).item() }));`);
    expect(JSON.parse((await node(['esm.mjs'], project)).stdout)).toEqual({ backend: 'native', info: 'native', value: 12 });
    writeFileSync(join(project, 'cjs.cjs'), `
      const { T, fn } = require('theanode');
      const x = T.vector('x');
      const f = fn([x], x.sub(1).sum());
      console.log(JSON.stringify({ backend: f.backend, value: f([1, 2, 3]).item() }));`);
    expect(JSON.parse((await node(['cjs.cjs'], project)).stdout)).toEqual({ backend: 'native', value: 3 });
  });

  it('installs without cmake where no prebuild fits, and says how to build', async () => {
    const { pkg } = await makeProject(tarball, { withPrebuilds: false });
    const bin = tempDir('theanode-bin-');
    symlinkSync(process.execPath, join(bin, 'node'));
    const out = (await node(['native/install.mjs'], pkg, { ...process.env, PATH: bin })).stdout;
    expect(out).toMatch(new RegExp(`no prebuilt addon loads on ${platform} and it cannot be built here \\(cmake and a C\\+\\+17 compiler not found\\); the js backend will be used`));
    expect(out).toContain('npm rebuild theanode');
    expect(existsSync(join(pkg, 'build'))).toBe(false);
  });

  it('serves TypeScript projects: ESM emitting declarations, CommonJS with nodenext, CommonJS node16 through import()', async () => {
    const { project } = await makeProject(tarball);
    const model = `
      import { T, shared, fn, grad, array } from 'theanode';
      export const x = T.matrix('x');
      export const xType = x.type;
      export const data = array([1, 2, 3]).data;
      export const w = shared(array([0.5, -0.5]), 'w');
      export const predict = fn([x], T.dot(x, w));
      export const [gw] = grad(T.dot(x, w).sum(), [w]);
      console.log(JSON.stringify(predict([[1, 2], [3, 4]]).toArray()));`;
    const dynamic = `
      import type { NDArray, Variable } from 'theanode' with { 'resolution-mode': 'import' };
      export async function run(): Promise<number[]> {
        const { T, fn } = await import('theanode');
        const x: Variable = T.vector('x');
        const y: NDArray = fn([x], x.mul(2))([1, 2]);
        return Array.from(y.data);
      }
      run().then((v) => console.log(JSON.stringify(v)));`;
    const cases = [
      { dir: 'esm', type: 'module', module: 'nodenext', source: model, expected: [-0.5, -0.5] },
      { dir: 'cjs-nodenext', type: 'commonjs', module: 'nodenext', source: model, expected: [-0.5, -0.5] },
      { dir: 'cjs-node16', type: 'commonjs', module: 'node16', source: dynamic, expected: [2, 4] },
    ];
    // One `tsc -b` over the three projects: one process, the library's declarations read once.
    for (const c of cases) {
      const dir = join(project, c.dir);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: c.type }));
      writeFileSync(join(dir, 'model.ts'), c.source);
      const compilerOptions = { module: c.module, target: 'es2022', strict: true, skipLibCheck: true, composite: true, declaration: true, outDir: 'out', types: ['node'] };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['model.ts'] }));
    }
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ files: [], references: cases.map((c) => ({ path: c.dir })) }));
    const compiled = await run(process.execPath, [tsc, '-b', '.'], { cwd: project, encoding: 'utf8' }).catch((e) => e);
    expect(compiled.stdout).toBe('');
    for (const c of cases) expect(JSON.parse((await node(['out/model.js'], join(project, c.dir))).stdout), c.dir).toEqual(c.expected);
  });

  it('runs the seed example from the package', async () => {
    const { pkg } = await makeProject(tarball);
    const out = (await node(['dist/examples/logreg-seed.js'], pkg, { ...process.env, STEPS: '300' })).stdout;
    expect(out).toMatch(/accuracy on D: 400\/400 \(100\.0%\)/);
  });
});
