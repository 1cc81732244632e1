/**
 * The rewrite pipeline. Phases run in order, each to a fixed point (see driver.ts):
 *   canonicalize + constant folding + stabilize + merge (then loops merged with their gradient's
 *   extended copies) → one allreduce per dtype → BLAS insertion → fusion → merge.
 */
import { FunctionGraph } from '../graph/fgraph.js';
import { cloneGraph } from '../graph/clone.js';
import { Apply, Variable } from '../graph/variable.js';
import type { LocalRewrite } from './pattern.js';
import { canonicalize } from './canonicalize.js';
import { stabilize } from './stabilize.js';
import { fold } from './fold.js';
import { fuseElemwise } from './fusion.js';
import { insertGemmFor, gemmRelu } from './blas.js';
import { rewriteToFixedPoint } from './driver.js';
import { keepLastRows, mergeSavedScans } from './scan.js';
import { collectives } from './collectives.js';

export { rewriteToFixedPoint } from './driver.js';

export interface RewriteOptions {
  /** Fuse elementwise chains (off for graphs that will be differentiated). */
  fusion?: boolean;
  /** Told the name of every local rewrite that applies. */
  trace?: (rewrite: string, node: Apply) => void;
}

/** The local rewrites of the first phase, in priority order. */
export const localRewrites: readonly LocalRewrite[] = [...fold, ...canonicalize, ...stabilize];

export function rewriteGraph(fg: FunctionGraph, opts: RewriteOptions = {}): void {
  const trace = opts.trace;
  rewriteToFixedPoint(fg, localRewrites, { merge: true, trace });
  if (mergeSavedScans(fg, trace)) rewriteToFixedPoint(fg, localRewrites, { merge: true, trace });
  rewriteToFixedPoint(fg, collectives, { trace });
  if (opts.fusion !== false) {
    keepLastRows(fg, trace);
    rewriteToFixedPoint(fg, [insertGemmFor(fg)], { trace });
    rewriteToFixedPoint(fg, [gemmRelu], { trace });
    fuseElemwise(fg, trace);
    rewriteToFixedPoint(fg, [], { merge: true, trace });
  }
}

/** Replace every node that repeats another (same op, same inputs) by that one. Returns whether it changed anything. */
export function mergeGraph(fg: FunctionGraph): boolean {
  return rewriteToFixedPoint(fg, [], { merge: true });
}

/**
 * The stabilized form of `cost`, with `keep` (wrt, constants, known gradients) kept as they are,
 * used by grad before differentiating. The caller's graph is not changed: the rewrites work on
 * a copy in which each kept variable that is computed stands as a free variable (so no rewrite
 * looks through it), and the kept variables are put back in the result.
 */
export function stabilizeForGrad(cost: Variable, keep: ReadonlySet<Variable>): Variable {
  const standIns = new Map<Variable, Variable>();
  const inputs: Variable[] = [];
  for (const v of keep) {
    if (!v.owner) inputs.push(v);
    else {
      const s = new Variable(v.type, null, 0, v.name);
      standIns.set(v, s);
      inputs.push(s);
    }
  }
  const fg = new FunctionGraph(inputs, [cost], standIns);
  rewriteGraph(fg, { fusion: false });
  const out = fg.outputs[0];
  fg.release();
  if (standIns.size === 0) return out;
  const back = new Map([...standIns].map(([v, s]) => [s, v] as const));
  return cloneGraph([out], new Set(), back).outputs[0];
}
