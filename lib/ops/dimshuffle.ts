/**
 * DimShuffle: permute axes, insert broadcastable axes ('x') and drop broadcastable ones —
 * Theano's x.dimshuffle(...), also behind transpose and x.T. Lowered to `dimshuffle`, which is
 * a view (no copy) when the axes of length > 1 keep their order.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { formatShape, stridesOf } from '../ndarray/shape.js';
import type { Attrs } from '../compile/program.js';
import type { TypedArray } from '../ndarray/dtype.js';

/** A dimshuffle pattern: an input axis number per output axis, or `'x'` for a new broadcastable axis. */
export type Pattern = (number | 'x')[];

export class DimShuffle extends Op {
  readonly name = 'DimShuffle';
  constructor(readonly pattern: Pattern) {
    super();
  }
  override key(): string {
    return `DimShuffle${JSON.stringify(this.pattern)}`;
  }
  makeNode(x: Variable): Apply {
    const where = `dimshuffle(${JSON.stringify(this.pattern)})`;
    const used = this.pattern.filter((p): p is number => p !== 'x');
    for (const p of used) {
      if (!Number.isInteger(p) || p < 0 || p >= x.ndim) throw new RangeError(`${where}: axis ${p} is out of range for a ${x.ndim}-d input`);
    }
    if (new Set(used).size !== used.length) throw new Error(`${where}: an axis appears twice`);
    for (let i = 0; i < x.ndim; i++) {
      if (!used.includes(i) && !x.broadcastable[i]) throw new Error(`${where}: cannot drop axis ${i}: it is not broadcastable`);
    }
    const bc = this.pattern.map((p) => (p === 'x' ? true : x.broadcastable[p]));
    return new Apply(this, [x], [new TensorType(x.dtype, bc)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    if (!gz) return [null];
    const x = node.inputs[0];
    // Undo: for each input axis, where it went (dropped axes come back as 'x').
    const back: Pattern = [];
    for (let i = 0; i < x.ndim; i++) {
      const j = this.pattern.indexOf(i);
      back.push(j >= 0 ? j : 'x');
    }
    return [new DimShuffle(back).makeNode(gz).outputs[0]];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'dimshuffle', attrs: { pattern: this.pattern } };
  }
  override label(): string {
    const p = this.pattern;
    if (p.length === 2 && p[0] === 1 && p[1] === 0) return 'Transpose';
    return `DimShuffle{${p.join(',')}}`;
  }
}

export function dimshuffle(x: Variable, pattern: Pattern): Variable {
  return new DimShuffle(pattern).makeNode(x).outputs[0];
}

export function transpose(x: Variable, axes?: number[]): Variable {
  const perm = axes ?? Array.from({ length: x.ndim }, (_, i) => x.ndim - 1 - i);
  if (perm.length !== x.ndim) throw new Error(`transpose: axes ${JSON.stringify(axes)} do not match a ${x.ndim}-d input`);
  return dimshuffle(x, perm);
}

function isOrderPreserving(pattern: Pattern, inShape: number[]): boolean {
  let last = -1;
  for (const p of pattern) {
    if (p === 'x' || inShape[p] === 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

registerKernel({
  opcode: 'dimshuffle',
  inferShape(attrs, [s]) {
    const pattern = attrs.pattern as Pattern;
    for (let i = 0; i < s.length; i++) {
      if (!pattern.includes(i) && s[i] !== 1) throw new Error(`dimshuffle: axis ${i} of an input of shape ${formatShape(s)} is dropped but has length ${s[i]}`);
    }
    return [pattern.map((p) => (p === 'x' ? 1 : s[p]))];
  },
  view: (attrs, [s]) => isOrderPreserving(attrs.pattern as Pattern, s),
  js(attrs, [s], [o]) {
    const pattern = attrs.pattern as Pattern;
    const st = stridesOf(s);
    const srcStrides = pattern.map((p) => (p === 'x' ? 0 : st[p]));
    return (ins: TypedArray[], outs: TypedArray[]) => stridedCopy(ins[0], outs[0], o, srcStrides);
  },
});

/** Copy `src` read with element strides `strides` into contiguous `dst` of shape `shape`. */
export function stridedCopy(src: TypedArray, dst: TypedArray, shape: number[], strides: number[], srcOffset = 0): void {
  const nd = shape.length;
  if (dst.length === 0) return;
  if (nd === 0) {
    dst[0] = src[srcOffset];
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const inner = shape[nd - 1];
  const is = strides[nd - 1];
  let off = srcOffset;
  let k = 0;
  for (;;) {
    for (let j = 0, p = off; j < inner; j++, p += is) dst[k++] = src[p];
    let ax = nd - 2;
    while (ax >= 0) {
      idx[ax]++;
      off += strides[ax];
      if (idx[ax] < shape[ax]) break;
      off -= strides[ax] * shape[ax];
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) return;
  }
}
