/** concatenate, stack, and the split that is concatenate's gradient. */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { formatShape, normalizeAxis, sizeOf } from '../ndarray/shape.js';
import { upcast } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';
import { applyElemwise as ew } from './elemwise.js';
import { dimshuffle } from './dimshuffle.js';

export class Join extends Op {
  readonly name = 'Join';
  constructor(readonly axis: number) {
    super();
  }
  override key(): string {
    return `Join{${this.axis}}`;
  }
  makeNode(...xs: Variable[]): Apply {
    if (xs.length === 0) throw new Error('concatenate: need at least one array');
    const nd = xs[0].ndim;
    if (nd === 0) throw new Error('concatenate: zero-dimensional arrays cannot be concatenated');
    xs.forEach((x, i) => {
      if (x.ndim !== nd) throw new Error(`concatenate: all inputs must have the same ndim; input 0 is ${nd}-d, input ${i} is ${x.ndim}-d`);
    });
    const dtype = upcast(...xs.map((x) => x.dtype));
    const bc = xs[0].broadcastable.map((_, i) => (i === this.axis ? xs.length === 1 && xs[0].broadcastable[i] : xs.every((x) => x.broadcastable[i])));
    return new Apply(this, xs.map((x) => (x.dtype === dtype ? x : ew('cast', [x], dtype))), [new TensorType(dtype, bc)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    if (!gz) return node.inputs.map(() => null);
    return node.inputs.map((_x, k) => new SplitPart(this.axis, k).makeNode(gz, ...node.inputs).outputs[0]);
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'join', attrs: { axis: this.axis } };
  }
  override label(): string {
    return `Join{axis=${this.axis}}`;
  }
}

/** Part k of gz along axis, sized like input k of the concatenation (inputs 1.. give the sizes). */
export class SplitPart extends Op {
  readonly name = 'SplitPart';
  constructor(readonly axis: number, readonly part: number) {
    super();
  }
  override key(): string {
    return `SplitPart{${this.axis},${this.part}}`;
  }
  makeNode(gz: Variable, ...parts: Variable[]): Apply {
    return new Apply(this, [gz, ...parts], [new TensorType(gz.dtype, parts[this.part].broadcastable)]);
  }
  override grad(node: Apply): (Variable | null)[] {
    return node.inputs.map(() => null);
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'split_part', attrs: { axis: this.axis, part: this.part } };
  }
}

export function concatenate(xs: readonly Variable[], axis = 0): Variable {
  if (xs.length === 0) throw new Error('concatenate: need at least one array');
  const ax = normalizeAxis(axis, xs[0].ndim, 'concatenate');
  return new Join(ax).makeNode(...xs).outputs[0];
}

export function stack(xs: readonly Variable[], axis = 0): Variable {
  if (xs.length === 0) throw new Error('stack: need at least one array');
  const nd = xs[0].ndim;
  const ax = normalizeAxis(axis, nd + 1, 'stack');
  const expanded = xs.map((x) => {
    if (x.ndim !== nd) throw new Error(`stack: all inputs must have the same ndim; got ${nd}-d and ${x.ndim}-d`);
    const pattern: (number | 'x')[] = Array.from({ length: nd }, (_, i) => i);
    pattern.splice(ax, 0, 'x');
    return dimshuffle(x, pattern);
  });
  return new Join(ax).makeNode(...expanded).outputs[0];
}

/** Outer size (product of axes before `axis`) and inner size (product after). */
function split(s: number[], axis: number) {
  return { outer: sizeOf(s.slice(0, axis)), inner: sizeOf(s.slice(axis + 1)) };
}

registerKernel({
  opcode: 'join',
  inferShape(attrs, shapes) {
    const axis = attrs.axis as number;
    const out = [...shapes[0]];
    shapes.forEach((s, i) => {
      if (i === 0) return;
      s.forEach((d, ax) => {
        if (ax !== axis && d !== shapes[0][ax]) {
          throw new Error(`concatenate: all input dimensions except axis ${axis} must match; input 0 has shape ${formatShape(shapes[0])}, input ${i} has ${formatShape(s)}`);
        }
      });
      out[axis] += s[axis];
    });
    return [out];
  },
  js(attrs, inShapes, [o]) {
    const axis = attrs.axis as number;
    const { outer } = split(o, axis);
    const rowLen = sizeOf(o.slice(axis));
    const partLens = inShapes.map((s) => sizeOf(s.slice(axis)));
    return (ins, outs) => {
      const out = outs[0];
      for (let r = 0; r < outer; r++) {
        let off = r * rowLen;
        for (let i = 0; i < ins.length; i++) {
          const len = partLens[i];
          out.set(ins[i].subarray(r * len, (r + 1) * len), off);
          off += len;
        }
      }
    };
  },
});

registerKernel({
  opcode: 'split_part',
  inferShape: (attrs, shapes) => [shapes[1 + (attrs.part as number)]],
  js(attrs, inShapes) {
    const axis = attrs.axis as number;
    const part = attrs.part as number;
    const g = inShapes[0];
    const { outer } = split(g, axis);
    const rowLen = sizeOf(g.slice(axis));
    const partLens = inShapes.slice(1).map((s) => sizeOf(s.slice(axis)));
    const start = partLens.slice(0, part).reduce((a, b) => a + b, 0);
    const len = partLens[part];
    return (ins, outs) => {
      for (let r = 0; r < outer; r++) outs[0].set(ins[0].subarray(r * rowLen + start, r * rowLen + start + len), r * len);
    };
  },
});
