/**
 * Arrays of a given (possibly symbolic) shape: alloc(value, ...shape) broadcasts value to the
 * shape (Theano's T.alloc, behind T.zeros, T.ones), and eye(n, m, k) is the identity with its
 * diagonal moved by k. The sizes are plan-time values, like arange's bounds.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Constant, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { DType, isDiscrete } from '../ndarray/dtype.js';
import { formatShape, stridesOf } from '../ndarray/shape.js';
import type { Attrs } from '../compile/program.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { array } from '../ndarray/ndarray.js';
import { sumToInput } from './grad_helpers.js';
import { Shape, shapeOf } from './reshape.js';
import { applyElemwise as ew } from './elemwise.js';

export type ShapeArg = readonly (number | Variable)[] | Variable | number;

/** A shape argument as one int scalar Variable per axis. x.shape and constant vectors are unpacked. */
export function shapeScalars(shape: ShapeArg, where: string): Variable[] {
  if (typeof shape === 'number' || (shape instanceof Variable && shape.ndim === 0)) shape = [shape];
  if (shape instanceof Variable) {
    if (shape.ndim !== 1 || !isDiscrete(shape.dtype)) throw new TypeError(`${where}: a symbolic shape must be an integer vector, got ${shape.type.describe()}`);
    if (shape instanceof Constant) return Array.from(shape.value.data, (d) => asVariable(Number(d)));
    const node = shape.owner;
    if (node && node.op instanceof Shape) return node.inputs[0].broadcastable.map((_, i) => shapeOf(node.inputs[0], i));
    throw new TypeError(`${where}: the length of this symbolic shape is not known when the graph is built; pass x.shape or an array of sizes (numbers or integer scalars)`);
  }
  if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be an array of sizes (numbers or integer scalars), x.shape, or a number`);
  return shape.map((d, i) => {
    if (typeof d === 'number' && (!Number.isInteger(d) || d < 0)) throw new RangeError(`${where}: size ${d} of axis ${i} is not a non-negative integer`);
    const v = asVariable(d as TensorLike, `${where} size ${i}`);
    if (v.ndim !== 0 || !isDiscrete(v.dtype)) throw new TypeError(`${where}: size of axis ${i} must be an integer scalar, got ${v.type.describe()}`);
    return v;
  });
}

const isOne = (v: Variable) => v instanceof Constant && v.value.size === 1 && v.value.data[0] === 1;

export class Alloc extends Op {
  readonly name = 'Alloc';
  makeNode(value: Variable, ...dims: Variable[]): Apply {
    if (value.ndim > dims.length) throw new Error(`alloc: the value has ${value.ndim} dimensions but the shape only ${dims.length}`);
    // An axis is broadcastable when its size is the constant 1.
    return new Apply(this, [value, ...dims], [new TensorType(value.dtype, dims.map(isOne))]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const [value, ...dims] = node.inputs;
    return [gz && !isDiscrete(value.dtype) ? sumToInput(gz, value) : null, ...dims.map(() => null)];
  }
  lower(node: Apply): { opcode: string; attrs: Attrs } {
    // The value's broadcastable flags: only those axes may be stretched (its gradient sums them).
    return { opcode: 'alloc', attrs: { bcast: [...node.inputs[0].broadcastable] } };
  }
}

export function alloc(value: TensorLike, shape: ShapeArg, dtype?: DType): Variable {
  let v = typeof value === 'number' && dtype ? new Constant(array(value, { dtype })) : asVariable(value, 'alloc value');
  if (dtype && v.dtype !== dtype) v = ew('cast', [v], dtype);
  return new Alloc().makeNode(v, ...shapeScalars(shape, 'alloc')).outputs[0];
}

registerKernel({
  opcode: 'alloc',
  valueInputs: (_a, n) => Array.from({ length: n - 1 }, (_, i) => i + 1),
  inferShape(attrs, shapes, values) {
    const bcast = attrs.bcast as boolean[];
    const out = values.slice(1).map((d, i) => {
      const n = Number(d![0]);
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`alloc: size ${n} of axis ${i} is negative`);
      return n;
    });
    const s = shapes[0];
    const off = out.length - s.length;
    s.forEach((d, i) => {
      if (d === out[off + i]) return;
      if (d !== 1) throw new Error(`alloc: a value of shape ${formatShape(s)} cannot be broadcast to shape ${formatShape(out)}`);
      if (!bcast[i]) throw new Error(`alloc: axis ${i} of the value has length 1 but is not declared broadcastable, so it cannot be stretched to ${out[off + i]}; declare it (e.g. dimshuffle('x', ...))`);
    });
    return [out];
  },
  js(_a, [s], [out]) {
    // Strides of the value read over the output's index space (0 along stretched axes).
    const st = stridesOf(s);
    const off = out.length - s.length;
    const strides = out.map((_, ax) => (ax < off || s[ax - off] === 1 ? 0 : st[ax - off]));
    const size = out.reduce((a, b) => a * b, 1);
    return ([v], [o]) => {
      if (v.length === 1) return void o.fill(v[0]);
      const idx = new Array<number>(out.length).fill(0);
      let src = 0;
      for (let k = 0; k < size; k++) {
        o[k] = v[src];
        for (let ax = out.length - 1; ax >= 0; ax--) {
          idx[ax]++;
          src += strides[ax];
          if (idx[ax] < out[ax]) break;
          src -= strides[ax] * out[ax];
          idx[ax] = 0;
        }
      }
    };
  },
});

export class Eye extends Op {
  readonly name = 'Eye';
  constructor(readonly dtype: DType) {
    super();
  }
  override key(): string {
    return `Eye{${this.dtype}}`;
  }
  makeNode(n: Variable, m: Variable, k: Variable): Apply {
    for (const v of [n, m, k]) if (v.ndim !== 0 || !isDiscrete(v.dtype)) throw new TypeError(`eye: n, m and k must be integer scalars, got ${v.type.describe()}`);
    return new Apply(this, [n, m, k], [new TensorType(this.dtype, [isOne(n), isOne(m)])]);
  }
  override grad(): (Variable | null)[] {
    return [null, null, null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'eye', attrs: {} };
  }
}

export function eye(n: number | Variable, m: number | Variable | null, k: number | Variable, dtype: DType): Variable {
  const vs = [n, m ?? n, k].map((v, i) => asVariable(v, `eye argument ${i}`));
  return new Eye(dtype).makeNode(vs[0], vs[1], vs[2]).outputs[0];
}

registerKernel({
  opcode: 'eye',
  valueInputs: () => [0, 1, 2],
  inferShape(_a, _s, [n, m]) {
    const rows = Number(n![0]);
    const cols = Number(m![0]);
    if (rows < 0 || cols < 0) throw new RangeError(`eye: negative size (${rows} x ${cols})`);
    return [[rows, cols]];
  },
  js: (_a, _s, [[rows, cols]]) => (ins, [o]) => {
    const k = Number(ins[2][0]);
    o.fill(0);
    for (let r = Math.max(0, -k); r < rows && r + k < cols; r++) o[r * cols + r + k] = 1;
  },
});
