/**
 * io: numpy's .npy/.npz and the MNIST IDX format.
 * @module
 */
export { loadNpy, saveNpy, parseNpy, encodeNpy } from './npy.js';
export { loadNpz, saveNpz } from './npz.js';
export type { SaveNpzOptions } from './npz.js';
export { loadIdx, parseIdx } from './idx.js';
export type { LoadOptions } from './limits.js';
