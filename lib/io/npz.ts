/** numpy's .npz: a zip archive of .npy files, one per named array. */
import { NDArray } from '../ndarray/ndarray.js';
import { encodeNpy, parseNpy, readFileOrThrow } from './npy.js';
import { readZip, writeZip } from './zip.js';
import { writeFileAtomic } from './atomic.js';
import { ByteBudget, LoadOptions, checkFileSize } from './limits.js';

/**
 * The arrays of an .npz file by name (without the .npy suffix), as np.load(...) gives them.
 * @example const { W, b } = io.loadNpz('model.npz');
 */
export function loadNpz(path: string, opts: LoadOptions = {}): Record<string, NDArray> {
  const budget = new ByteBudget(path, opts);
  checkFileSize(path, budget);
  // No prototype: an entry named "__proto__" or "constructor" is just an array.
  const out: Record<string, NDArray> = Object.create(null);
  for (const e of readZip(readFileOrThrow(path), path, budget)) {
    const name = e.name.endsWith('.npy') ? e.name.slice(0, -4) : e.name;
    if (name in out) throw new Error(`${path}: two entries hold the array ${name}`);
    out[name] = parseNpy(e.data, `${path}[${name}]`, budget);
  }
  return out;
}

/** Options of {@link saveNpz}. */
export interface SaveNpzOptions {
  /** Deflate the entries, as np.savez_compressed. */
  compressed?: boolean;
}

/**
 * Write named arrays as an .npz that np.load reads; atomic (the old file survives a failure).
 * @example io.saveNpz('model.npz', { W: W.getValue(), b: b.getValue() }, { compressed: true });
 */
export function saveNpz(path: string, arrays: Record<string, NDArray>, opts: SaveNpzOptions = {}): void {
  const entries = Object.entries(arrays).map(([name, a]) => {
    if (!(a instanceof NDArray)) throw new TypeError(`saveNpz(${path}): ${name} is not an NDArray`);
    if (name.length === 0) throw new Error(`saveNpz(${path}): array names must not be empty`);
    return { name: `${name}.npy`, data: encodeNpy(a) };
  });
  writeFileAtomic(path, writeZip(entries, !!opts.compressed));
}
