/**
 * sort and argsort along one axis (numpy's, Theano's T.sort / T.argsort). The order is stable
 * (equal values keep their positions) and NaN sorts last, as numpy's; both backends use the
 * same comparison, so they give the same permutation. argsort gives int32 indices.
 *
 * One opcode, four modes over the permutation p that sorts x along the axis:
 *   values:  out[i] = x[p[i]]       indices: out[i] = p[i]
 *   scatter: out[p[i]] = g[i]       (the gradient of sort)
 *   gather:  out[i] = g[p[i]]       (the gradient of scatter)
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { isDiscrete } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';
import { flatten } from './reshape.js';
import { normalizeAxisArg } from './axis.js';
import { splitAround } from './cumulative.js';

export type SortMode = 'values' | 'indices' | 'scatter' | 'gather';

export class Sort extends Op {
  readonly name: string;
  constructor(readonly axis: number, readonly mode: SortMode) {
    super();
    this.name = mode === 'values' ? 'sort' : mode === 'indices' ? 'argsort' : `sort_${mode}`;
  }
  override key(): string {
    return `Sort{${this.axis},${this.mode}}`;
  }
  makeNode(x: Variable, g?: Variable): Apply {
    if (this.axis < 0 || this.axis >= x.ndim) throw new RangeError(`${this.name}: axis ${this.axis} is out of range for a ${x.ndim}-d input`);
    if (this.mode === 'values' || this.mode === 'indices') {
      return new Apply(this, [x], [new TensorType(this.mode === 'indices' ? 'int32' : x.dtype, x.broadcastable)]);
    }
    if (!g || g.ndim !== x.ndim) throw new Error(`${this.name}: needs a second input of x's rank`);
    return new Apply(this, [x, g], [new TensorType(g.dtype, x.broadcastable)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const x = node.inputs[0];
    if (this.mode === 'indices') return [null];
    if (this.mode === 'values') return [gz && !isDiscrete(x.dtype) ? new Sort(this.axis, 'scatter').makeNode(x, gz).outputs[0] : null];
    // scatter and gather are linear in g and transposes of each other; x only picks the permutation.
    const other = this.mode === 'scatter' ? 'gather' : 'scatter';
    return [null, gz ? new Sort(this.axis, other).makeNode(x, gz).outputs[0] : null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'sort', attrs: { axis: this.axis, mode: this.mode } };
  }
  override label(): string {
    return `${this.name}{axis=${this.axis}}`;
  }
}

/** sort/argsort(x, axis = -1); axis null sorts the flattened array. */
export function sortOp(mode: 'values' | 'indices', x: Variable, axis: unknown = -1): Variable {
  const where = mode === 'values' ? 'sort' : 'argsort';
  if (x.ndim === 0) throw new TypeError(`${where}: needs at least one dimension, got a scalar`);
  const a = normalizeAxisArg(axis, x.ndim, where, { allowList: false });
  if (a === null) return new Sort(0, mode).makeNode(x.ndim === 1 ? x : flatten(x, 1)).outputs[0];
  return new Sort(a[0], mode).makeNode(x).outputs[0];
}

/** Ascending, NaN last; ties keep their order because Array.prototype.sort is stable. */
function compare(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = a !== a;
  const bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

registerKernel({
  opcode: 'sort',
  inferShape(_attrs, shapes) {
    if (shapes.length === 2 && shapes[1].join() !== shapes[0].join()) throw new Error(`sort: gradient of shape [${shapes[1]}] for an input of shape [${shapes[0]}]`);
    return [shapes[0]];
  },
  js(attrs, [s]) {
    const [outer, n, inner] = splitAround(s, attrs.axis as number);
    const mode = attrs.mode as SortMode;
    const perm: number[] = new Array(n);
    const vals = new Float64Array(n);
    return (ins, [o]) => {
      const x = ins[0];
      const g = ins[1];
      for (let p = 0; p < outer; p++) {
        for (let q = 0; q < inner; q++) {
          const base = p * n * inner + q;
          for (let j = 0; j < n; j++) {
            perm[j] = j;
            vals[j] = x[base + j * inner];
          }
          perm.sort((a, b) => compare(vals[a], vals[b]));
          for (let j = 0; j < n; j++) {
            const at = base + j * inner;
            const from = base + perm[j] * inner;
            if (mode === 'values') o[at] = vals[perm[j]];
            else if (mode === 'indices') o[at] = perm[j];
            else if (mode === 'scatter') o[from] = g[at];
            else o[at] = g[from];
          }
        }
      }
    };
  },
});
