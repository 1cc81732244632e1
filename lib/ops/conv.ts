/**
 * conv2d (Theano's abstract conv2d) and the two products that make its gradient: with respect
 * to the input (a transposed convolution) and to the filters. All three are one op class, so
 * the gradient of each is again these ops (the whole family runs as native kernels), and all
 * three compute with the same column matrix: the js kernels here as loops over the im2col
 * matrix into the gemm of lib/ops/dot.ts, the native ones as im2col into OpenBLAS.
 *
 * The gradient ops take the shape of the array they produce (x.shape or w.shape) as an input:
 * with a stride or padding it is not implied by the other operands. Plans compute it early
 * (a shape-valued input), so it costs nothing at run time.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import type { KernelTypes, WorkspaceSpec } from './kernel.js';
import type { Attrs } from '../compile/program.js';
import { isDiscrete, isFloat, upcast } from '../ndarray/dtype.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { formatShape } from '../ndarray/shape.js';
import { config } from '../config.js';
import { applyElemwise as ew } from './elemwise.js';
import { shape } from './reshape.js';
import { gemm } from './dot.js';
import { BorderMode, ConvGeometry, ConvParams, col2im, convGeometry, convParams, im2col } from './conv_geometry.js';

export type ConvRole = 'forward' | 'gradInputs' | 'gradWeights';
const OPCODE: Record<ConvRole, string> = { forward: 'conv2d', gradInputs: 'conv2d_grad_inputs', gradWeights: 'conv2d_grad_weights' };

export class Conv2d extends Op {
  readonly name: string;
  /** `pattern`: broadcastable flags of a gradient's result (those of the array it is the gradient of). */
  constructor(readonly role: ConvRole, readonly params: ConvParams, readonly pattern?: readonly boolean[]) {
    super();
    this.name = OPCODE[role];
  }
  override key(): string {
    return `Conv2d{${this.role},${JSON.stringify(this.params)},${this.pattern?.join(',') ?? ''}}`;
  }
  makeNode(a: Variable, b: Variable, shapeVec?: Variable): Apply {
    const [first, second] = this.role === 'gradInputs' ? ['filters', 'output gradient'] : this.role === 'gradWeights' ? ['input', 'output gradient'] : ['input', 'filters'];
    if (a.ndim !== 4) throw new Error(`${this.name}: the ${first} must be 4-d, got ${a.ndim}-d (${a.type.describe()})`);
    if (b.ndim !== 4) throw new Error(`${this.name}: the ${second} must be 4-d, got ${b.ndim}-d (${b.type.describe()})`);
    if (a.dtype !== b.dtype || !isFloat(a.dtype)) throw new Error(`${this.name}: operands must share one float dtype, got ${a.dtype} and ${b.dtype}`);
    if (this.role === 'forward') {
      return new Apply(this, [a, b], [new TensorType(a.dtype, [a.broadcastable[0], b.broadcastable[0], false, false])]);
    }
    if (!shapeVec || shapeVec.ndim !== 1 || !isDiscrete(shapeVec.dtype)) throw new Error(`${this.name}: needs the result's shape as an int vector`);
    const pattern = this.pattern ?? (this.role === 'gradInputs' ? [b.broadcastable[0], a.broadcastable[1], false, false] : [b.broadcastable[1], a.broadcastable[1], false, false]);
    return new Apply(this, [a, b, shapeVec], [new TensorType(a.dtype, pattern)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const [a, b] = node.inputs;
    if (!gz) return node.inputs.map(() => null);
    const p = this.params;
    if (this.role === 'forward') {
      // out = conv(x, w): dx = gradInputs(w, gz), dw = gradWeights(x, gz).
      return [gradInputs(p, b, gz, a), gradWeights(p, a, gz, b)];
    }
    if (this.role === 'gradInputs') {
      // <h, gradInputs(w, g)> = <conv(h, w), g>: linear in w and in g.
      return [gradWeights(p, gz, b, a), conv(p, gz, a), null];
    }
    // <h, gradWeights(x, g)> = <conv(x, h), g>.
    return [gradInputs(p, gz, b, a), conv(p, a, gz), null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    const p = this.params;
    return { opcode: this.name, attrs: { border: p.border, subsample: p.subsample, flip: p.flip, dilation: p.dilation } };
  }
  override label(): string {
    const p = this.params;
    const extra = [typeof p.border === 'string' ? p.border : `pad=${p.border.join('x')}`];
    if (p.subsample.some((s) => s !== 1)) extra.push(`subsample=${p.subsample.join('x')}`);
    if (p.dilation.some((s) => s !== 1)) extra.push(`dilation=${p.dilation.join('x')}`);
    if (!p.flip) extra.push('noflip');
    return `${this.name}{${extra.join(',')}}`;
  }
}

const conv = (p: ConvParams, x: Variable, w: Variable) => new Conv2d('forward', p).makeNode(x, w).outputs[0];
/** The gradient of sum(conv(x, w) · g) with respect to x, shaped like `like`. */
const gradInputs = (p: ConvParams, w: Variable, g: Variable, like: Variable) => new Conv2d('gradInputs', p, like.broadcastable).makeNode(w, g, shape(like)).outputs[0];
/** The gradient of sum(conv(x, w) · g) with respect to w, shaped like `like`. */
const gradWeights = (p: ConvParams, x: Variable, g: Variable, like: Variable) => new Conv2d('gradWeights', p, like.broadcastable).makeNode(x, g, shape(like)).outputs[0];

export interface Conv2dOptions {
  borderMode?: BorderMode;
  subsample?: readonly number[];
  filterFlip?: boolean;
  filterDilation?: readonly number[];
}

/**
 * Theano's conv2d: input (batch, channels, rows, cols), filters (outChannels, channels, fRows,
 * fCols). filterFlip (default) is a true convolution; false is cross-correlation.
 */
export function conv2d(input: Variable, filters: Variable, opts: Conv2dOptions = {}): Variable {
  if (input.ndim !== 4) throw new Error(`conv2d: input must be 4-d (batch, channels, rows, cols), got ${input.ndim}-d (${input.type.describe()})`);
  if (filters.ndim !== 4) throw new Error(`conv2d: filters must be 4-d (outChannels, channels, rows, cols), got ${filters.ndim}-d (${filters.type.describe()})`);
  const params = convParams(opts);
  let dtype = upcast(input.dtype, filters.dtype);
  if (!isFloat(dtype)) dtype = config.floatX;
  const as = (v: Variable) => (v.dtype === dtype ? v : ew('cast', [v], dtype));
  return conv(params, as(input), as(filters));
}

// ---------------------------------------------------------------------------------------------
// Kernels

function paramsOf(attrs: Attrs): ConvParams {
  return { border: attrs.border as ConvParams['border'], subsample: attrs.subsample as [number, number], flip: attrs.flip as boolean, dilation: attrs.dilation as [number, number] };
}

/** A shape-vector input's value, checked. */
function shapeValue(v: TypedArray | undefined, where: string): number[] {
  const s = Array.from(v ?? []);
  if (s.length !== 4 || s.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${where}: the result's shape must be 4 sizes >= 0, got ${formatShape(s)}`);
  return s;
}

function checkGradient(g: ConvGeometry, gz: number[], where: string): void {
  const want = [g.batch, g.outChannels, g.outRows, g.outCols];
  if (!want.every((d, i) => d === gz[i])) throw new Error(`${where}: the output gradient has shape ${formatShape(gz)}, but the convolution's output has ${formatShape(want)}`);
}

/** Geometry of each role from the instruction's shapes: (x, w) for forward, (result, w) or (x, result) for the gradients. */
function geometryOf(role: ConvRole, attrs: Attrs, ins: number[][], outs: number[][]): ConvGeometry {
  const p = paramsOf(attrs);
  if (role === 'forward') return convGeometry(p, ins[0], ins[1], OPCODE[role]);
  if (role === 'gradInputs') return convGeometry(p, outs[0], ins[0], OPCODE[role]);
  return convGeometry(p, ins[0], outs[0], OPCODE[role]);
}

/** At most this many column matrices per instruction (one per thread that shares the batch), within WORKSPACE_BUDGET elements. */
const MAX_PARTS = 8;
const WORKSPACE_BUDGET = 1 << 24;

/**
 * The filter gradient is a sum over the batch of products gz_b · columns_b^T. It is taken over
 * groups of images, a group's column matrices side by side (one product with a longer inner
 * dimension instead of one short product per image), a group's matrix within GROUP_ELEMENTS
 * elements so that it stays in a core's L2 between its im2col and its product. Measured on the
 * LeNet epoch: budgets from 1 << 13 to 1 << 17 within noise of each other, 1 << 19 (matrices
 * beyond L2) 15% slower on two threads.
 */
const GROUP_ELEMENTS = 1 << 17;
/**
 * The groups are cut into at most SPANS runs, each summed into a partial result by whichever
 * thread claims it; the partials are added in run order at the end. The cut depends on the
 * shapes alone, so the result is the same bits on any number of threads.
 */
const SPANS = 8;

/** What the plan carries: the geometry and how many column matrices the workspace holds (one per thread at most). */
export interface ConvDecision extends ConvGeometry {
  parts: number;
  /** Filter gradient: images per product, and partial results (see GROUP_ELEMENTS and SPANS). */
  group?: number;
  spans?: number;
}

/** The geometry, decided once per plan; both backends' kernels execute it. */
const decideGeometry =
  (role: ConvRole) =>
  (attrs: Attrs, ins: number[][], outs: number[][]): Attrs => {
    const g = geometryOf(role, attrs, ins, outs);
    const matrix = Math.max(1, g.colRows * g.colCols);
    if (role === 'gradWeights') {
      // The 1x1 shortcut multiplies the images themselves, one at a time.
      const group = g.direct ? 1 : Math.max(1, Math.min(g.batch, Math.floor(GROUP_ELEMENTS / matrix)));
      const spans = Math.max(1, Math.min(SPANS, Math.ceil(g.batch / group)));
      return { ...g, parts: Math.min(MAX_PARTS, spans), group, spans } as unknown as Attrs;
    }
    // Forward and input gradient: a column matrix per thread, as many as the batch and the budget allow.
    const parts = Math.max(1, Math.min(MAX_PARTS, g.batch, Math.floor(WORKSPACE_BUDGET / matrix)));
    return { ...g, parts } as unknown as Attrs;
  };

/**
 * In the result's dtype: a column matrix per part (the 1x1 shortcut reads the image itself and
 * needs none); for the filter gradient, a group's columns and output gradients per part, then
 * the partial results.
 */
function convWorkspace(_attrs: Attrs, _ins: number[][], _outs: number[][], types: KernelTypes, decision?: Attrs): WorkspaceSpec[] {
  const g = decision as unknown as ConvDecision;
  if (g.group !== undefined && g.spans !== undefined) {
    const perPart = g.direct ? 0 : (g.colRows + g.outChannels) * g.group * g.colCols;
    return [{ dtype: types.outputs[0], elements: Math.max(1, g.parts * perPart + g.spans * g.outChannels * g.colRows) }];
  }
  return g.direct ? [] : [{ dtype: types.outputs[0], elements: g.parts * g.colRows * g.colCols }];
}

registerKernel({
  opcode: 'conv2d',
  inferShape(attrs, [xs, ws]) {
    const g = convGeometry(paramsOf(attrs), xs, ws, 'conv2d');
    return [[g.batch, g.outChannels, g.outRows, g.outCols]];
  },
  decide: decideGeometry('forward'),
  workspace: convWorkspace,
  js(_attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as ConvDecision;
    const { batch, outChannels: O, colRows: K, colCols: N } = g;
    const image = g.channels * g.rows * g.cols;
    const scratch = new Float64Array(4 * Math.max(O, N, 1));
    return ([x, w], [out], [work]) => {
      for (let b = 0; b < batch; b++) {
        let cols: TypedArray;
        if (g.direct) cols = x.subarray(b * image, (b + 1) * image);
        else im2col(g, x, b * image, (cols = work));
        gemm(w, cols, out.subarray(b * O * N, (b + 1) * O * N), O, N, K, false, false, scratch);
      }
    };
  },
});

registerKernel({
  opcode: 'conv2d_grad_inputs',
  valueInputs: () => [2],
  inferShape(attrs, [ws, gzs], values) {
    const xs = shapeValue(values[2], 'conv2d_grad_inputs');
    checkGradient(convGeometry(paramsOf(attrs), xs, ws, 'conv2d_grad_inputs'), gzs, 'conv2d_grad_inputs');
    return [xs];
  },
  decide: decideGeometry('gradInputs'),
  workspace: convWorkspace,
  js(_attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as ConvDecision;
    const { batch, outChannels: O, colRows: K, colCols: N } = g;
    const image = g.channels * g.rows * g.cols;
    const gx = new Float64Array(g.direct ? 0 : image);
    const scratch = new Float64Array(4 * Math.max(K, N, 1));
    return ([w, gz], [out], [work]) => {
      for (let b = 0; b < batch; b++) {
        const gzb = gz.subarray(b * O * N, (b + 1) * O * N);
        // 1x1: the columns are the image's gradient itself.
        if (g.direct) {
          gemm(w, gzb, out.subarray(b * image, (b + 1) * image), K, N, O, true, false, scratch);
          continue;
        }
        // Columns of the gradient: W^T · gz, then each added back where it was read.
        gemm(w, gzb, work, K, N, O, true, false, scratch);
        gx.fill(0);
        col2im(g, work, gx);
        out.set(gx, b * image);
      }
    };
  },
});

registerKernel({
  opcode: 'conv2d_grad_weights',
  valueInputs: () => [2],
  inferShape(attrs, [xs, gzs], values) {
    const ws = shapeValue(values[2], 'conv2d_grad_weights');
    checkGradient(convGeometry(paramsOf(attrs), xs, ws, 'conv2d_grad_weights'), gzs, 'conv2d_grad_weights');
    return [ws];
  },
  decide: decideGeometry('gradWeights'),
  workspace: convWorkspace,
  js(_attrs, _ins, _outs, _types, decision) {
    const g = decision as unknown as ConvDecision;
    const { batch, outChannels: O, colRows: K, colCols: N } = g;
    const image = g.channels * g.rows * g.cols;
    const acc = new Float64Array(O * K);
    const part = new Float64Array(O * K);
    const scratch = new Float64Array(4 * Math.max(O, K, 1));
    return ([x, gz], [out], [work]) => {
      // dW = sum over the batch of gz_b · columns_b^T, accumulated in double.
      acc.fill(0);
      for (let b = 0; b < batch; b++) {
        let cols: TypedArray;
        if (g.direct) cols = x.subarray(b * image, (b + 1) * image);
        else im2col(g, x, b * image, (cols = work));
        gemm(gz.subarray(b * O * N, (b + 1) * O * N), cols, part, O, K, N, false, true, scratch);
        for (let i = 0; i < acc.length; i++) acc[i] += part[i];
      }
      out.set(acc);
    };
  },
});
