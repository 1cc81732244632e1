/**
 * Indexing: x.get(...) with integers, slices and integer arrays (numpy's basic and advanced
 * indexing), and its companion indexUpdate (set or increment the indexed elements), which is
 * also the gradient of get. Both resolve an index to a list of flat source offsets with the
 * same function, so get and its gradient cannot disagree.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Constant, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { TypedArray, isDiscrete, isFloat } from '../ndarray/dtype.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, stridesOf } from '../ndarray/shape.js';
import type { Attrs } from '../compile/program.js';
import { asVariable } from '../graph/as_variable.js';
import { NDArray } from '../ndarray/ndarray.js';
import { applyElemwise as ew } from './elemwise.js';
import { sumToInput } from './grad_helpers.js';

/** A bound: a literal, the value of input `in`, or absent. */
export type Bound = number | { in: number } | null;
export type IndexEntry =
  | { k: 'int'; v: Bound }
  | { k: 'slice'; start: Bound; stop: Bound; step: Bound }
  | { k: 'array'; in: number };

/** A slice made by `T.slice`, for indexing. */
export class SliceSpec {
  constructor(readonly start: number | Variable | null, readonly stop: number | Variable | null, readonly step: number | Variable | null) {}
}

/**
 * T.slice(start?, stop?, step?) like Python's slice; null or undefined leave a bound open.
 * @example x.get(T.slice(1, null), T.slice(null, null, 2))  // x[1:, ::2]
 */
export function slice(start?: number | Variable | null, stop?: number | Variable | null, step?: number | Variable | null): SliceSpec {
  return new SliceSpec(start ?? null, stop ?? null, step ?? null);
}

/** One index of `x.get(...)`: a number, an int Variable, a slice, or an int vector (advanced indexing). */
export type IndexArg = number | Variable | SliceSpec | NDArray | readonly number[];

function describeSpec(spec: IndexEntry[]): string {
  const b = (v: Bound) => (v === null ? '' : typeof v === 'number' ? String(v) : `i${v.in}`);
  return spec.map((e) => (e.k === 'int' ? b(e.v) : e.k === 'slice' ? `${b(e.start)}:${b(e.stop)}${e.step === null ? '' : ':' + b(e.step)}` : `[i${e.in}]`)).join(', ');
}

/** Static output type of indexing `x` with `spec` (numpy placement rules for advanced indices). */
function indexedType(x: Variable, spec: IndexEntry[], inputs: Variable[]): TensorType {
  const adv = spec.some((e) => e.k === 'array');
  const advPos = spec.map((e, i) => (e.k === 'array' || (adv && e.k === 'int') ? i : -1)).filter((i) => i >= 0);
  const advBc: boolean[] = [];
  if (adv) {
    const nd = Math.max(...advPos.map((i) => (spec[i].k === 'array' ? inputs[(spec[i] as { in: number }).in].ndim : 0)));
    for (let d = 0; d < nd; d++) {
      advBc.push(advPos.every((i) => {
        const e = spec[i];
        if (e.k !== 'array') return true;
        const v = inputs[e.in];
        const off = nd - v.ndim;
        return d < off || v.broadcastable[d - off];
      }));
    }
  }
  const contiguous = advPos.every((p, i) => i === 0 || p === advPos[i - 1] + 1);
  const out: boolean[] = [];
  if (adv && !contiguous) out.push(...advBc);
  spec.forEach((e, i) => {
    if (adv && contiguous && i === advPos[0]) out.push(...advBc);
    if (e.k === 'slice') out.push(x.broadcastable[i]);
  });
  for (let i = spec.length; i < x.ndim; i++) out.push(x.broadcastable[i]);
  return new TensorType(x.dtype, out);
}

/** Turn user index arguments into a spec plus the extra inputs it refers to. */
function buildSpec(x: Variable, idx: readonly IndexArg[]): { spec: IndexEntry[]; extra: Variable[] } {
  if (idx.length > x.ndim) throw new RangeError(`get: too many indices (${idx.length}) for a ${x.ndim}-d variable`);
  const extra: Variable[] = [];
  const bound = (v: number | Variable | null, what: string): Bound => {
    if (v === null || typeof v === 'number') {
      if (typeof v === 'number' && !Number.isInteger(v)) throw new TypeError(`get: ${what} must be an integer, got ${v}`);
      return v;
    }
    if (v instanceof Constant && v.ndim === 0 && isDiscrete(v.dtype)) return v.value.data[0];
    if (v.ndim !== 0 || !isDiscrete(v.dtype)) throw new TypeError(`get: ${what} must be an integer scalar, got ${v.type.describe()}`);
    extra.push(v);
    return { in: extra.length };
  };
  const spec = idx.map((a, axis): IndexEntry => {
    if (a instanceof SliceSpec) return { k: 'slice', start: bound(a.start, 'slice start'), stop: bound(a.stop, 'slice stop'), step: bound(a.step, 'slice step') };
    if (typeof a === 'number') return { k: 'int', v: bound(a, `index on axis ${axis}`) };
    const v = a instanceof Variable ? a : asVariable(a as NDArray, `index on axis ${axis}`);
    if (v.dtype === 'bool') throw new TypeError(`get: boolean mask indexing is not supported (axis ${axis}); use T.switch or integer indices`);
    if (!isDiscrete(v.dtype)) throw new TypeError(`get: index on axis ${axis} must be an integer, got ${v.type.describe()}`);
    if (v.ndim === 0) return { k: 'int', v: bound(v, `index on axis ${axis}`) };
    extra.push(v);
    return { k: 'array', in: extra.length };
  });
  return { spec, extra };
}

export class Index extends Op {
  readonly name = 'Index';
  constructor(readonly spec: IndexEntry[]) {
    super();
  }
  override key(): string {
    return `Index${JSON.stringify(this.spec)}`;
  }
  makeNode(x: Variable, ...extra: Variable[]): Apply {
    const inputs = [x, ...extra];
    return new Apply(this, inputs, [indexedType(x, this.spec, inputs)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const [x, ...extra] = node.inputs;
    const rest = extra.map(() => null);
    if (!gz || isDiscrete(x.dtype)) return [null, ...rest];
    const zeros = ew('second', [x, 0]);
    return [new IndexUpdate(this.spec, 'inc').makeNode(zeros, gz, ...extra).outputs[0], ...rest];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'index', attrs: { spec: this.spec as unknown as Attrs[] } };
  }
  override label(): string {
    return `Index{${describeSpec(this.spec)}}`;
  }
}

/** x with the elements selected by spec set to (or incremented by) v, v broadcast to the selection. */
export class IndexUpdate extends Op {
  readonly name: string;
  constructor(readonly spec: IndexEntry[], readonly mode: 'set' | 'inc') {
    super();
    this.name = mode === 'set' ? 'SetSubtensor' : 'IncSubtensor';
  }
  override key(): string {
    return `IndexUpdate{${this.mode}}${JSON.stringify(this.spec)}`;
  }
  makeNode(x: Variable, v: Variable, ...extra: Variable[]): Apply {
    // Index inputs are numbered as for Index (x at 0), so v is passed after them in the Program.
    const sel = indexedType(x, this.spec, [x, ...extra]);
    if (v.ndim > sel.ndim) throw new Error(`${this.name}: value has ${v.ndim} dims but the selection has ${sel.ndim}`);
    const vv = v.dtype === x.dtype ? v : ew('cast', [v], x.dtype);
    return new Apply(this, [x, ...extra, vv], [x.type]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const x = node.inputs[0];
    const extra = node.inputs.slice(1, -1);
    const v = node.inputs[node.inputs.length - 1];
    const rest = extra.map(() => null);
    if (!gz) return [null, ...rest, null];
    const gx = this.mode === 'inc' ? gz : new IndexUpdate(this.spec, 'set').makeNode(gz, ew('second', [v, 0]), ...extra).outputs[0];
    const gv = isFloat(v.dtype) ? sumToInput(new Index(this.spec).makeNode(gz, ...extra).outputs[0], v) : null;
    return [isFloat(x.dtype) ? gx : null, ...rest, gv];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'index_update', attrs: { spec: this.spec as unknown as Attrs[], mode: this.mode } };
  }
  override label(): string {
    return `${this.name}{${describeSpec(this.spec)}}`;
  }
}

export function get(x: Variable, ...idx: IndexArg[]): Variable {
  const { spec, extra } = buildSpec(x, idx);
  return new Index(spec).makeNode(x, ...extra).outputs[0];
}

/** Theano's set_subtensor / inc_subtensor: x.get(...idx) replaced by (or incremented by) v. */
export function indexUpdate(x: Variable, idx: readonly IndexArg[], v: Variable, mode: 'set' | 'inc'): Variable {
  const { spec, extra } = buildSpec(x, idx);
  return new IndexUpdate(spec, mode).makeNode(x, v, ...extra).outputs[0];
}

// ---------------------------------------------------------------------------------------------
// Resolution: spec + shapes (+ values) -> output shape and flat source offsets.

function boundValue(b: Bound, values: (TypedArray | undefined)[]): number | null {
  if (b === null || typeof b === 'number') return b;
  return Number(values[b.in]![0]);
}

/** Python slice semantics: returns first index, step and length for an axis of length n. */
export function resolveSlice(start: number | null, stop: number | null, step: number | null, n: number): { first: number; step: number; len: number } {
  const st = step ?? 1;
  if (st === 0) throw new RangeError('get: slice step cannot be zero');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let a: number;
  let b: number;
  if (st > 0) {
    a = start === null ? 0 : clamp(start < 0 ? start + n : start, 0, n);
    b = stop === null ? n : clamp(stop < 0 ? stop + n : stop, 0, n);
  } else {
    a = start === null ? n - 1 : clamp(start < 0 ? start + n : start, -1, n - 1);
    b = stop === null ? -1 : clamp(stop < 0 ? stop + n : stop, -1, n - 1);
  }
  const len = st > 0 ? Math.max(0, Math.ceil((b - a) / st)) : Math.max(0, Math.ceil((a - b) / -st));
  return { first: a, step: st, len };
}

function checkIndex(i: number, n: number, axis: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`get: index ${i} is out of bounds for axis ${axis} with size ${n}`);
  return i < 0 ? i + n : i;
}

interface Resolved {
  outShape: number[];
  /** Offset of the first selected element. */
  base: number;
  /** Per output axis: step in x's flat index, and step in the advanced-offset table. */
  xStep: number[];
  advStep: number[];
  /** Advanced axes (in x) and the broadcast shape of their index arrays. */
  advAxes: number[];
  advShape: number[];
}

function resolve(spec: IndexEntry[], xs: number[], shapes: number[][], values: (TypedArray | undefined)[]): Resolved {
  const st = stridesOf(xs);
  const adv = spec.some((e) => e.k === 'array');
  const advAxes = spec.map((e, i) => (e.k === 'array' || (adv && e.k === 'int') ? i : -1)).filter((i) => i >= 0);
  const advShape = adv ? broadcastShapes(advAxes.map((i) => (spec[i].k === 'array' ? shapes[(spec[i] as { in: number }).in] : [])), 'get (index arrays)') : [];
  const advStrides = stridesOf(advShape);
  const contiguous = advAxes.every((p, i) => i === 0 || p === advAxes[i - 1] + 1);
  const outShape: number[] = [];
  const xStep: number[] = [];
  const advStep: number[] = [];
  const pushAdv = () => advShape.forEach((d, i) => {
    outShape.push(d);
    xStep.push(0);
    advStep.push(advStrides[i]);
  });
  let base = 0;
  if (adv && !contiguous) pushAdv();
  spec.forEach((e, ax) => {
    if (adv && contiguous && ax === advAxes[0]) pushAdv();
    if (e.k === 'int' && !adv) {
      base += checkIndex(boundValue(e.v, values)!, xs[ax], ax) * st[ax];
    } else if (e.k === 'slice') {
      const r = resolveSlice(boundValue(e.start, values), boundValue(e.stop, values), boundValue(e.step, values), xs[ax]);
      if (r.len > 0) base += r.first * st[ax];
      outShape.push(r.len);
      xStep.push(r.step * st[ax]);
      advStep.push(0);
    }
  });
  for (let ax = spec.length; ax < xs.length; ax++) {
    outShape.push(xs[ax]);
    xStep.push(st[ax]);
    advStep.push(0);
  }
  return { outShape, base, xStep, advStep, advAxes, advShape };
}

/**
 * Fill `out` with the flat offset in x of every selected element, in C order of the selection.
 * `broadcastCache` keeps, per index array, where each of its elements lands in the broadcast
 * shape (fixed for a plan, so computed once).
 */
function fillOffsets(r: Resolved, spec: IndexEntry[], xs: number[], shapes: number[][], ins: TypedArray[], advOff: Int32Array, out: Int32Array, broadcastCache: Map<number, Int32Array>): void {
  if (r.advAxes.length > 0) {
    const st = stridesOf(xs);
    advOff.fill(0);
    for (const ax of r.advAxes) {
      const e = spec[ax];
      if (e.k === 'array') {
        const idx = ins[e.in];
        let tmp = broadcastCache.get(ax);
        if (!tmp || tmp.length !== advOff.length) {
          tmp = new Int32Array(advOff.length);
          offsetsOf(r.advShape, broadcastStrides(shapes[e.in], r.advShape), tmp);
          broadcastCache.set(ax, tmp);
        }
        for (let p = 0; p < advOff.length; p++) advOff[p] += checkIndex(idx[tmp[p]], xs[ax], ax) * st[ax];
      } else {
        const v = checkIndex(boundValue((e as { v: Bound }).v, ins)!, xs[ax], ax);
        for (let p = 0; p < advOff.length; p++) advOff[p] += v * st[ax];
      }
    }
  }
  const nd = r.outShape.length;
  const n = out.length;
  if (n === 0) return;
  const i = new Array<number>(nd).fill(0);
  let xo = r.base;
  let ao = 0;
  const hasAdv = r.advAxes.length > 0;
  for (let k = 0; k < n; k++) {
    out[k] = hasAdv ? xo + advOff[ao] : xo;
    for (let ax = nd - 1; ax >= 0; ax--) {
      i[ax]++;
      xo += r.xStep[ax];
      ao += r.advStep[ax];
      if (i[ax] < r.outShape[ax]) break;
      xo -= r.xStep[ax] * r.outShape[ax];
      ao -= r.advStep[ax] * r.outShape[ax];
      i[ax] = 0;
    }
  }
}

/** Flat offsets of an index space read with the given strides. */
function offsetsOf(shape: number[], strides: number[], out: Int32Array): void {
  const nd = shape.length;
  const i = new Array<number>(nd).fill(0);
  let o = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = o;
    for (let ax = nd - 1; ax >= 0; ax--) {
      i[ax]++;
      o += strides[ax];
      if (i[ax] < shape[ax]) break;
      o -= strides[ax] * shape[ax];
      i[ax] = 0;
    }
  }
}

const scalarInputs = (attrs: Attrs) => {
  const ins: number[] = [];
  for (const e of attrs.spec as unknown as IndexEntry[]) {
    const add = (b: Bound) => b !== null && typeof b === 'object' && ins.push(b.in);
    if (e.k === 'int') add(e.v);
    if (e.k === 'slice') [e.start, e.stop, e.step].forEach(add);
  }
  return ins;
};

registerKernel({
  opcode: 'index',
  // Index values are data: one out of bounds fails the call.
  mayFail: true,
  valueInputs: (attrs) => scalarInputs(attrs),
  inferShape: (attrs, shapes, values) => [resolve(attrs.spec as unknown as IndexEntry[], shapes[0], shapes, values).outShape],
  js(attrs, inShapes, [o]) {
    const spec = attrs.spec as unknown as IndexEntry[];
    const offsets = new Int32Array(sizeOf(o));
    let advOff = new Int32Array(0);
    const cache = new Map<number, Int32Array>();
    return (ins, outs) => {
      const r = resolve(spec, inShapes[0], inShapes, ins);
      if (advOff.length !== sizeOf(r.advShape)) advOff = new Int32Array(sizeOf(r.advShape));
      fillOffsets(r, spec, inShapes[0], inShapes, ins, advOff, offsets, cache);
      const x = ins[0];
      const out = outs[0];
      for (let k = 0; k < offsets.length; k++) out[k] = x[offsets[k]];
    };
  },
});

registerKernel({
  opcode: 'index_update',
  mayFail: true,
  valueInputs: (attrs) => scalarInputs(attrs),
  inferShape(attrs, shapes, values) {
    const spec = attrs.spec as unknown as IndexEntry[];
    const sel = resolve(spec, shapes[0], shapes, values).outShape;
    const v = shapes[shapes.length - 1];
    const fits = v.length <= sel.length && v.every((d, i) => d === 1 || d === sel[sel.length - v.length + i]);
    if (!fits) throw new Error(`${attrs.mode === 'set' ? 'set' : 'inc'}Subtensor: value of shape ${formatShape(v)} cannot be broadcast to the selection of shape ${formatShape(sel)}`);
    return [shapes[0]];
  },
  js(attrs, inShapes) {
    const spec = attrs.spec as unknown as IndexEntry[];
    const inc = attrs.mode === 'inc';
    const vShape = inShapes[inShapes.length - 1];
    let offsets = new Int32Array(0);
    let vOff = new Int32Array(0);
    let advOff = new Int32Array(0);
    const cache = new Map<number, Int32Array>();
    return (ins, outs) => {
      const r = resolve(spec, inShapes[0], inShapes, ins);
      const n = sizeOf(r.outShape);
      if (offsets.length !== n) {
        offsets = new Int32Array(n);
        vOff = new Int32Array(n);
        offsetsOf(r.outShape, broadcastStrides(vShape, r.outShape), vOff);
      }
      if (advOff.length !== sizeOf(r.advShape)) advOff = new Int32Array(sizeOf(r.advShape));
      fillOffsets(r, spec, inShapes[0], inShapes, ins, advOff, offsets, cache);
      const out = outs[0];
      const v = ins[ins.length - 1];
      out.set(ins[0]);
      if (inc) for (let k = 0; k < n; k++) out[offsets[k]] += v[vOff[k]];
      else for (let k = 0; k < n; k++) out[offsets[k]] = v[vOff[k]];
    };
  },
});

