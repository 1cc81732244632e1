/**
 * Derivatives beyond grad, as theano.gradient: Lop (vector times Jacobian), Rop (Jacobian times
 * vector), jacobian and hessian.
 *
 * Rop uses the transpose trick: Lop(f, wrt, u) = J^T u is linear in u, so its gradient with
 * respect to u, dotted with v, is J v. u is a free variable of f's type; the result reads at
 * most u's shape, which is f's, so u is then replaced by f and the graph needs no new input.
 *
 * jacobian and hessian build one gradient per element of the expression. When the number of
 * elements is known as the graph is built (constants, shared variables' current values, or
 * `size`), the gradients are unrolled, and at run time a different length is an error, never a
 * silent truncation; otherwise, as in Theano, a scan over the elements computes them, for any
 * length at run time.
 */
import { SharedVariable, Variable, Constant } from './graph/variable.js';
import { cloneGraph } from './graph/fgraph.js';
import { grad, GradOptions } from './grad.js';
import { applyElemwise as ew } from './ops/elemwise.js';
import { reduce } from './ops/reduce.js';
import { reshape, shapeOf } from './ops/reshape.js';
import { alloc } from './ops/alloc.js';
import { get } from './ops/index.js';
import { stack } from './ops/join.js';
import { isFloat } from './ndarray/dtype.js';
import { scan } from './scan/build.js';
import { arange } from './ops/arange.js';

type OneOrMany = Variable | readonly Variable[];
const many = (v: OneOrMany): Variable[] => (Array.isArray(v) ? [...(v as Variable[])] : [v as Variable]);
const same = <T>(like: OneOrMany, out: T[]): T | T[] => (Array.isArray(like) ? out : out[0]);

function checkPoints(where: string, fs: Variable[], points: Variable[], what: string): void {
  if (fs.length !== points.length) throw new Error(`${where}: ${fs.length} ${what} but ${points.length} evaluation points`);
  fs.forEach((f, i) => {
    if (!(points[i] instanceof Variable)) throw new TypeError(`${where}: evaluation point ${i} is not a Variable`);
    if (points[i].ndim !== f.ndim) throw new TypeError(`${where}: evaluation point ${i} is ${points[i].ndim}-d, but ${what.replace(/s$/, '')} ${i} is ${f.ndim}-d`);
  });
}

/** The scalar sum_i sum(f_i * v_i). */
function projection(fs: Variable[], vs: Variable[]): Variable {
  return fs.map((f, i) => reduce('sum', ew('mul', [f, vs[i]]))).reduce((a, b) => ew('add', [a, b]));
}

/** Lop(f, wrt, v): v^T (df/dwrt), for each wrt; f and v one Variable or matching lists. */
export function Lop(f: OneOrMany, wrt: Variable, evalPoints: OneOrMany, opts?: Pick<GradOptions, 'considerConstant' | 'disconnectedInputs'>): Variable;
export function Lop(f: OneOrMany, wrt: readonly Variable[], evalPoints: OneOrMany, opts?: Pick<GradOptions, 'considerConstant' | 'disconnectedInputs'>): Variable[];
export function Lop(f: OneOrMany, wrt: OneOrMany, evalPoints: OneOrMany, opts: Pick<GradOptions, 'considerConstant' | 'disconnectedInputs'> = {}): Variable | Variable[] {
  const fs = many(f);
  const vs = many(evalPoints);
  checkPoints('Lop', fs, vs, 'outputs');
  fs.forEach((x, i) => {
    if (!isFloat(x.dtype)) throw new TypeError(`Lop: output ${i} must be a float, got ${x.type.describe()}`);
  });
  return same(wrt, grad(projection(fs, vs), many(wrt), opts));
}

/** Rop(f, wrt, v): (df/dwrt) v, summed over the wrt; f one Variable or a list, v matching wrt. */
export function Rop(f: Variable, wrt: OneOrMany, evalPoints: OneOrMany): Variable;
export function Rop(f: readonly Variable[], wrt: OneOrMany, evalPoints: OneOrMany): Variable[];
export function Rop(f: OneOrMany, wrt: OneOrMany, evalPoints: OneOrMany): Variable | Variable[] {
  const fs = many(f);
  const ws = many(wrt);
  const vs = many(evalPoints);
  checkPoints('Rop', ws, vs, 'wrt variables');
  const out = fs.map((fi, k) => {
    if (!isFloat(fi.dtype)) throw new TypeError(`Rop: output ${k} must be a float, got ${fi.type.describe()}`);
    const u = new Variable(fi.type, null, 0, `Rop.u${k}`);
    const jtu = grad(reduce('sum', ew('mul', [fi, u])), ws, { disconnectedInputs: 'ignore' });
    const jv = grad(projection(jtu.map((g, i) => g.dtype === vs[i].dtype ? g : ew('cast', [g], vs[i].dtype)), vs), u, { disconnectedInputs: 'ignore' });
    // Only u's shape can remain in J v: f has the same.
    return cloneGraph([jv], new Set(), new Map([[u, fi]])).outputs[0];
  });
  return same(f, out);
}

export interface JacobianOptions extends Pick<GradOptions, 'considerConstant' | 'disconnectedInputs'> {
  /** The number of elements of the expression (of wrt, for hessian), when it cannot be read off the graph. */
  size?: number;
}

/** The number of elements of v when the graph fixes it (a constant or a shared variable's current value). */
function knownSize(v: Variable): number | null {
  if (v instanceof Constant) return v.value.size;
  if (v instanceof SharedVariable) return v.container.value.size;
  return null;
}

function sizeFor(where: string, v: Variable, given: number | undefined, what: string): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < 0) throw new RangeError(`${where}: size must be a non-negative integer, got ${given}`);
    return given;
  }
  const n = knownSize(v);
  if (n === null) {
    throw new Error(`${where}: the number of elements of ${what} must be known when the graph is built (one gradient is built per element); pass { size: n }`);
  }
  return n;
}

/**
 * d expression / d wrt: for a scalar, grad; for an expression of n elements, shape
 * [n, ...wrt.shape], row i the gradient of its i-th element (flattened, as Theano).
 */
export function jacobian(expression: Variable, wrt: Variable, opts?: JacobianOptions): Variable;
export function jacobian(expression: Variable, wrt: readonly Variable[], opts?: JacobianOptions): Variable[];
export function jacobian(expression: Variable, wrt: OneOrMany, opts: JacobianOptions = {}): Variable | Variable[] {
  if (!(expression instanceof Variable)) throw new TypeError('jacobian: expression must be a Variable');
  const ws = many(wrt);
  const gopts = { considerConstant: opts.considerConstant, disconnectedInputs: opts.disconnectedInputs };
  if (expression.ndim === 0) return same(wrt, grad(expression, ws, gopts));
  const known = opts.size ?? knownSize(expression);
  if (known === null) return same(wrt, jacobianByScan(expression, ws, gopts));
  const n = sizeFor('jacobian', expression, known, 'the expression');
  // Reshaped to [n]: a run-time length other than n fails there instead of truncating.
  const flat = reshape(expression, [n]);
  const rows = Array.from({ length: n }, (_, i) => grad(get(flat, i), ws, gopts));
  const out = ws.map((w, j) => (n === 0 ? alloc(0, [0, ...w.broadcastable.map((_, ax) => shapeOf(w, ax))], isFloat(w.dtype) ? w.dtype : expression.dtype) : stack(rows.map((r) => r[j]), 0)));
  return same(wrt, out);
}

/** As Theano does: a scan over the expression's elements, each step one gradient (any length at run time). */
function jacobianByScan(expression: Variable, ws: Variable[], gopts: Pick<GradOptions, 'considerConstant' | 'disconnectedInputs'>): Variable[] {
  const flat = reshape(expression, [-1]);
  const [rows] = scan((i: Variable) => grad(get(flat, i), ws, gopts), { sequences: arange(shapeOf(flat, 0)), name: 'jacobian' });
  return Array.isArray(rows) ? rows : [rows];
}

/** The Hessian of a scalar cost with respect to each vector in wrt: jacobian(grad(cost, w), w). */
export function hessian(cost: Variable, wrt: Variable, opts?: JacobianOptions): Variable;
export function hessian(cost: Variable, wrt: readonly Variable[], opts?: JacobianOptions): Variable[];
export function hessian(cost: Variable, wrt: OneOrMany, opts: JacobianOptions = {}): Variable | Variable[] {
  const ws = many(wrt);
  const gopts = { considerConstant: opts.considerConstant, disconnectedInputs: opts.disconnectedInputs };
  const out = ws.map((w, i) => {
    if (w.ndim !== 1) throw new TypeError(`hessian: wrt ${i}${w.name ? ` (${w.name})` : ''} must be a vector, got ${w.type.describe()}`);
    const g = grad(cost, w, gopts);
    const known = opts.size ?? knownSize(w);
    return known === null ? jacobianByScan(g, [w], gopts)[0] : jacobian(g, w, { ...gopts, size: sizeFor('hessian', w, known, `wrt ${i}`) });
  });
  return same(wrt, out);
}
