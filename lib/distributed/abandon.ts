/**
 * A call of a function with collectives that fails before its native or js run (a bad argument,
 * a shape its plan rejects) must still meet its peers in each collective, with a failure flag:
 * otherwise they would wait for it forever. They then throw an Error naming this rank.
 */
import { kernelCollective } from '../ops/kernel.js';
import type { Program } from '../compile/program.js';
import type { SharedVariable } from '../graph/variable.js';
import { isInitialised, transport } from './runtime.js';

/**
 * Stands for the job's sequence of collectives in the call queue (lib/compile/queue.ts): every
 * function with a collective lists it among its shared variables, so their async calls run one
 * at a time in call order, the same order on every rank (two collectives running at once could
 * meet their peers' in another order).
 */
export const collectiveOrder = { name: "the distributed job's collectives" } as unknown as SharedVariable;

const counts = new WeakMap<Program, number>();

/** How many collective instructions `program` runs per call. */
export function collectiveCount(program: Program): number {
  let n = counts.get(program);
  if (n === undefined) counts.set(program, (n = program.instructions.filter((ins) => kernelCollective(ins.opcode)).length));
  return n;
}

/** Joins each of the call's collectives with the failure flag (when the job is running). */
export function joinAsFailed(program: Program): void {
  if (!isInitialised()) return;
  const t = transport();
  for (let i = collectiveCount(program); i > 0; i--) {
    try {
      t.allreduce(new Float64Array(0), 'sum', true);
    } catch {
      // The peers learn of the failure or are gone already: this call's own error is the one to report.
    }
  }
}

/** Runs `before` (the work of a call before its run); if it throws, joins the call's collectives as failed, then rethrows. */
export function joiningOnFailure<R>(program: Program, before: () => R): R {
  try {
    return before();
  } catch (e) {
    joinAsFailed(program);
    throw e;
  }
}
