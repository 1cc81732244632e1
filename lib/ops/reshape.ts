/** Reshape, flatten and x.shape. Reshapes of C-ordered data are views: no copy is made. */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable, Constant } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { formatShape, sizeOf } from '../ndarray/shape.js';
import { isDiscrete } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';
import { asVariable } from '../graph/as_variable.js';

/**
 * Reshape to `spec`: a number per output axis, where null takes the value of the next scalar
 * input (symbolic sizes) and -1 is inferred. mode 'like' reshapes input 0 to input 1's shape.
 */
export class Reshape extends Op {
  readonly name = 'Reshape';
  constructor(readonly spec: (number | null)[] | 'like') {
    super();
  }
  override key(): string {
    return `Reshape${JSON.stringify(this.spec)}`;
  }
  makeNode(x: Variable, ...dims: Variable[]): Apply {
    if (this.spec === 'like') {
      return new Apply(this, [x, dims[0]], [new TensorType(x.dtype, dims[0].broadcastable)]);
    }
    const spec = this.spec;
    if (spec.filter((d) => d === -1).length > 1) throw new Error(`reshape: only one dimension can be -1, got ${JSON.stringify(spec)}`);
    for (const d of dims) {
      if (d.ndim !== 0 || !isDiscrete(d.dtype)) throw new TypeError(`reshape: symbolic sizes must be integer scalars, got ${d.type.describe()}`);
    }
    const bc = spec.map((d) => d === 1);
    return new Apply(this, [x, ...dims], [new TensorType(x.dtype, bc)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const x = node.inputs[0];
    const rest = node.inputs.slice(1).map(() => null);
    if (!gz) return [null, ...rest];
    return [new Reshape('like').makeNode(gz, x).outputs[0], ...rest];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'reshape', attrs: { spec: this.spec } };
  }
  override label(): string {
    return this.spec === 'like' ? 'ReshapeLike' : `Reshape{${this.spec.map((d) => (d === null ? '?' : d)).join(',')}}`;
  }
}

export function reshape(x: Variable, shape: readonly (number | Variable)[] | Variable): Variable {
  if (shape instanceof Variable) {
    throw new TypeError('reshape: pass the new shape as an array of numbers or integer scalar variables');
  }
  const spec: (number | null)[] = [];
  const dims: Variable[] = [];
  for (const d of shape) {
    if (typeof d === 'number') {
      if (!Number.isInteger(d) || d < -1) throw new RangeError(`reshape: invalid size ${d} in ${JSON.stringify(shape.map(String))}`);
      spec.push(d);
    } else if (d instanceof Constant && d.value.size === 1) {
      spec.push(d.value.data[0]);
    } else {
      spec.push(null);
      dims.push(asVariable(d));
    }
  }
  return new Reshape(spec).makeNode(x, ...dims).outputs[0];
}

/** Keep the first ndim-1 axes and merge the rest (Theano's flatten(ndim)). */
export function flatten(x: Variable, ndim = 1): Variable {
  if (ndim < 1 || ndim > Math.max(1, x.ndim)) throw new RangeError(`flatten: ndim must be between 1 and ${Math.max(1, x.ndim)}, got ${ndim}`);
  const shape: (number | Variable)[] = [];
  for (let i = 0; i < ndim - 1; i++) shape.push(shapeOf(x, i));
  shape.push(-1);
  return reshape(x, shape);
}

registerKernel({
  opcode: 'reshape',
  valueInputs: (attrs, n) => (attrs.spec === 'like' ? [] : Array.from({ length: n - 1 }, (_, i) => i + 1)),
  inferShape(attrs, shapes, values) {
    const s = shapes[0];
    if (attrs.spec === 'like') {
      if (sizeOf(shapes[1]) !== sizeOf(s)) throw new Error(`reshape: cannot reshape array of shape ${formatShape(s)} into shape ${formatShape(shapes[1])}`);
      return [shapes[1]];
    }
    let next = 1;
    const out = (attrs.spec as (number | null)[]).map((d) => (d === null ? Number(values[next++]![0]) : d));
    const neg = out.indexOf(-1);
    const known = out.reduce((a, d, i) => (i === neg ? a : a * d), 1);
    if (neg >= 0) out[neg] = known === 0 ? 0 : sizeOf(s) / known;
    if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== sizeOf(s)) {
      throw new Error(`reshape: cannot reshape array of shape ${formatShape(s)} (size ${sizeOf(s)}) into shape ${formatShape((attrs.spec as (number | null)[]).map((d, i) => (d === null ? out[i] : d)))}`);
    }
    return [out];
  },
  view: () => true,
  js: () => (ins, outs) => outs[0].set(ins[0]),
});

// ---------------------------------------------------------------------------------------------

/** x.shape as an int32 vector; its value is known once shapes are, so plans compute it early. */
export class Shape extends Op {
  readonly name = 'Shape';
  makeNode(x: Variable): Apply {
    return new Apply(this, [x], [new TensorType('int32', [x.ndim === 1])]);
  }
  override grad(): (Variable | null)[] {
    return [null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'shape', attrs: {} };
  }
}

/** One axis of x.shape as an int32 scalar. */
export class ShapeI extends Op {
  readonly name = 'ShapeI';
  constructor(readonly axis: number) {
    super();
  }
  override key(): string {
    return `ShapeI{${this.axis}}`;
  }
  makeNode(x: Variable): Apply {
    if (this.axis < 0 || this.axis >= x.ndim) throw new RangeError(`shape: axis ${this.axis} is out of range for a ${x.ndim}-d variable`);
    return new Apply(this, [x], [new TensorType('int32', [])]);
  }
  override grad(): (Variable | null)[] {
    return [null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'shape', attrs: { axis: this.axis } };
  }
  override label(): string {
    return `Shape_i{${this.axis}}`;
  }
}

export function shape(x: Variable): Variable {
  return new Shape().makeNode(x).outputs[0];
}

export function shapeOf(x: Variable, axis: number): Variable {
  return new ShapeI(axis < 0 ? axis + x.ndim : axis).makeNode(x).outputs[0];
}

registerKernel({
  opcode: 'shape',
  shapeOnly: true,
  axesRead: (attrs) => (attrs.axis === undefined ? null : [attrs.axis as number]),
  inferShape: (attrs, [s]) => [attrs.axis === undefined ? [s.length] : []],
  js(attrs, [s]) {
    const vals = attrs.axis === undefined ? s : [s[attrs.axis as number]];
    return (_ins, outs) => outs[0].set(vals);
  },
});
