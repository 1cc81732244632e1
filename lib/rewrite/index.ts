/**
 * The rewrite pipeline. Phases run in order, each to a fixed point:
 *   canonicalize (+ constant folding, merge) → stabilize → BLAS insertion → fusion.
 */
import { FunctionGraph } from '../graph/fgraph.js';
import type { Variable } from '../graph/variable.js';
import { LocalRewrite } from './pattern.js';
import { canonicalize } from './canonicalize.js';
import { stabilize } from './stabilize.js';
import { fold, mergeGraph } from './fold.js';
import { fuseElemwise } from './fusion.js';
import { insertGemm, gemmRelu } from './blas.js';

const MAX_PASSES = 50;

/** Apply local rewrites to every node until none applies. */
export function applyLocal(fg: FunctionGraph, rewrites: LocalRewrite[]): boolean {
  let any = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let changed = false;
    for (const node of fg.nodes) {
      for (const rw of rewrites) {
        const out = rw(node, fg);
        if (!out) continue;
        node.outputs.forEach((o, i) => fg.replace(o, out[i]));
        changed = true;
        break;
      }
    }
    if (!changed) return any;
    any = true;
  }
  return any;
}

export interface RewriteOptions {
  /** Fuse elementwise chains (off for graphs that will be differentiated). */
  fusion?: boolean;
}

export function rewriteGraph(fg: FunctionGraph, opts: RewriteOptions = {}): void {
  for (let round = 0; round < 10; round++) {
    let changed = applyLocal(fg, [...fold, ...canonicalize, ...stabilize]);
    changed = mergeGraph(fg) || changed;
    if (!changed) break;
  }
  if (opts.fusion !== false) {
    applyLocal(fg, [insertGemm]);
    applyLocal(fg, [gemmRelu]);
    fuseElemwise(fg);
    mergeGraph(fg);
  }
}

/** The stabilized form of `cost`, with `leaves` kept as they are (used by grad before differentiating). */
export function stabilizeForGrad(cost: Variable, leaves: ReadonlySet<Variable>): Variable {
  const fg = new FunctionGraph([...leaves], [cost]);
  rewriteGraph(fg, { fusion: false });
  return fg.outputs[0];
}
