/** Serialising async calls: calls that touch the same shared variables run one at a time, in call order. */
import type { SharedVariable } from '../graph/variable.js';

const tails = new WeakMap<SharedVariable, Promise<unknown>>();

export function serialize<R>(shared: readonly SharedVariable[], work: () => R | Promise<R>): Promise<R> {
  const before = shared.map((s) => tails.get(s)).filter((p): p is Promise<unknown> => !!p);
  // Yield to the event loop first, so even pure-JS calls let pending timers and I/O run.
  const start = Promise.all(before.map((p) => p.catch(() => undefined))).then(() => new Promise<void>((r) => setImmediate(r)));
  const result = start.then(work);
  const done = result.then(() => undefined, () => undefined);
  for (const s of shared) tails.set(s, done);
  return result;
}
