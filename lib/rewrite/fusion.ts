/**
 * Elementwise fusion: a chain of elementwise ops over the same shape becomes one Composite op,
 * run as one loop (one generated JS function, one native bytecode pass), with no temporaries
 * between the steps. A producer is absorbed into its consumer when every reader of its result
 * is in the group, and it has the consumer's broadcast pattern (so no work is repeated).
 */
import { Apply, Constant, Variable } from '../graph/variable.js';
import type { FunctionGraph } from '../graph/fgraph.js';
import { ArgRef, Elemwise, Step } from '../ops/elemwise.js';

function isElemwise(v: Variable): v is Variable & { owner: Apply & { op: Elemwise } } {
  return !!v.owner && v.owner.op instanceof Elemwise;
}

function samePattern(a: Variable, b: Variable): boolean {
  return a.ndim === b.ndim && a.broadcastable.every((f, i) => f === b.broadcastable[i]);
}

function everyReaderIn(fg: FunctionGraph, v: Variable, group: ReadonlySet<Apply>): boolean {
  for (const c of fg.eachReader(v)) if (!group.has(c)) return false;
  return true;
}

export function fuseElemwise(fg: FunctionGraph, trace?: (rewrite: string, root: Apply) => void): boolean {
  let changed = false;
  const nodes = fg.nodes;
  const position = new Map<Apply, number>();
  nodes.forEach((n, i) => position.set(n, i));
  const fused = new Set<Apply>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const root = nodes[k];
    if (!(root.op instanceof Elemwise) || fused.has(root) || !fg.has(root)) continue;
    // Grow the group from the root towards its inputs.
    const group = new Set<Apply>([root]);
    const frontier = [root];
    while (frontier.length) {
      const n = frontier.pop()!;
      for (const v of n.inputs) {
        if (!isElemwise(v) || group.has(v.owner) || fused.has(v.owner) || fg.isOutput(v)) continue;
        if (!samePattern(v, root.outputs[0])) continue;
        if (!everyReaderIn(fg, v, group)) continue;
        group.add(v.owner);
        frontier.push(v.owner);
      }
    }
    if (group.size < 2) continue;
    const order = [...group].sort((a, b) => position.get(a)! - position.get(b)!);
    const replacement = buildComposite(order);
    order.forEach((n) => fused.add(n));
    trace?.('fuse_elemwise', root);
    fg.replace(root.outputs[0], replacement);
    changed = true;
  }
  return changed;
}

/** One Elemwise computing the last node of `order` from the group's external inputs. */
function buildComposite(order: Apply[]): Variable {
  const inputs: Variable[] = [];
  const consts: number[] = [];
  const steps: Step[] = [];
  const resultStep = new Map<Variable, number>();
  const ref = (v: Variable): ArgRef => {
    const s = resultStep.get(v);
    if (s !== undefined) return [1, s];
    if (v instanceof Constant && v.value.size === 1 && v.ndim === 0) {
      consts.push(v.value.data[0]);
      return [2, consts.length - 1];
    }
    let i = inputs.indexOf(v);
    if (i < 0) i = inputs.push(v) - 1;
    return [0, i];
  };
  for (const node of order) {
    const op = node.op as Elemwise;
    // Inline the node's own steps (it may already be a Composite).
    const local = op.steps;
    const base = steps.length;
    const argOf = (a: ArgRef): ArgRef => (a[0] === 0 ? ref(node.inputs[a[1]]) : a[0] === 1 ? [1, base + a[1]] : constRef(op.consts[a[1]]));
    const constRef = (c: number): ArgRef => {
      consts.push(c);
      return [2, consts.length - 1];
    };
    for (const s of local) steps.push({ op: s.op, dtype: s.dtype, args: s.args.map(argOf) });
    resultStep.set(node.outputs[0], steps.length - 1);
  }
  const root = order[order.length - 1];
  const out = new Elemwise(steps, consts, inputs.length).makeNode(...inputs).outputs[0];
  if (!samePattern(out, root.outputs[0])) {
    throw new Error('fusion changed the broadcast pattern of a result');
  }
  return out;
}
