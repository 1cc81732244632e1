/**
 * Closing a traced step into the Scan node's inner graph: what the step reads from outside
 * becomes a non-sequence input, what it advances becomes a recurrent state, and what depends
 * only on non-sequences moves out of the loop (computed once per call, not once per step).
 */
import { Apply, Constant, SharedVariable, Variable } from '../graph/variable.js';
import { cloneGraph } from '../graph/clone.js';
import { toposort } from '../graph/toposort.js';
import { ScanOp } from './op.js';

export interface TracedStep {
  /** A variable made just before the step ran: variables with a smaller id come from outside. */
  mark: Variable;
  /** The step's arguments for sequence and output taps. */
  innerArgs: Variable[];
  outputs: Variable[];
  nonSequences: Variable[];
  /** Updates the step returned (shared variable → its new value). */
  updates: Map<SharedVariable, Variable>;
  where: string;
}

export interface ClosedStep {
  outputs: Variable[];
  /** Shared variables the step advances; each is a recurrent state of the loop. */
  states: { shared: SharedVariable }[];
  stateArgs: Variable[];
  stateOutputs: Variable[];
  /** Outer values of the non-sequence inputs, and the inner variables standing for them. */
  outerNonseqs: Variable[];
  innerNonseqs: Variable[];
}

const freshLike = (v: Variable) => new Variable(v.type, null, 0, v.name);

export function closeInnerGraph(step: TracedStep): ClosedStep {
  const { mark, where } = step;
  const args = new Set(step.innerArgs);
  const boundary: Variable[] = [];
  const seenBoundary = new Set<Variable>();
  /** Updates implied by scans nested in the step (their states advance with this loop too). */
  const implied = new Map<SharedVariable, Variable>();
  const visited = new Set<Variable>();
  const fromOutside = (v: Variable) => v.id < mark.id || v instanceof SharedVariable;

  // Walk the step's graph down to its arguments, constants and outer variables.
  const walk = (roots: Variable[], strict: boolean): boolean => {
    const stack = [...roots];
    const found: Variable[] = [];
    while (stack.length) {
      const v = stack.pop()!;
      if (visited.has(v) || args.has(v) || v instanceof Constant) continue;
      if (fromOutside(v)) {
        found.push(v);
        continue;
      }
      if (!v.owner) {
        if (!strict) return false;
        throw new Error(`${where}: the step uses ${v.toString()} (${v.type.describe()}), a free variable made inside the step; pass it as a sequence, an output or a non-sequence, or make it outside the step`);
      }
      visited.add(v);
      if (v.owner.op instanceof ScanOp) for (const [s, e] of v.owner.op.sharedUpdates) implied.set(s, e);
      stack.push(...v.owner.inputs);
    }
    for (const v of found) {
      if (!seenBoundary.has(v)) {
        seenBoundary.add(v);
        boundary.push(v);
      }
    }
    return true;
  };
  // A default update belongs to this step when the step's graph alone computes it.
  const computable = (e: Variable) => {
    if (e.id < mark.id) return false;
    const saved = new Set(visited);
    const ok = walk([e], false);
    if (!ok) {
      visited.clear();
      saved.forEach((v) => visited.add(v));
    }
    return ok;
  };

  walk([...step.outputs, ...step.updates.values()], true);
  const stateUpdates = new Map<SharedVariable, Variable>();
  for (let k = 0; k < boundary.length; k++) {
    const s = boundary[k];
    if (!(s instanceof SharedVariable) || stateUpdates.has(s)) continue;
    const e = step.updates.get(s) ?? implied.get(s) ?? (s.defaultUpdate && computable(s.defaultUpdate) ? s.defaultUpdate : undefined);
    if (!e) continue;
    if (e.dtype !== s.dtype || e.ndim !== s.ndim) throw new TypeError(`${where}: the new value of ${s.name ?? 'a shared variable'} is ${e.type.describe()}, but the variable is ${s.type.describe()}`);
    stateUpdates.set(s, e);
    walk([e], true);
  }
  for (const s of step.updates.keys()) {
    if (!stateUpdates.has(s)) stateUpdates.set(s, step.updates.get(s)!);
  }

  const replace = new Map<Variable, Variable>();
  const states = [...stateUpdates.keys()];
  const stateArgs = states.map((s) => {
    const a = freshLike(s);
    replace.set(s, a);
    return a;
  });
  const outerNonseqs: Variable[] = [];
  const innerNonseqs: Variable[] = [];
  const addNonseq = (v: Variable) => {
    if (replace.has(v) || v instanceof Constant) return;
    const a = freshLike(v);
    replace.set(v, a);
    outerNonseqs.push(v);
    innerNonseqs.push(a);
  };
  step.nonSequences.filter((v) => seenBoundary.has(v)).forEach(addNonseq);
  boundary.forEach(addNonseq);

  const leaves = new Set([...step.innerArgs, ...stateArgs, ...innerNonseqs]);
  const roots = [...step.outputs, ...states.map((s) => stateUpdates.get(s)!)];
  const cloned = cloneGraph(roots, leaves, replace).outputs;
  const hoisted = hoistInvariants(cloned, leaves, new Set(innerNonseqs), new Map(innerNonseqs.map((a, i) => [a, outerNonseqs[i]])));
  outerNonseqs.push(...hoisted.outer);
  innerNonseqs.push(...hoisted.inner);
  const outs = hoisted.outputs;
  // A non-sequence read only by what moved out (W, when the step reads only W.T) is not passed:
  // the gradient would carry a running sum of zeros for it.
  const read = new Set<Variable>(outs);
  for (const node of toposort(outs, leaves)) node.inputs.forEach((v) => read.add(v));
  const used = innerNonseqs.map((v) => read.has(v));
  return {
    outputs: outs.slice(0, step.outputs.length),
    states: states.map((shared) => ({ shared })),
    stateArgs,
    stateOutputs: outs.slice(step.outputs.length),
    outerNonseqs: outerNonseqs.filter((_, i) => used[i]),
    innerNonseqs: innerNonseqs.filter((_, i) => used[i]),
  };
}

/**
 * Move the nodes that depend only on non-sequences (and constants) out of the body: each value
 * where such a part meets the rest becomes a new non-sequence, computed outside the loop.
 */
function hoistInvariants(outputs: Variable[], leaves: Set<Variable>, nonseqs: Set<Variable>, toOuter: Map<Variable, Variable>): { outputs: Variable[]; outer: Variable[]; inner: Variable[] } {
  const nodes = toposort(outputs, leaves);
  const invariant = new Set<Variable>(nonseqs);
  const invariantNodes = new Set<Apply>();
  for (const node of nodes) {
    const onlyInvariant = node.inputs.every((v) => invariant.has(v) || v instanceof Constant);
    if (onlyInvariant && node.inputs.some((v) => invariant.has(v))) {
      invariantNodes.add(node);
      node.outputs.forEach((o) => invariant.add(o));
    }
  }
  if (invariantNodes.size === 0) return { outputs, outer: [], inner: [] };
  const frontier = new Set<Variable>();
  for (const node of nodes) {
    if (invariantNodes.has(node)) continue;
    node.inputs.forEach((v) => v.owner && invariantNodes.has(v.owner) && frontier.add(v));
  }
  outputs.forEach((v) => v.owner && invariantNodes.has(v.owner) && frontier.add(v));
  const values = [...frontier];
  const outer = cloneGraph(values, new Set(), toOuter).outputs;
  const inner = values.map(freshLike);
  const swap = new Map(values.map((v, i) => [v, inner[i]] as const));
  return { outputs: cloneGraph(outputs, leaves, swap).outputs, outer, inner };
}
