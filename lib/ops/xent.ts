/**
 * Softmax cross-entropy of integer labels, fused: for logits z (n x k) and labels y (n),
 *   crossentropySoftmax(z, y)_i      = logsumexp(z_i) - z_i[y_i]
 *   crossentropySoftmaxGrad(g, z, y) = g_i (softmax(z_i) - onehot(y_i))
 * each one pass over a row, max subtracted first. The stabilize rewrite makes them from
 * -logSoftmax(z)[arange(n), y] (what T.nnet.categoricalCrossentropy builds for a softmax), so
 * they follow its rules: labels may be negative (counted from the end), out-of-range labels are
 * errors, and a single label is broadcast over the rows.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { isDiscrete, isFloat } from '../ndarray/dtype.js';
import { config } from '../config.js';
import type { TypedArray } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';
import { formatShape } from '../ndarray/shape.js';
import { applyElemwise as ew } from './elemwise.js';
import { reduce } from './reduce.js';
import { softmax } from './softmax.js';
import { dimshuffle } from './dimshuffle.js';
import { Index } from './index.js';
import { arange } from './arange.js';
import { shapeOf } from './reshape.js';

function checkOperands(name: string, z: Variable, y: Variable): void {
  if (z.ndim !== 2) throw new TypeError(`${name}: logits must be a matrix (one row per example), got ${z.type.describe()}`);
  if (y.ndim !== 1 || !isDiscrete(y.dtype)) throw new TypeError(`${name}: labels must be an integer vector, got ${y.type.describe()}`);
}

const floatOf = (z: Variable) => (isFloat(z.dtype) ? z.dtype : config.floatX);

export class CrossentropySoftmax extends Op {
  readonly name = 'crossentropySoftmax';
  /** labelsPerRow: exactly one label per row (no single label broadcast), as the NLL form arange(y.shape[0]) implies. */
  constructor(readonly labelsPerRow = false) {
    super();
  }
  override key(): string {
    return `${this.name}{${this.labelsPerRow}}`;
  }
  makeNode(z: Variable, y: Variable): Apply {
    checkOperands(this.name, z, y);
    return new Apply(this, [z, y], [new TensorType(floatOf(z), [z.broadcastable[0]])]);
  }
  override grad(node: Apply, [g]: (Variable | null)[]): (Variable | null)[] {
    const [z, y] = node.inputs;
    return [g ? new CrossentropySoftmaxGrad().makeNode(g, z, y).outputs[0] : null, null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    const attrs: Attrs = {};
    if (this.labelsPerRow) attrs.labelsPerRow = true;
    return { opcode: 'xent_softmax', attrs };
  }
}

export class CrossentropySoftmaxGrad extends Op {
  readonly name = 'crossentropySoftmaxGrad';
  makeNode(g: Variable, z: Variable, y: Variable): Apply {
    checkOperands(this.name, z, y);
    if (g.ndim !== 1) throw new TypeError(`${this.name}: the output gradient must be a vector, got ${g.type.describe()}`);
    return new Apply(this, [g, z, y], [new TensorType(floatOf(z), z.broadcastable)]);
  }
  /**
   * With s = softmax(z) and G the gradient of dz: d/dg_i = sum_j G_ij s_ij - G_i,y_i, and through
   * s, d/dz = s (A - sum_j A_ij s_ij) for A = G g_i (softmax's own gradient).
   */
  override grad(node: Apply, [G]: (Variable | null)[]): (Variable | null)[] {
    if (!G) return [null, null, null];
    const [g, z, y] = node.inputs;
    const s = softmax(z);
    const picked = new Index([{ k: 'array', in: 1 }, { k: 'array', in: 2 }]).makeNode(G, arange(shapeOf(G, 0)), y).outputs[0];
    const dg = ew('sub', [reduce('sum', ew('mul', [G, s]), 1), picked]);
    const A = ew('mul', [G, dimshuffle(g, [0, 'x'])]);
    const dz = ew('mul', [s, ew('sub', [A, reduce('sum', ew('mul', [A, s]), 1, true)])]);
    return [dg, dz, null];
  }
  lower() {
    return { opcode: 'xent_softmax_grad', attrs: {} };
  }
}

export const crossentropySoftmax = (z: Variable, y: Variable, labelsPerRow = false) => new CrossentropySoftmax(labelsPerRow).makeNode(z, y).outputs[0];

/** The label of row r as a column index, or an error naming it. */
function labelAt(y: TypedArray, r: number, k: number): number {
  const v = Number(y[y.length === 1 ? 0 : r]);
  if (v < -k || v >= k) throw new RangeError(`crossentropy: label ${v} of row ${r} is out of range for ${k} classes`);
  return v < 0 ? v + k : v;
}

function checkLabels(name: string, z: number[], y: number[]): void {
  if (y[0] !== z[0] && y[0] !== 1) throw new Error(`${name}: ${y[0]} labels for ${z[0]} rows of logits (shapes ${formatShape(z)} and ${formatShape(y)})`);
  if (z[1] === 0 && z[0] > 0) throw new RangeError(`${name}: no classes to pick labels from (logits of shape ${formatShape(z)})`);
}

/** max_j z_rj and log sum_j exp(z_rj - max): the stable log-sum-exp of one row. */
function rowLogSumExp(z: TypedArray, base: number, k: number): [number, number] {
  let m = -Infinity;
  for (let j = 0; j < k; j++) if (z[base + j] > m || z[base + j] !== z[base + j]) m = z[base + j];
  if (m === -Infinity) m = 0;
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(z[base + j] - m);
  return [m, Math.log(sum)];
}

registerKernel({
  opcode: 'xent_softmax',
  // Labels are data: one out of range fails the call.
  mayFail: true,
  rowLocal: true,
  // One loss per row of the logits.
  shapeSource: () => ({ input: 0, rowsOnly: true }),
  inferShape(attrs, [z, y]) {
    checkLabels('crossentropySoftmax', z, y);
    if (attrs.labelsPerRow && y[0] !== z[0]) throw new Error(`crossentropySoftmax: ${y[0]} labels for ${z[0]} rows of logits; the negative log-likelihood picks one row per label, so they must match`);
    return [[z[0]]];
  },
  js(_a, [[n, k]]) {
    return ([z, y], [out]) => {
      for (let r = 0; r < n; r++) labelAt(y, r, k);
      for (let r = 0; r < n; r++) {
        const [m, ls] = rowLogSumExp(z, r * k, k);
        out[r] = m + ls - z[r * k + labelAt(y, r, k)];
      }
    };
  },
});

registerKernel({
  opcode: 'xent_softmax_grad',
  mayFail: true,
  rowLocal: true,
  inferShape(_a, [g, z, y]) {
    checkLabels('crossentropySoftmaxGrad', z, y);
    if (g[0] !== z[0] && g[0] !== 1) throw new Error(`crossentropySoftmaxGrad: gradient of shape ${formatShape(g)} for logits of shape ${formatShape(z)}`);
    return [z];
  },
  js(_a, [gs, [n, k]]) {
    return ([g, z, y], [out]) => {
      for (let r = 0; r < n; r++) labelAt(y, r, k);
      for (let r = 0; r < n; r++) {
        const b = r * k;
        const [m, ls] = rowLogSumExp(z, b, k);
        const gr = g[gs[0] === 1 ? 0 : r];
        const label = labelAt(y, r, k);
        for (let j = 0; j < k; j++) out[b + j] = gr * (Math.exp(z[b + j] - m - ls) - (j === label ? 1 : 0));
      }
    };
  },
});
