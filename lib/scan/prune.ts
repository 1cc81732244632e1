/**
 * A loop's kept products (lib/scan/build.ts) serve its gradient only: in a function that does
 * not read them (a prediction, a forward pass), the loop is rebuilt without them, so they cost
 * no memory there.
 */
import type { Variable } from '../graph/variable.js';
import { named } from '../rewrite/pattern.js';
import { ScanOp } from './op.js';

// Tracks every node: the op class cannot be named here when the module graph is still loading.
export const pruneKeptProducts = named('scan_prune_kept_products', 'all', (node, fg) => {
  const op = node.op;
  if (!(op instanceof ScanOp) || op.layout.nSaved === 0) return null;
  const first = node.outputs.length - op.layout.nSaved;
  const read = (v: Variable) => fg.readers(v).length > 0 || fg.outputs.includes(v);
  const keep = node.outputs.slice(first).map(read);
  if (keep.every(Boolean)) return null;
  const nKept = keep.filter(Boolean).length;
  const innerFirst = op.innerOutputs.length - op.layout.nSaved;
  const innerOutputs = [...op.innerOutputs.slice(0, innerFirst), ...op.innerOutputs.slice(innerFirst).filter((_, m) => keep[m])];
  const layout = { ...op.layout, nNitsot: op.layout.nNitsot - op.layout.nSaved + nKept, nSaved: nKept };
  const pruned = new ScanOp(layout, op.innerInputs, innerOutputs);
  for (const [s, e] of op.sharedUpdates) pruned.sharedUpdates.set(s, e);
  const outs = pruned.makeNode(node.inputs[0], ...node.inputs.slice(1)).outputs;
  let m = first;
  return node.outputs.map((o, i) => (i < first ? outs[i] : keep[i - first] ? outs[m++] : o));
});
