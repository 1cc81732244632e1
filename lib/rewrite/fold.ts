/** Constant folding and merging of equal subexpressions (common subexpression elimination). */
import { Constant, Variable } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { evaluateNode } from '../compile/evaluate.js';
import { Elemwise } from '../ops/elemwise.js';
import { named, LocalRewrite } from './pattern.js';
import { SharedVariable } from '../graph/variable.js';

/** Largest constant folding may produce: beyond this, computing at run time is cheaper than storing. */
const MAX_FOLDED = 1 << 16;

export const constantFold = named('constant_fold', (node) => {
  if (node.inputs.length === 0 || !node.inputs.every((v) => v instanceof Constant)) return null;
  const outs = evaluateNode(node, node.inputs.map((v) => (v as Constant).value));
  if (outs.some((o) => o.size > MAX_FOLDED)) return null;
  return outs.map((o) => new Constant(o));
});

function constantKey(c: Constant): string | null {
  if (c.value.size > 64) return null;
  return `${c.value.dtype}|${c.value.shape}|${Array.from(c.value.data, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
}

/** Replace every node that repeats an earlier one (same op, same inputs) by the earlier one. Returns whether it changed anything. */
export function mergeGraph(fg: FunctionGraph): boolean {
  let changed = false;
  const consts = new Map<string, Variable>();
  const ids = new Map<Variable, number>();
  let next = 0;
  const id = (v: Variable) => {
    let k = ids.get(v);
    if (k === undefined) ids.set(v, (k = next++));
    return k;
  };
  // Equal constants become one variable first, so nodes reading them can merge.
  for (const node of fg.nodes) {
    node.inputs.forEach((v) => {
      if (!(v instanceof Constant) || v instanceof SharedVariable) return;
      const key = constantKey(v);
      if (key === null) return;
      const seen = consts.get(key);
      if (!seen) consts.set(key, v);
      else if (seen !== v) {
        fg.replace(v, seen);
        changed = true;
      }
    });
  }
  const seen = new Map<string, Variable[]>();
  for (const node of fg.nodes) {
    let inputIds = node.inputs.map(id);
    const op = node.op;
    if (op instanceof Elemwise && op.scalar?.commutative) inputIds = [...inputIds].sort((a, b) => a - b);
    const key = `${op.key()}|${inputIds.join(',')}`;
    const prev = seen.get(key);
    if (!prev) {
      seen.set(key, node.outputs);
      continue;
    }
    node.outputs.forEach((o, i) => fg.replace(o, prev[i]));
    changed = true;
  }
  return changed;
}

export const fold: LocalRewrite[] = [constantFold];
