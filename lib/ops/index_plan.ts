/**
 * Index resolution, once per plan. numpy's rules (negative indices, clamped slice bounds,
 * placement of advanced axes) are applied here, in TypeScript, when a plan is made; what is
 * left for run time is arithmetic that both backends' kernels execute the same way:
 *
 *   offset(element) = base + Σ terms(runtime scalars) + Σ index-array entries · stride
 *                     + the element's position along each output axis · xStep
 *
 * A plan is made per shape, not per index value: integer indices and slice starts are runtime
 * scalars (`terms`), read from their buffers by the kernel on every call. Slice lengths decide
 * the output shape, so the plan is valid only while they stay the same (the plan's guard
 * checks that), and a variable slice step is part of the plan's key.
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { broadcastShapes, broadcastStrides, sizeOf, stridesOf } from '../ndarray/shape.js';

/** A bound: a literal, the value of input `in`, or absent. */
export type Bound = number | { in: number } | null;
export type IndexEntry =
  | { k: 'int'; v: Bound }
  | { k: 'slice'; start: Bound; stop: Bound; step: Bound }
  | { k: 'array'; in: number };

/**
 * A runtime scalar added to the base offset: `index` is an integer index, checked against the
 * axis length `n` (negative counts from the end); `start` is a slice start, made non-negative
 * like an index and then clamped to [lo, hi] (Python's slice rule).
 */
export interface IndexTerm {
  mode: 'index' | 'start';
  in: number;
  axis: number;
  n: number;
  stride: number;
  lo: number;
  hi: number;
}

/** An index array over the advanced axes: its entries, read with `bstrides` (broadcast to advShape), select along `axis`. */
export interface IndexArray {
  in: number;
  axis: number;
  n: number;
  stride: number;
  bstrides: number[];
}

/** Everything the kernels need to find the selected elements for one plan. */
export interface IndexPlan {
  outShape: number[];
  base: number;
  xStep: number[];
  advStep: number[];
  advShape: number[];
  terms: IndexTerm[];
  arrays: IndexArray[];
  /** The selection is one run of consecutive elements starting at the resolved base. */
  contiguous: boolean;
}

/** Python slice semantics: first index, step and length for an axis of length n. */
export function resolveSlice(start: number | null, stop: number | null, step: number | null, n: number): { first: number; step: number; len: number } {
  const st = step ?? 1;
  if (st === 0) throw new RangeError('get: slice step cannot be zero');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const lo = st > 0 ? 0 : -1;
  const hi = st > 0 ? n : n - 1;
  const a = start === null ? (st > 0 ? 0 : n - 1) : clamp(start < 0 ? start + n : start, lo, hi);
  const b = stop === null ? (st > 0 ? n : -1) : clamp(stop < 0 ? stop + n : stop, lo, hi);
  const len = st > 0 ? Math.max(0, Math.ceil((b - a) / st)) : Math.max(0, Math.ceil((a - b) / -st));
  return { first: a, step: st, len };
}

export function checkIndex(i: number, n: number, axis: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`get: index ${i} is out of bounds for axis ${axis} with size ${n}`);
  return i < 0 ? i + n : i;
}

function boundValue(b: Bound, values: readonly (TypedArray | undefined)[]): number | null {
  if (b === null || typeof b === 'number') return b;
  const v = values[b.in];
  if (!v) throw new Error(`get: the value of index input ${b.in} is not known when the plan is made`);
  return Number(v[0]);
}

/** The inputs whose values decide the output shape: slice bounds (integer indices do not). */
export function shapeValueInputs(spec: readonly IndexEntry[]): number[] {
  const ins: number[] = [];
  const add = (b: Bound) => b !== null && typeof b === 'object' && ins.push(b.in);
  for (const e of spec) if (e.k === 'slice') [e.start, e.stop, e.step].forEach(add);
  return ins;
}

/** What of the index values a plan depends on: the length of each slice with a variable bound, and variable steps. */
export function indexValueKey(spec: readonly IndexEntry[], xs: readonly number[], values: readonly (TypedArray | undefined)[]): string {
  let key = '';
  spec.forEach((e, ax) => {
    const variable = (b: Bound) => b !== null && typeof b === 'object';
    if (e.k !== 'slice' || !(variable(e.start) || variable(e.stop) || variable(e.step))) return;
    const step = boundValue(e.step, values);
    key += `${resolveSlice(boundValue(e.start, values), boundValue(e.stop, values), step, xs[ax]).len}:${step ?? ''};`;
  });
  return key;
}

/**
 * Resolves `spec` for x of shape `xs`: `shapes` are the shapes of all the instruction's inputs
 * (index arrays among them), `values` the values of the inputs in shapeValueInputs.
 */
export function planIndex(spec: readonly IndexEntry[], xs: readonly number[], shapes: readonly (readonly number[])[], values: readonly (TypedArray | undefined)[]): IndexPlan {
  const st = stridesOf([...xs]);
  const adv = spec.some((e) => e.k === 'array');
  const advAxes = spec.map((e, i) => (e.k === 'array' || (adv && e.k === 'int') ? i : -1)).filter((i) => i >= 0);
  const arrayShape = (i: number) => [...shapes[(spec[i] as { in: number }).in]];
  const advShape = adv ? broadcastShapes(advAxes.map((i) => (spec[i].k === 'array' ? arrayShape(i) : [])), 'get (index arrays)') : [];
  const advStrides = stridesOf(advShape);
  const together = advAxes.every((p, i) => i === 0 || p === advAxes[i - 1] + 1);
  const plan: IndexPlan = { outShape: [], base: 0, xStep: [], advStep: [], advShape, terms: [], arrays: [], contiguous: false };
  const push = (len: number, xStep: number, advStep: number) => {
    plan.outShape.push(len);
    plan.xStep.push(xStep);
    plan.advStep.push(advStep);
  };
  const pushAdv = () => advShape.forEach((d, i) => push(d, 0, advStrides[i]));
  const term = (mode: IndexTerm['mode'], input: number, axis: number, lo = 0, hi = 0) => plan.terms.push({ mode, in: input, axis, n: xs[axis], stride: st[axis], lo, hi });

  if (adv && !together) pushAdv();
  spec.forEach((e, ax) => {
    if (adv && together && ax === advAxes[0]) pushAdv();
    if (e.k === 'int') {
      // Inside advanced indexing an integer broadcasts like a 0-d array; either way it moves the base.
      if (typeof e.v === 'number') plan.base += checkIndex(e.v, xs[ax], ax) * st[ax];
      else if (e.v !== null) term('index', e.v.in, ax);
    } else if (e.k === 'slice') {
      const r = resolveSlice(boundValue(e.start, values), boundValue(e.stop, values), boundValue(e.step, values), xs[ax]);
      if (r.len > 0) {
        if (e.start !== null && typeof e.start === 'object') term('start', e.start.in, ax, r.step > 0 ? 0 : -1, r.step > 0 ? xs[ax] : xs[ax] - 1);
        else plan.base += r.first * st[ax];
      }
      push(r.len, r.step * st[ax], 0);
    } else {
      plan.arrays.push({ in: e.in, axis: ax, n: xs[ax], stride: st[ax], bstrides: broadcastStrides(arrayShape(ax), advShape) });
    }
  });
  for (let ax = spec.length; ax < xs.length; ax++) push(xs[ax], st[ax], 0);

  // One run of consecutive elements: each axis of length > 1 steps by the size of the axes after it.
  let run = 1;
  plan.contiguous = plan.arrays.length === 0 && plan.outShape.every((_, i) => {
    const ax = plan.outShape.length - 1 - i;
    const ok = plan.outShape[ax] <= 1 || plan.xStep[ax] === run;
    run *= plan.outShape[ax];
    return ok;
  });
  if (sizeOf(plan.outShape) === 0) plan.terms = [];
  return plan;
}

/** Positions in the broadcast index space of each index array's elements (fixed per plan). */
export function arraySources(plan: IndexPlan): Int32Array[] {
  return plan.arrays.map((a) => {
    const out = new Int32Array(sizeOf(plan.advShape));
    walk(plan.advShape, a.bstrides, (k, o) => (out[k] = o));
    return out;
  });
}

/** The base offset for this call: the plan's base plus every runtime scalar, each checked. */
export function runtimeBase(plan: IndexPlan, ins: readonly TypedArray[]): number {
  let base = plan.base;
  for (const t of plan.terms) {
    const v = Number(ins[t.in][0]);
    if (t.mode === 'index') base += checkIndex(v, t.n, t.axis) * t.stride;
    else base += Math.min(Math.max(v < 0 ? v + t.n : v, t.lo), t.hi) * t.stride;
  }
  return base;
}

/**
 * Fills `out` with the flat offset in x of every selected element, in C order of the
 * selection; `advOff` is scratch of the index space's size, `sources` from arraySources.
 */
export function fillIndexOffsets(plan: IndexPlan, ins: readonly TypedArray[], sources: readonly Int32Array[], advOff: Int32Array, out: Int32Array): void {
  const base = runtimeBase(plan, ins);
  const hasAdv = plan.arrays.length > 0;
  if (hasAdv) {
    advOff.fill(0);
    plan.arrays.forEach((a, j) => {
      const idx = ins[a.in];
      const src = sources[j];
      for (let p = 0; p < advOff.length; p++) advOff[p] += checkIndex(idx[src[p]], a.n, a.axis) * a.stride;
    });
  }
  const { outShape, xStep, advStep } = plan;
  const nd = outShape.length;
  if (out.length === 0) return;
  const i = new Array<number>(nd).fill(0);
  let xo = base;
  let ao = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = hasAdv ? xo + advOff[ao] : xo;
    for (let ax = nd - 1; ax >= 0; ax--) {
      i[ax]++;
      xo += xStep[ax];
      ao += advStep[ax];
      if (i[ax] < outShape[ax]) break;
      xo -= xStep[ax] * outShape[ax];
      ao -= advStep[ax] * outShape[ax];
      i[ax] = 0;
    }
  }
}

/** Calls visit(k, offset) for each index of `shape` in C order, reading with `strides`. */
function walk(shape: readonly number[], strides: readonly number[], visit: (k: number, offset: number) => void): void {
  const nd = shape.length;
  const n = sizeOf([...shape]);
  const i = new Array<number>(nd).fill(0);
  let o = 0;
  for (let k = 0; k < n; k++) {
    visit(k, o);
    for (let ax = nd - 1; ax >= 0; ax--) {
      i[ax]++;
      o += strides[ax];
      if (i[ax] < shape[ax]) break;
      o -= strides[ax] * shape[ax];
      i[ax] = 0;
    }
  }
}
