/**
 * Ordering work on shared variables: async calls that touch the same shared variables run one
 * at a time, in call order, and setValue() of a variable with such calls pending is queued
 * behind them. A synchronous call cannot wait, so one made while async calls that use the same
 * variables are pending is refused (assertNoPendingCalls) rather than run out of order.
 */
import type { SharedVariable } from '../graph/variable.js';

const tails = new WeakMap<SharedVariable, Promise<unknown>>();
const pending = new WeakMap<SharedVariable, number>();

function track(shared: readonly SharedVariable[], delta: number): void {
  for (const s of shared) {
    const n = (pending.get(s) ?? 0) + delta;
    if (n > 0) pending.set(s, n);
    else pending.delete(s);
  }
}

export function serialize<R>(shared: readonly SharedVariable[], work: () => R | Promise<R>): Promise<R> {
  const before = shared.map((s) => tails.get(s)).filter((p): p is Promise<unknown> => !!p);
  // Yield to the event loop first, so even pure-JS calls let pending timers and I/O run.
  const start = Promise.all(before.map((p) => p.catch(() => undefined))).then(() => new Promise<void>((r) => setImmediate(r)));
  const result = start.then(work);
  track(shared, 1);
  const done = result.then(
    () => track(shared, -1),
    () => track(shared, -1),
  );
  for (const s of shared) tails.set(s, done);
  return result;
}

/** How many queued or running async operations use `s`. */
export function pendingCalls(s: SharedVariable): number {
  return pending.get(s) ?? 0;
}

/** Run `apply` now when nothing is pending on `s`, else after everything queued on it so far. */
export function afterPendingCalls(s: SharedVariable, apply: () => void): void {
  if (pendingCalls(s) === 0) apply();
  else void serialize([s], apply);
}

/** Refuse a synchronous call that would overtake async work queued on its shared variables. */
export function assertNoPendingCalls(shared: readonly SharedVariable[], where: string): void {
  for (const s of shared) {
    const n = pendingCalls(s);
    if (n > 0) {
      throw new Error(
        `${where}: called synchronously while ${n} async operation(s) using shared variable ${s.name ?? '(unnamed)'} are pending; ` +
          'a synchronous call cannot wait for them, so await them first (or call f.async)',
      );
    }
  }
}
