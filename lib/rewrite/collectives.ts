/**
 * merge_allreduce: a function's allreduces become one node reducing all their inputs, so that a
 * training step sends its gradients in ONE message (one latency instead of one per parameter).
 * Nodes are merged only when none depends on another (a merged node reading its own output
 * would be a cycle); a chain of dependent reductions becomes one node per level. Inputs of
 * different dtypes travel in different messages, so each dtype is merged apart.
 */
import type { Apply } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { AllReduce } from '../ops/allreduce.js';
import { named, LocalRewrite } from './pattern.js';

/** The allreduce nodes that `node` depends on (through any path of inputs). */
function reductionsAbove(node: Apply, among: ReadonlySet<Apply>): Set<Apply> {
  const found = new Set<Apply>();
  const seen = new Set<Apply>();
  const stack = node.inputs.map((v) => v.owner).filter((o): o is Apply => !!o);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (among.has(n)) found.add(n);
    for (const v of n.inputs) if (v.owner && !seen.has(v.owner)) stack.push(v.owner);
  }
  return found;
}

export const mergeAllreduce = named('merge_allreduce', [AllReduce], (node, fg: FunctionGraph) => {
  const dtype = node.outputs[0].dtype;
  const same = new Set(fg.nodes.filter((n) => n !== node && n.op instanceof AllReduce && n.outputs[0].dtype === dtype));
  if (same.size === 0) return null;
  same.add(node);
  const above = new Map([...same].map((n) => [n, reductionsAbove(n, same)] as const));
  // Greedily, in graph order, every node independent of those taken so far.
  const group: Apply[] = [node];
  for (const n of fg.nodes) {
    if (n === node || !same.has(n)) continue;
    if (group.every((g) => !above.get(g)!.has(n) && !above.get(n)!.has(g))) group.push(n);
  }
  if (group.length < 2) return null;
  const ops = group.flatMap((g) => (g.op as AllReduce).ops);
  const merged = new AllReduce(ops).makeNode(...group.flatMap((g) => g.inputs));
  let at = node.outputs.length;
  for (const g of group.slice(1)) {
    fg.replaceAll(g.outputs.map((o, i) => [o, merged.outputs[at + i]] as const));
    at += g.outputs.length;
  }
  return merged.outputs.slice(0, node.outputs.length);
});

export const collectives: LocalRewrite[] = [mergeAllreduce];
