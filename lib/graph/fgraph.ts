/**
 * FunctionGraph: a graph between chosen inputs and outputs that rewrites may edit. It owns a
 * private copy of every Apply node it contains, so editing it never changes the user's graph.
 */
import { Apply, Variable } from './variable.js';

/** All Apply nodes between `inputs` (treated as leaves) and `outputs`, inputs before users. */
export function toposort(outputs: readonly Variable[], leaves: ReadonlySet<Variable> = new Set()): Apply[] {
  const order: Apply[] = [];
  const state = new Map<Apply, 1 | 2>();
  // Iterative DFS: graphs from long training loops can be deep.
  for (const out of outputs) {
    if (!out.owner || leaves.has(out)) continue;
    const stack: [Apply, number][] = [[out.owner, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i === 0) {
        if (state.get(node) === 2) {
          stack.pop();
          continue;
        }
        state.set(node, 1);
      }
      if (i < node.inputs.length) {
        top[1]++;
        const v = node.inputs[i];
        if (v.owner && !leaves.has(v)) {
          const s = state.get(v.owner);
          if (s === undefined) stack.push([v.owner, 0]);
          else if (s === 1) throw new Error('graph has a cycle');
        }
      } else {
        state.set(node, 2);
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}

/** Copy the graph of `outputs` down to `leaves` (and ownerless variables); leaves are kept as they are. */
export function cloneGraph(outputs: readonly Variable[], leaves: ReadonlySet<Variable>, replace = new Map<Variable, Variable>()): { outputs: Variable[]; map: Map<Variable, Variable> } {
  const map = new Map<Variable, Variable>(replace);
  for (const node of toposort(outputs, new Set([...leaves, ...replace.keys()]))) {
    const ins = node.inputs.map((v) => map.get(v) ?? v);
    const copy = new Apply(node.op, ins, node.outputs.map((o) => o.type));
    node.outputs.forEach((o, i) => {
      copy.outputs[i].name = o.name;
      map.set(o, copy.outputs[i]);
    });
  }
  return { outputs: outputs.map((o) => map.get(o) ?? o), map };
}

/** The graph a compiled function is made from: a copy of the user's graph from inputs to outputs, which rewrites change in place. */
export class FunctionGraph {
  readonly inputs: Variable[];
  outputs: Variable[];
  private leaves: Set<Variable>;

  constructor(inputs: readonly Variable[], outputs: readonly Variable[], replace = new Map<Variable, Variable>()) {
    this.inputs = [...inputs];
    this.leaves = new Set(inputs);
    this.outputs = cloneGraph(outputs, this.leaves, replace).outputs;
  }

  get nodes(): Apply[] {
    return toposort(this.outputs, this.leaves);
  }

  /** For each variable, the nodes (and input positions) that read it. */
  clients(): Map<Variable, [Apply, number][]> {
    const m = new Map<Variable, [Apply, number][]>();
    for (const node of this.nodes) {
      node.inputs.forEach((v, i) => {
        let l = m.get(v);
        if (!l) m.set(v, (l = []));
        l.push([node, i]);
      });
    }
    return m;
  }

  /** Whether `v` is one of the graph's outputs. */
  isOutput(v: Variable): boolean {
    return this.outputs.includes(v);
  }

  /** Whether `v` is a leaf: an input, a constant or a shared variable. */
  isLeaf(v: Variable): boolean {
    return this.leaves.has(v) || !v.owner;
  }

  /** Make every reader of `old` (and the outputs) read `replacement` instead. */
  replace(old: Variable, replacement: Variable): void {
    if (old === replacement) return;
    if (old.type.dtype !== replacement.type.dtype || old.ndim !== replacement.ndim) {
      throw new Error(`rewrite replaced ${old.type.describe()} with ${replacement.type.describe()}`);
    }
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((v) => (v === old ? replacement : v));
    }
    this.outputs = this.outputs.map((v) => (v === old ? replacement : v));
  }
}
