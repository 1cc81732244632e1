/** Saving and restoring a model's shared variables as one .npz file (numpy can read it too). */
import type { SharedVariable } from '../graph/variable.js';
import { saveNpz, loadNpz } from '../io/index.js';
import type { NDArray } from '../ndarray/ndarray.js';

/** Parameters to save or load: shared variables by name, or a list of named shared variables. */
export type Params = Record<string, SharedVariable> | readonly SharedVariable[];

function entries(params: Params): [string, SharedVariable][] {
  if (Array.isArray(params)) {
    return (params as SharedVariable[]).map((p, i) => {
      if (!p.name) throw new Error(`saveParams: params[${i}] has no name; name it (shared(value, 'w')) or pass an object {name: variable}`);
      return [p.name, p];
    });
  }
  return Object.entries(params as Record<string, SharedVariable>);
}

/**
 * Write every parameter's value to `path` (atomically: the old file stays whole if this fails).
 * @example training.saveParams('model.npz', { W, b });
 */
export function saveParams(path: string, params: Params, extra: Record<string, NDArray> = {}): void {
  const arrays: Record<string, NDArray> = { ...extra };
  const seen = new Set<string>();
  for (const [name, p] of entries(params)) {
    if (seen.has(name)) throw new Error(`saveParams: two parameters are named ${name}`);
    seen.add(name);
    arrays[name] = p.getValue();
  }
  saveNpz(path, arrays);
}

/**
 * Set every parameter from `path`; all are checked before any is changed. Returns the file's other arrays.
 * @example training.loadParams('model.npz', { W, b });  // sets W and b
 */
export function loadParams(path: string, params: Params): Record<string, NDArray> {
  const arrays = loadNpz(path) as Record<string, NDArray>;
  const list = entries(params);
  for (const [name] of list) {
    if (!(name in arrays)) throw new Error(`loadParams: ${path} has no array named ${name} (it has: ${Object.keys(arrays).join(', ')})`);
  }
  // Check every value against its variable first, so a bad file changes nothing.
  const olds = list.map(([, p]) => p.getValue());
  try {
    for (const [name, p] of list) p.setValue(arrays[name]);
  } catch (e) {
    list.forEach(([, p], i) => p.setValue(olds[i]));
    throw new Error(`loadParams: ${path}: ${(e as Error).message}`);
  }
  const rest: Record<string, NDArray> = {};
  for (const [k, v] of Object.entries(arrays)) if (!list.some(([n]) => n === k)) rest[k] = v;
  return rest;
}
