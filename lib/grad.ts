/**
 * Reverse-mode differentiation. Walk the nodes between `wrt` and `cost` from the cost back,
 * asking each op for the gradients of its inputs given those of its outputs, and summing where
 * a variable feeds several nodes.
 *
 * The cost graph is first put through the stabilizing rewrites (log(sigmoid) -> -softplus, ...),
 * so the gradient is built from the stable form and stays finite where the literal formula
 * would divide by zero.
 */
import { Variable, Apply, Constant } from './graph/variable.js';
import { NDArray } from './ndarray/ndarray.js';
import { allocate } from './ndarray/dtype.js';
import { toposort } from './graph/toposort.js';
import { applyElemwise as ew } from './ops/elemwise.js';
import { isFloat } from './ndarray/dtype.js';
import { stabilizeForGrad } from './rewrite/index.js';

/** Options of {@link grad}. */
export interface GradOptions {
  /** Variables to treat as constants: no gradient flows through them. */
  considerConstant?: Variable[];
  /** What to do when the cost does not depend on an element of wrt. */
  disconnectedInputs?: 'raise' | 'warn' | 'ignore';
  /** Gradients already known for some variables (they replace what would be computed). */
  knownGrads?: Map<Variable, Variable> | [Variable, Variable][];
}

/**
 * The gradient of a scalar `cost` with respect to `wrt`, as a symbolic graph (reverse mode),
 * like `theano.grad`. The cost is stabilised before it is differentiated.
 * @example
 * ```ts
 * const gw = grad(cost, w);
 * ```
 */
export function grad(cost: Variable, wrt: Variable, opts?: GradOptions): Variable;
/**
 * The gradients with respect to each variable of `wrt`, in order.
 * @example
 * ```ts
 * const [gw, gb] = grad(cost, [w, b]);
 * ```
 */
export function grad(cost: Variable, wrt: readonly Variable[], opts?: GradOptions): Variable[];
export function grad(cost: Variable, wrt: Variable | readonly Variable[], opts: GradOptions = {}): Variable | Variable[] {
  if (!(cost instanceof Variable)) throw new TypeError('grad: cost must be a Variable');
  if (cost.ndim !== 0) throw new Error(`grad: cost must be a scalar (0-d), got a ${cost.ndim}-d ${cost.type.describe()}; reduce it first, e.g. cost.sum() or cost.mean()`);
  if (!isFloat(cost.dtype)) throw new TypeError(`grad: cost must be a float, got ${cost.dtype}`);
  const list = Array.isArray(wrt) ? [...(wrt as Variable[])] : [wrt as Variable];
  list.forEach((w, i) => {
    if (!(w instanceof Variable)) throw new TypeError(`grad: wrt[${i}] is not a Variable`);
  });
  const known = new Map(opts.knownGrads instanceof Map ? opts.knownGrads : opts.knownGrads ?? []);
  const constants = new Set(opts.considerConstant ?? []);
  const mode = opts.disconnectedInputs ?? 'raise';

  // Stop the clone (and the rewrites) at the variables whose identity matters to the caller.
  const cut = new Set<Variable>([...list, ...constants, ...known.keys()]);
  const stableCost = stabilizeForGrad(cost, cut);

  const nodes = toposort([stableCost, ...known.keys()], new Set([...list, ...constants]));
  // Only nodes on a path from some wrt (or known gradient) to the cost take part.
  const reaches = new Set<Variable>([...list, ...known.keys()]);
  const onPath: Apply[] = [];
  for (const node of nodes) {
    if (node.inputs.some((v) => reaches.has(v) && !constants.has(v))) {
      node.outputs.forEach((o) => reaches.add(o));
      onPath.push(node);
    }
  }

  const grads = new Map<Variable, Variable>();
  const accumulate = (v: Variable, g: Variable) => {
    const prev = grads.get(v);
    grads.set(v, prev ? ew('add', [prev, g]) : g);
  };
  // d cost / d cost: the cost is 0-d, so a constant one (reading the cost's value for its shape
  // would keep the whole cost in every gradient graph, a loop's backward step included).
  grads.set(stableCost, new Constant(new NDArray(allocate(stableCost.dtype, 1).fill(1), [], stableCost.dtype)));
  for (const [v, g] of known) grads.set(v, g);

  for (let k = onPath.length - 1; k >= 0; k--) {
    const node = onPath[k];
    const gOuts = node.outputs.map((o) => (known.has(o) ? known.get(o)! : grads.get(o) ?? null));
    if (gOuts.every((g) => g === null)) continue;
    const gIns = node.op.grad(node, gOuts);
    node.inputs.forEach((v, i) => {
      const g = gIns[i];
      if (!g || constants.has(v) || known.has(v) || !reaches.has(v)) return;
      if (g.ndim !== v.ndim) throw new Error(`grad: ${node.op.name} returned a ${g.ndim}-d gradient for its ${v.ndim}-d input ${i}`);
      accumulate(v, g);
    });
  }

  const out = list.map((w, i) => {
    const g = grads.get(w);
    if (g) return g.dtype === w.dtype || !isFloat(w.dtype) ? g : ew('cast', [g], w.dtype);
    const msg = `grad: the cost does not depend on wrt[${i}]${w.name ? ` (${w.name})` : ''}, or only through non-differentiable ops`;
    if (mode === 'raise') throw new Error(`${msg}; pass disconnectedInputs: 'ignore' or 'warn' to get a zero gradient`);
    if (mode === 'warn') process.emitWarning(msg);
    return ew('second', [w, 0], isFloat(w.dtype) ? w.dtype : cost.dtype);
  });
  return Array.isArray(wrt) ? out : out[0];
}
