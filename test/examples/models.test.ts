/**
 * The model examples run end to end on both backends with small settings: each trains on a few
 * hundred Fashion-MNIST images (the Debian package dataset-fashion-mnist, which CI installs),
 * prints its per-epoch figures and writes its image. They run as child processes of the built
 * examples (dist/), asynchronously, so the event loop stays free.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backends } from '../scan/backends.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const data = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const haveData = existsSync(join(data, 'train-images-idx3-ubyte.gz'));
const built = existsSync(join(root, 'dist/examples/dA.js'));

function run(example: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [join(root, 'dist/examples', example), ...args], { timeout: 180_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${example}: ${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

const figures = (out: string, label: string) => [...out.matchAll(new RegExp(`${label} (-?[0-9.]+)`, 'g'))].map((m) => Number(m[1]));

describe.skipIf(!haveData || !built)('model examples (Fashion-MNIST, small settings)', () => {
  for (const backend of backends) {
    it(`dA: the reconstruction cost falls and the filters are written (${backend})`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'theanode-dA-'));
      const text = await run('dA.js', ['--epochs', '3', '--limit', '600', '--hidden', '50', '--backend', backend, '--out', out]);
      const costs = figures(text, 'reconstruction cost');
      expect(costs.length).toBe(3);
      expect(costs[2]).toBeLessThan(costs[0]);
      const png = readFileSync(join(out, 'dA-filters-corruption-0.3.png'));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    });

    it(`RBM: PCD through a scan of binomial sampling trains, printing finite pseudo-likelihoods (${backend})`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'theanode-rbm-'));
      const text = await run('rbm.js', ['--epochs', '2', '--limit', '200', '--hidden', '30', '--k', '3', '--backend', backend, '--out', out]);
      const pl = figures(text, 'pseudo-likelihood');
      expect(pl.length).toBe(2);
      pl.forEach((v) => expect(Number.isFinite(v) && v < 0).toBe(true));
      expect(existsSync(join(out, 'rbm-filters.png'))).toBe(true);
    });
  }
});
