/** Rewrites of loops (Scan nodes). */
import type { Apply } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { ScanOp } from '../scan/op.js';

const sameInputs = (a: Apply, b: Apply) => a.inputs.length === b.inputs.length && a.inputs.every((v, i) => v === b.inputs[i]);

/**
 * A loop and the copy of it that its gradient extended with saved values (lib/scan/grad.ts) run
 * the same steps on the same inputs: the extended one stands in for both, so the forward steps
 * run once. A pass over the graph rather than a local rewrite: the pair meets only once merging
 * has made their inputs the same variables, and it is the other node that is replaced. Returns
 * whether it changed the graph.
 */
export function mergeSavedScans(fg: FunctionGraph, trace?: (rewrite: string, node: Apply) => void): boolean {
  let changed = false;
  for (const node of fg.nodes.filter((n) => n.op instanceof ScanOp && n.op.base)) {
    const base = (node.op as ScanOp).base;
    const twin = fg.readers(node.inputs[0]).find((o) => o !== node && o.op === base && sameInputs(o, node));
    if (!twin) continue;
    trace?.('scan_merge_saved', twin);
    twin.outputs.forEach((o, i) => fg.replace(o, node.outputs[i]));
    changed = true;
  }
  return changed;
}
