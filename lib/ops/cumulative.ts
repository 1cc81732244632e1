/**
 * cumsum and cumprod along one axis (numpy's and Theano's CumOp). The running value is rounded
 * to the output dtype at every step, as numpy's (float32 sums in float32, int32 wraps), in both
 * backends; int32 products are exact before they wrap (Math.imul, int64 in C++).
 * `reverse` accumulates from the end of the axis: the gradient of a cumsum is the reversed
 * cumsum of its output gradient.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { DType, isDiscrete } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';
import { applyElemwise as ew } from './elemwise.js';
import { flatten } from './reshape.js';
import { normalizeAxisArg } from './axis.js';

export type CumKind = 'sum' | 'prod';

export class CumOp extends Op {
  readonly name: string;
  constructor(readonly kind: CumKind, readonly axis: number, readonly reverse = false) {
    super();
    this.name = `cum${kind}`;
  }
  override key(): string {
    return `CumOp{${this.kind},${this.axis},${this.reverse}}`;
  }
  makeNode(x: Variable): Apply {
    if (this.axis < 0 || this.axis >= x.ndim) throw new RangeError(`${this.name}: axis ${this.axis} is out of range for a ${x.ndim}-d input`);
    // numpy: the running sum of booleans counts them.
    const dtype: DType = x.dtype === 'bool' ? 'int32' : x.dtype;
    return new Apply(this, [x], [new TensorType(dtype, x.broadcastable)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const x = node.inputs[0];
    if (!gz || isDiscrete(x.dtype)) return [null];
    const back = (g: Variable) => new CumOp('sum', this.axis, !this.reverse).makeNode(g).outputs[0];
    if (this.kind === 'sum') return [back(gz)];
    // d/dx_i of sum_j g_j prod_{k<=j} x_k is sum_{j>=i} g_j out_j / x_i (as Theano; undefined at x_i = 0).
    return [ew('div', [back(ew('mul', [gz, node.outputs[0]])), x])];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'cumulative', attrs: { op: this.kind, axis: this.axis, reverse: this.reverse } };
  }
  override label(): string {
    return `${this.name}{axis=${this.axis}${this.reverse ? ',reverse' : ''}}`;
  }
}

/** cumsum/cumprod(x, axis = null): null runs over the flattened array, as numpy and Theano. */
export function cumulative(kind: CumKind, x: Variable, axis?: unknown): Variable {
  const where = `cum${kind}`;
  const a = normalizeAxisArg(axis, x.ndim, where, { allowList: false });
  if (a === null) return new CumOp(kind, 0).makeNode(x.ndim === 1 ? x : flatten(x, 1)).outputs[0];
  return new CumOp(kind, a[0]).makeNode(x).outputs[0];
}

/** outer x n x inner: the axis's length and the sizes before and after it. */
export function splitAround(s: number[], axis: number): [number, number, number] {
  const outer = s.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = s.slice(axis + 1).reduce((p, d) => p * d, 1);
  return [outer, s[axis], inner];
}

registerKernel({
  opcode: 'cumulative',
  inferShape: (_a, [s]) => [s],
  js(attrs, [s], _o, types) {
    const [outer, n, inner] = splitAround(s, attrs.axis as number);
    const prod = attrs.op === 'prod';
    const intProd = prod && types.outputs[0] === 'int32';
    const reverse = attrs.reverse as boolean;
    return ([x], [o]) => {
      for (let p = 0; p < outer; p++) {
        for (let q = 0; q < inner; q++) {
          let acc = prod ? 1 : 0;
          for (let t = 0; t < n; t++) {
            const j = reverse ? n - 1 - t : t;
            const k = (p * n + j) * inner + q;
            o[k] = intProd ? Math.imul(acc, x[k]) : prod ? acc * x[k] : acc + x[k];
            acc = o[k]; // rounded to the output dtype by the store
          }
        }
      }
    };
  },
});
