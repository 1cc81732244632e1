/**
 * Reductions over axes (sum mean prod max min all any) and argmax/argmin. Sums accumulate in
 * double precision whatever the dtype, in both backends. The js kernel adds one element after
 * another; the native one (native/src/kernels/reduce.cc) in 16 lanes folded pairwise, a different
 * fixed order, so the backends agree to allclose, not to the bit.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { DType, TypedArray, isDiscrete, isFloat } from '../ndarray/dtype.js';
import { formatShape, stridesOf } from '../ndarray/shape.js';
import type { Attrs } from '../compile/program.js';
import { applyElemwise as ew } from './elemwise.js';
import { dimshuffle } from './dimshuffle.js';
import { broadcastLike } from './grad_helpers.js';
import { normalizeAxisArg } from './axis.js';

export type ReduceKind = 'sum' | 'mean' | 'prod' | 'max' | 'min' | 'all' | 'any';
export type ArgKind = 'argmax' | 'argmin';

function reduceDType(kind: ReduceKind, d: DType): DType {
  switch (kind) {
    case 'sum':
    case 'prod':
      return isDiscrete(d) ? 'int32' : d;
    case 'mean':
      // Theano: the mean of integers is float64 whatever floatX is.
      return isFloat(d) ? d : 'float64';
    case 'max':
    case 'min':
      return d;
    case 'all':
    case 'any':
      return 'bool';
  }
}

export function normalizeAxes(axis: unknown, ndim: number, where: string): number[] {
  return normalizeAxisArg(axis, ndim, where) ?? Array.from({ length: ndim }, (_, i) => i);
}

export class Reduce extends Op {
  readonly name: string;
  constructor(readonly kind: ReduceKind, readonly axes: number[], readonly keepdims: boolean) {
    super();
    this.name = kind;
  }
  override key(): string {
    return `Reduce{${this.kind},${this.axes},${this.keepdims}}`;
  }
  makeNode(x: Variable): Apply {
    const bc: boolean[] = [];
    x.broadcastable.forEach((b, i) => {
      if (!this.axes.includes(i)) bc.push(b);
      else if (this.keepdims) bc.push(true);
    });
    return new Apply(this, [x], [new TensorType(reduceDType(this.kind, x.dtype), bc)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const x = node.inputs[0];
    if (!gz || isDiscrete(x.dtype) || this.kind === 'all' || this.kind === 'any') return [null];
    const keep = (v: Variable) => (this.keepdims ? v : expandAxes(v, this.axes, x.ndim));
    const g = keep(gz);
    switch (this.kind) {
      case 'sum':
        return [broadcastLike(g, x)];
      case 'mean':
        return [ew('div', [broadcastLike(g, x), sizeOf(x, this.axes, gz.dtype)])];
      case 'max':
      case 'min': {
        const z = keep(node.outputs[0]);
        return [ew('mul', [g, ew('cast', [ew('eq', [x, z])], gz.dtype)])];
      }
      case 'prod': {
        // d prod / d x_i is the product of the others: prod / x_i, or, where x_i is the only
        // zero, the product of the non-zeros (and 0 where there are two zeros or more).
        const isZero = ew('eq', [x, 0]);
        const prodNz = reduce('prod', ew('switch', [isZero, 1, x]), this.axes, true);
        const zeros = reduce('sum', ew('cast', [isZero], 'int32'), this.axes, true);
        const z = keep(node.outputs[0]);
        const local = ew('switch', [isZero, ew('switch', [ew('eq', [zeros, 1]), prodNz, 0]), ew('div', [z, x])]);
        return [ew('mul', [g, local])];
      }
    }
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'reduce', attrs: { op: this.kind, axes: this.axes, keepdims: this.keepdims } };
  }
  override label(): string {
    return `${this.kind}{axes=${this.axes.join(',')}${this.keepdims ? ',keepdims' : ''}}`;
  }
}

/** Re-insert reduced axes as broadcastable length-1 axes. */
export function expandAxes(v: Variable, axes: number[], ndim: number): Variable {
  const pattern: (number | 'x')[] = [];
  let k = 0;
  for (let i = 0; i < ndim; i++) pattern.push(axes.includes(i) ? 'x' : k++);
  return dimshuffle(v, pattern);
}

export function reduce(kind: ReduceKind, x: Variable, axis?: unknown, keepdims = false): Variable {
  const axes = normalizeAxes(axis, x.ndim, kind);
  if ((kind === 'all' || kind === 'any') && x.dtype !== 'bool') x = ew('neq', [x, 0]);
  return new Reduce(kind, axes, keepdims).makeNode(x).outputs[0];
}

function outShapeOf(s: number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  s.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

type Acc = { init: number; step: (acc: number, v: number) => number; fin?: (acc: number, n: number) => number };
const ACCUMULATORS: Record<ReduceKind, Acc> = {
  sum: { init: 0, step: (a, v) => a + v },
  mean: { init: 0, step: (a, v) => a + v, fin: (a, n) => a / n },
  prod: { init: 1, step: (a, v) => a * v },
  // NaN wins, as in numpy.
  max: { init: -Infinity, step: (a, v) => (v > a || v !== v ? v : a) },
  min: { init: Infinity, step: (a, v) => (v < a || v !== v ? v : a) },
  all: { init: 1, step: (a, v) => (a && v ? 1 : 0) },
  any: { init: 0, step: (a, v) => (a || v ? 1 : 0) },
};

/**
 * Split the input into (kept, reduced) index spaces; each output element accumulates over the
 * reduced space. Strides are precomputed so the loop is two odometers.
 */
function reduceKernel(kind: ReduceKind, s: number[], axes: number[]) {
  const st = stridesOf(s);
  const kept = s.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = kept.map((i) => s[i]);
  const keptStrides = kept.map((i) => st[i]);
  const redShape = axes.map((i) => s[i]);
  const redStrides = axes.map((i) => st[i]);
  const redSize = redShape.reduce((a, b) => a * b, 1);
  const offsets = new Int32Array(redSize);
  enumerateOffsets(redShape, redStrides, offsets);
  const outSize = keptShape.reduce((a, b) => a * b, 1);
  const bases = new Int32Array(outSize);
  enumerateOffsets(keptShape, keptStrides, bases);
  const acc = ACCUMULATORS[kind];
  const fin = acc.fin;
  const step = acc.step;
  const lastContiguous = axes.length > 0 && axes.every((a, i) => a === s.length - axes.length + i);
  const firstAxes = axes.length > 0 && axes.every((a, i) => a === i);
  return (ins: TypedArray[], outs: TypedArray[]) => {
    const x = ins[0];
    const o = outs[0];
    if (kind === 'sum' || kind === 'mean') {
      if (lastContiguous) {
        for (let k = 0; k < outSize; k++) {
          let a = 0;
          const b = k * redSize;
          for (let j = 0; j < redSize; j++) a += x[b + j];
          o[k] = fin ? fin(a, redSize) : a;
        }
        return;
      }
      if (firstAxes) {
        // Sum whole rows into the output: contiguous reads, as for a bias gradient.
        const acc2 = new Float64Array(outSize);
        for (let r = 0; r < redSize; r++) {
          const b = r * outSize;
          for (let k = 0; k < outSize; k++) acc2[k] += x[b + k];
        }
        for (let k = 0; k < outSize; k++) o[k] = fin ? fin(acc2[k], redSize) : acc2[k];
        return;
      }
    }
    if ((kind === 'max' || kind === 'min') && redSize === 0 && outSize > 0) {
      throw new Error(`${kind}: zero-size array to reduction operation ${kind}, which has no identity (input shape ${formatShape(s)}, axes ${axes})`);
    }
    for (let k = 0; k < outSize; k++) {
      let a = acc.init;
      const b = bases[k];
      for (let j = 0; j < redSize; j++) a = step(a, x[b + offsets[j]]);
      o[k] = fin ? fin(a, redSize) : a;
    }
  };
}

/** All flat offsets of an index space in C order. */
export function enumerateOffsets(shape: number[], strides: number[], out: Int32Array): void {
  let k = 0;
  const rec = (ax: number, off: number) => {
    if (ax === shape.length) {
      out[k++] = off;
      return;
    }
    for (let i = 0; i < shape[ax]; i++) rec(ax + 1, off + i * strides[ax]);
  };
  if (out.length > 0) rec(0, 0);
}

registerKernel({
  opcode: 'reduce',
  inferShape(attrs, [s]) {
    const axes = attrs.axes as number[];
    const kind = attrs.op as ReduceKind;
    if ((kind === 'max' || kind === 'min') && axes.some((a) => s[a] === 0) && outShapeOf(s, axes, false).every((d) => d > 0)) {
      throw new Error(`${kind}: zero-size array to reduction operation ${kind}, which has no identity (input shape ${formatShape(s)})`);
    }
    return [outShapeOf(s, axes, attrs.keepdims as boolean)];
  },
  js: (attrs, [s]) => reduceKernel(attrs.op as ReduceKind, s, attrs.axes as number[]),
});

// ---------------------------------------------------------------------------------------------

export class ArgReduce extends Op {
  readonly name: string;
  constructor(readonly kind: ArgKind, readonly axis: number | null, readonly keepdims: boolean) {
    super();
    this.name = kind;
  }
  override key(): string {
    return `${this.kind}{${this.axis},${this.keepdims}}`;
  }
  makeNode(x: Variable): Apply {
    const axes = this.axis === null ? x.broadcastable.map((_, i) => i) : [this.axis];
    const bc: boolean[] = [];
    x.broadcastable.forEach((b, i) => {
      if (!axes.includes(i)) bc.push(b);
      else if (this.keepdims) bc.push(true);
    });
    return new Apply(this, [x], [new TensorType('int32', bc)]);
  }
  override grad(): (Variable | null)[] {
    return [null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'argreduce', attrs: { op: this.kind, axis: this.axis, keepdims: this.keepdims } };
  }
}

export function argReduce(kind: ArgKind, x: Variable, axis?: unknown, keepdims = false): Variable {
  const axes = normalizeAxisArg(axis, x.ndim, kind, { allowList: false });
  const ax = axes === null ? null : axes[0];
  return new ArgReduce(kind, ax, keepdims).makeNode(x).outputs[0];
}

registerKernel({
  opcode: 'argreduce',
  inferShape(attrs, [s]) {
    const axes = attrs.axis === null ? s.map((_, i) => i) : [attrs.axis as number];
    if (axes.some((a) => s[a] === 0)) throw new Error(`${attrs.op}: attempt to get ${attrs.op} of an empty sequence (input shape ${formatShape(s)})`);
    return [outShapeOf(s, axes, attrs.keepdims as boolean)];
  },
  js(attrs, [s]) {
    const axes = attrs.axis === null ? s.map((_, i) => i) : [attrs.axis as number];
    const st = stridesOf(s);
    const kept = s.map((_, i) => i).filter((i) => !axes.includes(i));
    const redShape = axes.map((i) => s[i]);
    const redSize = redShape.reduce((a, b) => a * b, 1);
    const offsets = new Int32Array(redSize);
    enumerateOffsets(redShape, axes.map((i) => st[i]), offsets);
    const keptShape = kept.map((i) => s[i]);
    const bases = new Int32Array(keptShape.reduce((a, b) => a * b, 1));
    enumerateOffsets(keptShape, kept.map((i) => st[i]), bases);
    const isMax = attrs.op === 'argmax';
    return (ins, outs) => {
      const x = ins[0];
      for (let k = 0; k < bases.length; k++) {
        let best = x[bases[k]];
        let arg = 0;
        if (best === best) {
          for (let j = 1; j < redSize; j++) {
            const v = x[bases[k] + offsets[j]];
            if (v !== v) {
              arg = j;
              break;
            }
            if (isMax ? v > best : v < best) {
              best = v;
              arg = j;
            }
          }
        }
        outs[0][k] = arg;
      }
    };
  },
});

// ---------------------------------------------------------------------------------------------

/** The number of elements over `axes` of x, as a 0-d value of `dtype` (for mean's gradient). */
export class SizeOf extends Op {
  readonly name = 'SizeOf';
  constructor(readonly axes: number[], readonly dtype: DType) {
    super();
  }
  override key(): string {
    return `SizeOf{${this.axes},${this.dtype}}`;
  }
  makeNode(x: Variable): Apply {
    return new Apply(this, [x], [new TensorType(this.dtype, [])]);
  }
  override grad(): (Variable | null)[] {
    return [null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'size_of', attrs: { axes: this.axes } };
  }
}

export function sizeOf(x: Variable, axes: number[], dtype: DType): Variable {
  return new SizeOf(axes, dtype).makeNode(x).outputs[0];
}

registerKernel({
  opcode: 'size_of',
  shapeOnly: true,
  axesRead: (attrs) => attrs.axes as number[],
  inferShape: () => [[]],
  js(attrs, [s]) {
    const n = (attrs.axes as number[]).reduce((a, ax) => a * s[ax], 1);
    return (_ins, outs) => {
      outs[0][0] = n;
    };
  },
});
