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
import { broadcastStrides, formatShape, sizeOf } from '../ndarray/shape.js';
import { Bound, IndexEntry, IndexPlan, arraySources, fillIndexOffsets, indexValueKey, planIndex, runtimeBase, shapeValueInputs } from './index_plan.js';
import type { Attrs } from '../compile/program.js';
import { asVariable } from '../graph/as_variable.js';
import { NDArray } from '../ndarray/ndarray.js';
import { applyElemwise as ew } from './elemwise.js';
import { sumToInput } from './grad_helpers.js';

export type { Bound, IndexEntry } from './index_plan.js';

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

const specOf = (attrs: Attrs) => attrs.spec as unknown as IndexEntry[];
const planOf = (decision: Attrs | undefined) => decision as unknown as IndexPlan;

/** Offsets of the selection for one call: fixed per plan unless the plan reads runtime scalars. */
function offsetsFinder(plan: IndexPlan): (ins: TypedArray[]) => Int32Array {
  const sources = arraySources(plan);
  const advOff = new Int32Array(sizeOf(plan.advShape));
  const out = new Int32Array(sizeOf(plan.outShape));
  if (plan.terms.length === 0 && plan.arrays.length === 0) {
    fillIndexOffsets(plan, [], sources, advOff, out);
    return () => out;
  }
  return (ins) => {
    fillIndexOffsets(plan, ins, sources, advOff, out);
    return out;
  };
}

registerKernel({
  opcode: 'index',
  // Index values are data: one out of bounds fails the call.
  mayFail: true,
  valueInputs: (attrs) => shapeValueInputs(specOf(attrs)),
  valueKey: (attrs, shapes, values) => indexValueKey(specOf(attrs), shapes[0], values),
  inferShape: (attrs, shapes, values) => [planIndex(specOf(attrs), shapes[0], shapes, values).outShape],
  decide: (attrs, shapes, _outs, _types, values) => planIndex(specOf(attrs), shapes[0], shapes, values) as unknown as Attrs,
  // A slice of consecutive elements (rows of a minibatch) is a view of x: no copy.
  runtimeView: { can: (decision) => planOf(decision).contiguous, offset: (decision, ins) => runtimeBase(planOf(decision), ins) },
  js(_attrs, _inShapes, [o], _types, decision) {
    const plan = planOf(decision);
    const n = sizeOf(o);
    if (plan.contiguous) {
      return (ins, outs) => {
        const base = runtimeBase(plan, ins);
        outs[0].set(ins[0].subarray(base, base + n));
      };
    }
    const offsets = offsetsFinder(plan);
    return (ins, outs) => {
      const off = offsets(ins);
      const x = ins[0];
      const out = outs[0];
      for (let k = 0; k < n; k++) out[k] = x[off[k]];
    };
  },
});

registerKernel({
  opcode: 'index_update',
  mayFail: true,
  // The result is x with the selection changed: it may be x's storage (the kernels copy x only
  // when it is not), so a fill followed by increments of its slices is one buffer throughout.
  inPlace: () => [0],
  valueInputs: (attrs) => shapeValueInputs(specOf(attrs)),
  valueKey: (attrs, shapes, values) => indexValueKey(specOf(attrs), shapes[0], values),
  inferShape(attrs, shapes, values) {
    const sel = planIndex(specOf(attrs), shapes[0], shapes, values).outShape;
    const v = shapes[shapes.length - 1];
    const fits = v.length <= sel.length && v.every((d, i) => d === 1 || d === sel[sel.length - v.length + i]);
    if (!fits) throw new Error(`${attrs.mode === 'set' ? 'set' : 'inc'}Subtensor: value of shape ${formatShape(v)} cannot be broadcast to the selection of shape ${formatShape(sel)}`);
    return [shapes[0]];
  },
  decide: (attrs, shapes, _outs, _types, values) => planIndex(specOf(attrs), shapes[0], shapes, values) as unknown as Attrs,
  js(attrs, inShapes, _outs, _types, decision) {
    const plan = planOf(decision);
    const inc = attrs.mode === 'inc';
    const n = sizeOf(plan.outShape);
    // Where each selected element takes its value from: v broadcast to the selection.
    const vOff = arraySources({ ...plan, advShape: plan.outShape, arrays: [{ in: 0, axis: 0, n: 0, stride: 0, bstrides: broadcastStrides(inShapes[inShapes.length - 1], plan.outShape) }] })[0];
    const offsets = offsetsFinder(plan);
    return (ins, outs) => {
      // Every index is checked before anything is written.
      const off = offsets(ins);
      const out = outs[0];
      const v = ins[ins.length - 1];
      const x = ins[0];
      // In place (the plan gave out x's storage) there is nothing to copy.
      if (out.buffer !== x.buffer || out.byteOffset !== x.byteOffset) out.set(x);
      if (inc) for (let k = 0; k < n; k++) out[off[k]] += v[vOff[k]];
      else for (let k = 0; k < n; k++) out[off[k]] = v[vOff[k]];
    };
  },
});
