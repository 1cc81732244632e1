/**
 * Copies of expression graphs. Rewrites edit the nodes of a FunctionGraph in place, so every
 * node a FunctionGraph holds is a private copy: the caller's graph is never changed.
 */
import { Apply, Variable } from './variable.js';
import { toposort } from './toposort.js';

/**
 * Copy the graph of `outputs` down to `leaves` and ownerless variables, which are kept as they
 * are. `replace` maps variables to what stands in their place (they are not entered).
 */
export function cloneGraph(outputs: readonly Variable[], leaves: ReadonlySet<Variable>, replace: ReadonlyMap<Variable, Variable> = new Map()): { outputs: Variable[]; map: Map<Variable, Variable>; nodes: Apply[] } {
  const map = new Map<Variable, Variable>(replace);
  const stop = replace.size ? new Set([...leaves, ...replace.keys()]) : leaves;
  const nodes: Apply[] = [];
  for (const node of toposort(outputs, stop)) {
    const ins = node.inputs.map((v) => map.get(v) ?? v);
    const copy = new Apply(node.op, ins, node.outputs.map((o) => o.type));
    nodes.push(copy);
    node.outputs.forEach((o, i) => {
      copy.outputs[i].name = o.name;
      map.set(o, copy.outputs[i]);
    });
  }
  return { outputs: outputs.map((o) => map.get(o) ?? o), map, nodes };
}

/**
 * Copy `outputs` with each key of `givens` replaced by a copy of its value. A value is taken as
 * written (a key inside a value is not replaced again); the parts of the values that depend on
 * no key are shared between the values and the outputs, so a subexpression that appears in
 * both is one node.
 */
export function cloneWithGivens(outputs: readonly Variable[], leaves: ReadonlySet<Variable>, givens: ReadonlyMap<Variable, Variable>): Variable[] {
  if (givens.size === 0) return cloneGraph(outputs, leaves).outputs;
  const values = [...givens.values()];
  const { map: valueCopies } = cloneGraph(values, leaves);
  const seed = new Map<Variable, Variable>();
  const dependsOnKey = new Set<Variable>(givens.keys());
  for (const node of toposort(values, leaves)) {
    const tainted = node.inputs.some((v) => dependsOnKey.has(v));
    for (const o of node.outputs) {
      if (tainted) dependsOnKey.add(o);
      else seed.set(o, valueCopies.get(o)!);
    }
  }
  for (const [k, v] of givens) seed.set(k, valueCopies.get(v) ?? v);
  return cloneGraph(outputs, leaves, seed).outputs;
}
