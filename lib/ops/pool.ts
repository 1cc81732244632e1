/**
 * pool2d over the last two axes (Theano's pool_2d): max, sum, average_inc_pad and
 * average_exc_pad; ignoreBorder, strides other than the window, zero padding. And its
 * gradients: for max, every input equal to its window's maximum receives that window's whole
 * gradient (ties included, as Theano's MaxPoolGrad), and that map's adjoint sums each window's
 * maximal inputs (Theano's DownsampleFactorMaxGradGrad); for sum and the averages, each input
 * receives the gradient of every window that counts it, divided by that window's divisor.
 *
 * The windows of each axis (first and last input index, divisor) are worked out here once per
 * plan and handed to both backends' kernels, which only loop over them. Their scratch (rows of
 * sums for the native kernels' parts, a float64 plane for the js gradients) is declared as
 * workspaces, placed in the plan's arena.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import type { KernelTypes, WorkspaceSpec } from './kernel.js';
import type { Attrs } from '../compile/program.js';
import { isDiscrete, isFloat } from '../ndarray/dtype.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape, sizeOf } from '../ndarray/shape.js';
import { shape } from './reshape.js';
import { applyElemwise as ew } from './elemwise.js';

export type PoolMode = 'max' | 'sum' | 'average_inc_pad' | 'average_exc_pad';
const MODES: readonly PoolMode[] = ['max', 'sum', 'average_inc_pad', 'average_exc_pad'];

export interface PoolParams {
  ws: [number, number];
  stride: [number, number];
  pad: [number, number];
  ignoreBorder: boolean;
  mode: PoolMode;
}

export interface Pool2dOptions {
  ws: readonly number[];
  ignoreBorder?: boolean;
  stride?: readonly number[];
  pad?: readonly number[];
  mode?: PoolMode;
}

/** Checks the user's options (Theano's rules: padding needs ignoreBorder and must be smaller than the window). */
export function poolParams(o: Pool2dOptions): PoolParams {
  const pair = (v: readonly number[] | undefined, name: string, min: number): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= min)) throw new Error(`pool2d: ${name} must be two integers >= ${min}, got ${JSON.stringify(v)}`);
    return [v[0], v[1]];
  };
  if (!o || typeof o !== 'object') throw new Error('pool2d: options { ws: [rows, cols], ... } are required');
  const ws = pair(o.ws, 'ws', 1);
  const stride = o.stride === undefined ? ws : pair(o.stride, 'stride', 1);
  const pad = o.pad === undefined ? ([0, 0] as [number, number]) : pair(o.pad, 'pad', 0);
  const ignoreBorder = o.ignoreBorder ?? true;
  const mode = o.mode ?? 'max';
  if (!MODES.includes(mode)) throw new Error(`pool2d: mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if ((pad[0] || pad[1]) && !ignoreBorder) throw new Error('pool2d: padding works only with ignoreBorder: true');
  if (pad[0] >= ws[0] || pad[1] >= ws[1]) throw new Error(`pool2d: padding ${pad.join('x')} must be smaller than the window ${ws.join('x')}`);
  return { ws, stride, pad, ignoreBorder, mode };
}

/** The windows along one axis of `size` elements: input range [lo, hi) and the divisor of averages. */
interface AxisWindows {
  lo: number[];
  hi: number[];
  div: number[];
}

function axisWindows(size: number, ws: number, st: number, pad: number, ignoreBorder: boolean, mode: PoolMode): AxisWindows {
  const padded = size + 2 * pad;
  let n: number;
  if (size === 0) n = 0;
  else if (ignoreBorder) n = ws === st ? Math.floor(padded / st) : Math.max(Math.floor((padded - ws) / st) + 1, 0);
  else n = st >= ws ? Math.floor((padded - 1) / st) + 1 : Math.max(0, Math.floor((padded - 1 - ws + st) / st)) + 1;
  const w: AxisWindows = { lo: [], hi: [], div: [] };
  for (let i = 0; i < n; i++) {
    const start = i * st; // in padded coordinates
    const end = Math.min(start + ws, padded);
    const lo = Math.max(start, pad) - pad;
    const hi = Math.min(end, size + pad) - pad;
    w.lo.push(lo);
    w.hi.push(hi);
    // Padding is never read; average_inc_pad still counts it (within the padded image).
    w.div.push(mode === 'average_inc_pad' ? end - start : mode === 'average_exc_pad' ? hi - lo : 1);
  }
  return w;
}

export interface PoolGeometry {
  planes: number;
  rows: number;
  cols: number;
  outRows: number;
  outCols: number;
  rowLo: number[];
  rowHi: number[];
  rowDiv: number[];
  colLo: number[];
  colHi: number[];
  colDiv: number[];
  /** 2x2 windows that tile the plane exactly (each input in one window): the native kernels' fast path. */
  pairs: boolean;
}

function paramsOf(attrs: Attrs): PoolParams {
  return { ws: attrs.ws as [number, number], stride: attrs.stride as [number, number], pad: attrs.pad as [number, number], ignoreBorder: attrs.ignoreBorder as boolean, mode: attrs.mode as PoolMode };
}

/** Geometry for an input of shape `xs` (at least 2-d; leading axes are independent planes). */
export function poolGeometry(p: PoolParams, xs: readonly number[]): PoolGeometry {
  const rows = xs[xs.length - 2];
  const cols = xs[xs.length - 1];
  const r = axisWindows(rows, p.ws[0], p.stride[0], p.pad[0], p.ignoreBorder, p.mode);
  const c = axisWindows(cols, p.ws[1], p.stride[1], p.pad[1], p.ignoreBorder, p.mode);
  const planes = sizeOf(xs.slice(0, -2));
  const tiles = (w: { lo: number[]; hi: number[] }, size: number) => w.lo.length * 2 === size && w.lo.every((lo, i) => lo === 2 * i && w.hi[i] === lo + 2);
  const pairs = tiles(r, rows) && tiles(c, cols);
  return { planes, rows, cols, outRows: r.lo.length, outCols: c.lo.length, rowLo: r.lo, rowHi: r.hi, rowDiv: r.div, colLo: c.lo, colHi: c.hi, colDiv: c.div, pairs };
}

const outShapeOf = (xs: readonly number[], g: PoolGeometry) => [...xs.slice(0, -2), g.outRows, g.outCols];

export type PoolRole = 'forward' | 'maxGrad' | 'maxGradGrad' | 'sumGrad';
const OPCODE: Record<PoolRole, string> = { forward: 'pool2d', maxGrad: 'pool2d_max_grad', maxGradGrad: 'pool2d_max_grad_grad', sumGrad: 'pool2d_sum_grad' };

export class Pool2d extends Op {
  readonly name: string;
  constructor(readonly role: PoolRole, readonly params: PoolParams) {
    super();
    this.name = OPCODE[role];
  }
  override key(): string {
    return `Pool2d{${this.role},${JSON.stringify(this.params)}}`;
  }
  /** forward (x); maxGrad (x, maxOut, gz); maxGradGrad (x, maxOut, ggx); sumGrad (gz, x.shape): sum and both averages. */
  makeNode(...ins: Variable[]): Apply {
    const x = ins[0];
    if (x.ndim < 2) throw new Error(`${this.name}: the input must have at least 2 dimensions, got ${x.ndim}-d (${x.type.describe()})`);
    if (!isFloat(x.dtype)) throw new Error(`${this.name}: the input must be float32 or float64, got ${x.dtype} (cast it first)`);
    if (this.role === 'forward') return new Apply(this, [x], [new TensorType(x.dtype, [...x.broadcastable.slice(0, -2), false, false])]);
    if (this.role === 'maxGrad' || this.role === 'maxGradGrad') {
      if (ins.length !== 3 || ins.some((v) => v.ndim !== x.ndim || v.dtype !== x.dtype)) throw new Error(`${this.name}: needs x, the pooled output and a gradient, of one ndim and dtype`);
      return new Apply(this, ins, [this.role === 'maxGrad' ? x.type : ins[1].type]);
    }
    const [gz, xshape] = ins;
    if (!xshape || xshape.ndim !== 1 || !isDiscrete(xshape.dtype)) throw new Error(`${this.name}: needs the input's shape as an int vector`);
    return new Apply(this, [gz, xshape], [new TensorType(gz.dtype, gz.broadcastable.map((b, i) => b && i < gz.ndim - 2))]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    if (!gz) return node.inputs.map(() => null);
    const p = this.params;
    if (this.role === 'forward') {
      const x = node.inputs[0];
      if (p.mode === 'max') return [new Pool2d('maxGrad', p).makeNode(x, node.outputs[0], gz).outputs[0]];
      return [new Pool2d('sumGrad', p).makeNode(gz, shape(x)).outputs[0]];
    }
    // sum/average gradients are linear in gz: their adjoint is the pooling itself.
    if (this.role === 'sumGrad') return [new Pool2d('forward', p).makeNode(gz).outputs[0], null];
    // Which inputs are maximal is piecewise constant in x (zero gradients, as Theano); in the
    // gradient both maps are linear, each the other's adjoint.
    const [x, z] = node.inputs;
    const zeros = (v: Variable) => ew('second', [v, 0], v.dtype);
    const adjoint = new Pool2d(this.role === 'maxGrad' ? 'maxGradGrad' : 'maxGrad', p).makeNode(x, z, gz).outputs[0];
    return [zeros(x), zeros(z), adjoint];
  }
  lower(): { opcode: string; attrs: Attrs } {
    const p = this.params;
    return { opcode: this.name, attrs: { ws: p.ws, stride: p.stride, pad: p.pad, ignoreBorder: p.ignoreBorder, mode: p.mode } };
  }
  override label(): string {
    const p = this.params;
    const extra = [p.mode, `ws=${p.ws.join('x')}`];
    if (p.stride[0] !== p.ws[0] || p.stride[1] !== p.ws[1]) extra.push(`stride=${p.stride.join('x')}`);
    if (p.pad[0] || p.pad[1]) extra.push(`pad=${p.pad.join('x')}`);
    if (!p.ignoreBorder) extra.push('keepBorder');
    return `${this.name}{${extra.join(',')}}`;
  }
}

/** Theano's pool_2d over the last two axes of `x`. */
export function pool2d(x: Variable, opts: Pool2dOptions): Variable {
  return new Pool2d('forward', poolParams(opts)).makeNode(x).outputs[0];
}

// ---------------------------------------------------------------------------------------------
// Kernels

/** At most this many native parts (threads over the planes), each with its own row of scratch. */
const MAX_PARTS = 8;

/** What the plan carries: the geometry and how many parts the native kernels' row scratch serves. */
export interface PoolDecision extends PoolGeometry {
  parts: number;
}

/** The window geometry, decided once per plan; both backends' kernels execute it. */
const decideGeometry =
  (xOf: (ins: number[][], outs: number[][]) => number[]) =>
  (attrs: Attrs, ins: number[][], outs: number[][]): Attrs => {
    const g = poolGeometry(paramsOf(attrs), xOf(ins, outs));
    return { ...g, parts: Math.max(1, Math.min(MAX_PARTS, g.planes)) } as unknown as Attrs;
  };

/** One row of float64 sums (or gradient shares) per native part. */
const rowsWorkspace = (g: PoolDecision): WorkspaceSpec => ({ dtype: 'float64', elements: g.parts * Math.max(1, g.outCols) });
/** One input plane in float64, where the js gradients add up each input's shares before rounding. */
const planeWorkspace = (g: PoolDecision): WorkspaceSpec => ({ dtype: 'float64', elements: Math.max(1, g.rows * g.cols) });
const workspaceOf =
  (spaces: (g: PoolDecision, attrs: Attrs) => WorkspaceSpec[]) =>
  (attrs: Attrs, _ins: number[][], _outs: number[][], _types: KernelTypes, decision?: Attrs): WorkspaceSpec[] =>
    spaces(decision as unknown as PoolDecision, attrs);

registerKernel({
  opcode: 'pool2d',
  inferShape: (attrs, [xs]) => [outShapeOf(xs, poolGeometry(paramsOf(attrs), xs))],
  decide: decideGeometry((ins) => ins[0]),
  // Sums and averages add up each window's rows (the native kernels, in float64); max needs nothing.
  workspace: workspaceOf((g, attrs) => (attrs.mode === 'max' ? [] : [rowsWorkspace(g)])),
  js(attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as PoolGeometry;
    const isMax = attrs.mode === 'max';
    return ([x], [out]) => {
      let o = 0;
      for (let p = 0; p < g.planes; p++) {
        const base = p * g.rows * g.cols;
        for (let i = 0; i < g.outRows; i++) {
          for (let j = 0; j < g.outCols; j++, o++) {
            let acc = isMax ? x[base + g.rowLo[i] * g.cols + g.colLo[j]] : 0;
            for (let r = g.rowLo[i]; r < g.rowHi[i]; r++) {
              const row = base + r * g.cols;
              for (let c = g.colLo[j]; c < g.colHi[j]; c++) {
                const v = x[row + c];
                if (isMax) acc = v > acc ? v : acc;
                else acc += v;
              }
            }
            out[o] = isMax ? acc : acc / (g.rowDiv[i] * g.colDiv[j]);
          }
        }
      }
    };
  },
});

/** Shared loop of the gradients: calls visit(plane base, window i, j, output index). */
function forEachWindow(g: PoolGeometry, visit: (base: number, i: number, j: number, o: number) => void): void {
  for (let p = 0; p < g.planes; p++) forEachWindowOf(g, p, visit);
}

/** The windows of plane `p` alone. */
function forEachWindowOf(g: PoolGeometry, p: number, visit: (base: number, i: number, j: number, o: number) => void): void {
  const base = p * g.rows * g.cols;
  let o = p * g.outRows * g.outCols;
  for (let i = 0; i < g.outRows; i++) for (let j = 0; j < g.outCols; j++) visit(base, i, j, o++);
}

/**
 * Plane by plane, the shares `add` gives each input (at its index within the plane) are summed
 * in the float64 workspace `acc`, then rounded once into `out`.
 */
function accumulatePlanes(g: PoolGeometry, acc: TypedArray, out: TypedArray, add: (base: number, i: number, j: number, o: number, acc: TypedArray) => void): void {
  const plane = g.rows * g.cols;
  if (acc.length < plane) throw new Error(`pool2d: the plan's workspace holds ${acc.length} elements, a plane needs ${plane}`);
  const sums = acc.subarray(0, plane);
  for (let p = 0; p < g.planes; p++) {
    sums.fill(0);
    forEachWindowOf(g, p, (base, i, j, o) => add(base, i, j, o, sums));
    out.set(sums, p * plane);
  }
}

function checkSameShape(a: number[], b: number[], what: string, where: string): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) throw new Error(`${where}: ${what} has shape ${formatShape(b)}, expected ${formatShape(a)}`);
}

registerKernel({
  opcode: 'pool2d_max_grad',
  inferShape(attrs, [xs, zs, gzs]) {
    const want = outShapeOf(xs, poolGeometry(paramsOf(attrs), xs));
    checkSameShape(want, zs, 'the pooled output', 'pool2d_max_grad');
    checkSameShape(want, gzs, 'the output gradient', 'pool2d_max_grad');
    return [xs];
  },
  decide: decideGeometry((ins) => ins[0]),
  workspace: workspaceOf((g) => [planeWorkspace(g)]),
  js(_attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as PoolGeometry;
    return ([x, z, gz], [out], [acc]) => {
      accumulatePlanes(g, acc, out, (base, i, j, o, sums) => {
        const m = z[o];
        const gv = gz[o];
        for (let r = g.rowLo[i]; r < g.rowHi[i]; r++) {
          const row = r * g.cols;
          for (let c = g.colLo[j]; c < g.colHi[j]; c++) if (x[base + row + c] === m) sums[row + c] += gv;
        }
      });
    };
  },
});

registerKernel({
  opcode: 'pool2d_max_grad_grad',
  inferShape(attrs, [xs, zs, ggs]) {
    const want = outShapeOf(xs, poolGeometry(paramsOf(attrs), xs));
    checkSameShape(want, zs, 'the pooled output', 'pool2d_max_grad_grad');
    checkSameShape(xs, ggs, 'the gradient of the input gradient', 'pool2d_max_grad_grad');
    return [zs];
  },
  decide: decideGeometry((ins) => ins[0]),
  js(_attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as PoolGeometry;
    // Each window sums the values at its maximal inputs (the adjoint of pool2d_max_grad).
    return ([x, z, gg], [out]) => {
      forEachWindow(g, (base, i, j, o) => {
        const m = z[o];
        let s = 0;
        for (let r = g.rowLo[i]; r < g.rowHi[i]; r++) {
          const row = base + r * g.cols;
          for (let c = g.colLo[j]; c < g.colHi[j]; c++) if (x[row + c] === m) s += gg[row + c];
        }
        out[o] = s;
      });
    };
  },
});

function xShapeValue(v: TypedArray | undefined, ndim: number): number[] {
  const s = Array.from(v ?? []);
  if (s.length !== ndim || s.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`pool2d_sum_grad: the input's shape must be ${ndim} sizes >= 0, got ${formatShape(s)}`);
  return s;
}

registerKernel({
  opcode: 'pool2d_sum_grad',
  valueInputs: () => [1],
  inferShape(attrs, [gzs], values) {
    const xs = xShapeValue(values[1], gzs.length);
    checkSameShape(outShapeOf(xs, poolGeometry(paramsOf(attrs), xs)), gzs, 'the output gradient', 'pool2d_sum_grad');
    return [xs];
  },
  decide: decideGeometry((_ins, outs) => outs[0]),
  // The native kernels' rows of shares, then the js kernel's plane.
  workspace: workspaceOf((g) => [rowsWorkspace(g), planeWorkspace(g)]),
  js(_attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as PoolGeometry;
    return ([gz], [out], [, acc]) => {
      accumulatePlanes(g, acc, out, (_base, i, j, o, sums) => {
        const v = gz[o] / (g.rowDiv[i] * g.colDiv[j]);
        for (let r = g.rowLo[i]; r < g.rowHi[i]; r++) {
          const row = r * g.cols;
          for (let c = g.colLo[j]; c < g.colHi[j]; c++) sums[row + c] += v;
        }
      });
    };
  },
});
