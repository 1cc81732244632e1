/** Topological order of the Apply nodes between some leaves and some outputs. */
import type { Apply, Variable } from './variable.js';

/** All Apply nodes between `leaves` (not entered) and `outputs`, inputs before users. */
export function toposort(outputs: readonly Variable[], leaves: ReadonlySet<Variable> = new Set()): Apply[] {
  const order: Apply[] = [];
  const state = new Map<Apply, 1 | 2>();
  // Iterative DFS: graphs from long training loops can be deep.
  for (const out of outputs) {
    if (!out.owner || leaves.has(out) || state.get(out.owner) === 2) continue;
    const stack: [Apply, number][] = [[out.owner, 0]];
    state.set(out.owner, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const node = top[0];
      if (top[1] < node.inputs.length) {
        const v = node.inputs[top[1]++];
        if (!v.owner || leaves.has(v)) continue;
        const s = state.get(v.owner);
        if (s === undefined) {
          state.set(v.owner, 1);
          stack.push([v.owner, 0]);
        } else if (s === 1) throw new Error('graph has a cycle');
      } else {
        state.set(node, 2);
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}
