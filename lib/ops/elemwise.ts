/**
 * Elemwise: scalar ops lifted to tensors with broadcasting. One op class covers a single scalar
 * op and a fused chain of them (a Composite); both lower to the `elemwise` opcode, whose
 * attributes are a small bytecode: `steps`, each an op name, a dtype and argument references.
 */
import { DType, TypedArray, upcast, isDiscrete, isFloat } from '../ndarray/dtype.js';
import { formatShape, stridesOf } from '../ndarray/shape.js';
import { config } from '../config.js';
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Constant, Variable } from '../graph/variable.js';
import { TensorLike, asVariable, isWeak } from '../graph/as_variable.js';
import { H, ScalarOp, roundTo, scalarOp } from './scalar.js';
import { registerKernel } from './kernel.js';
import type { Attrs } from '../compile/program.js';
import { sumToInput } from './grad_helpers.js';

/** Argument reference: [0, i] input i; [1, j] the result of step j; [2, k] constant k. */
export type ArgRef = [0 | 1 | 2, number];
export interface Step {
  op: string;
  dtype: DType;
  args: ArgRef[];
}

export class Elemwise extends Op {
  readonly name: string;
  readonly steps: Step[];
  readonly consts: number[];
  readonly nIn: number;

  constructor(steps: Step[], consts: number[], nIn: number) {
    super();
    this.steps = steps;
    this.consts = consts;
    this.nIn = nIn;
    this.name = steps.length === 1 ? steps[0].op : 'Composite';
  }

  /** The scalar op when this is a single step over its inputs in order. */
  get scalar(): ScalarOp | null {
    return this.steps.length === 1 ? scalarOp(this.steps[0].op) : null;
  }

  get outDType(): DType {
    return this.steps[this.steps.length - 1].dtype;
  }

  override key(): string {
    return `Elemwise${JSON.stringify([this.steps, this.consts])}`;
  }

  makeNode(...inputs: Variable[]): Apply {
    if (inputs.length !== this.nIn) throw new Error(`${this.name}: expected ${this.nIn} inputs, got ${inputs.length}`);
    return new Apply(this, inputs, [new TensorType(this.outDType, broadcastPattern(inputs))]);
  }

  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    const s = this.scalar;
    if (!s) throw new Error('grad: fused elementwise ops are formed after differentiation and have no gradient');
    if (!gz) return node.inputs.map(() => null);
    if (!s.grad) throw new Error(`grad: ${s.name} is not differentiable`);
    const gs = s.grad(node.inputs, node.outputs[0], gz);
    return gs.map((g, i) => {
      const x = node.inputs[i];
      if (!g || isDiscrete(x.dtype)) return null;
      return sumToInput(g, x);
    });
  }

  lower(node: Apply): { opcode: string; attrs: Attrs } {
    const lanes = laneType(this.steps, this.consts, node.inputs.map((v) => v.dtype));
    return { opcode: 'elemwise', attrs: { steps: this.steps as unknown as Attrs[], consts: this.consts, bcast: node.inputs.map((v) => [...v.broadcastable]), lanes } };
  }

  override label(): string {
    if (this.steps.length === 1) return this.steps[0].op === 'cast' ? `cast{${this.outDType}}` : this.steps[0].op;
    return `Composite{${describeSteps(this.steps, this.consts)}}`;
  }
}

/**
 * The native kernel's lane type: 'float32' when every step and input is float32 or bool and every
 * constant is a float, so that the chain runs in float lanes (twice the values per instruction);
 * 'float64' otherwise (values held as doubles and rounded to each step's dtype, as the js kernel
 * does). Float lanes give the js results exactly except for the vectorised transcendentals, which
 * are a few float ulps apart (native/src/kernels/vmath_float.h).
 */
export function laneType(steps: readonly Step[], consts: readonly number[], inputs: readonly DType[]): 'float32' | 'float64' {
  const floatLike = (d: DType) => d === 'float32' || d === 'bool';
  const ok = steps.every((s) => floatLike(s.dtype)) && inputs.every(floatLike) && consts.every((c) => Number.isNaN(c) || Math.fround(c) === c);
  return ok ? 'float32' : 'float64';
}

/** Text form of a step program, e.g. sigmoid(add(i0, i1)). */
export function describeSteps(steps: Step[], consts: number[]): string {
  const text = (j: number): string => {
    const s = steps[j];
    const args = s.args.map(([k, i]) => (k === 0 ? `i${i}` : k === 1 ? text(i) : String(consts[i])));
    return s.op === 'cast' ? `cast{${s.dtype}}(${args[0]})` : `${s.op}(${args.join(', ')})`;
  };
  return text(steps.length - 1);
}

export function broadcastPattern(inputs: readonly Variable[]): boolean[] {
  const ndim = Math.max(0, ...inputs.map((v) => v.ndim));
  const out = new Array<boolean>(ndim).fill(true);
  for (const v of inputs) {
    const off = ndim - v.ndim;
    v.broadcastable.forEach((b, i) => {
      if (!b) out[off + i] = false;
    });
  }
  return out;
}

/**
 * Apply scalar op `name` elementwise. Weak constants (bare JS numbers) take the dtype of the
 * other operands; a non-integer one makes an integer computation floatX.
 */
export function applyElemwise(name: string, args: TensorLike[], dtype?: DType): Variable {
  const op = scalarOp(name);
  if (args.length !== op.arity) throw new Error(`${name}: expected ${op.arity} arguments, got ${args.length}`);
  const vars = unifyWeak(name, args.map((a, i) => asVariable(a, `${name} argument ${i}`)));
  const outDType = dtype ?? op.outDType(vars.map((v) => v.dtype));
  const step: Step = { op: name, dtype: outDType, args: vars.map((_, i) => [0, i] as ArgRef) };
  return new Elemwise([step], [], vars.length).makeNode(...vars).outputs[0];
}

function unifyWeak(name: string, vars: Variable[]): Variable[] {
  // The condition of a switch does not take part in the value's dtype.
  const isCond = (i: number) => name === 'switch' && i === 0;
  const strong = vars.filter((v, i) => !isWeak(v) && !isCond(i));
  if (strong.length === 0) return vars;
  const common = upcast(...strong.map((v) => v.dtype));
  return vars.map((v, i) => {
    if (!isWeak(v) || isCond(i)) return v;
    const target = isFloat(v.dtype) && isDiscrete(common) ? config.floatX : common === 'bool' && v.dtype !== 'bool' ? v.dtype : common;
    return target === v.dtype ? v : new Constant(v.value.astype(target));
  });
}

// ---------------------------------------------------------------------------------------------
// The `elemwise` kernel: shapes follow numpy broadcasting, except that an axis may only be
// stretched from length 1 when the graph declared it broadcastable (as Theano requires, so that
// gradients know where to sum).

function inferElemwiseShape(attrs: Attrs, shapes: number[][]): number[][] {
  const bcast = attrs.bcast as boolean[][];
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    const off = ndim - s.length;
    s.forEach((d, i) => {
      if (d !== 1) out[off + i] = out[off + i] === 1 || out[off + i] === d ? d : -1;
    });
  }
  const bad = out.indexOf(-1);
  const steps = attrs.steps as unknown as Step[];
  const what = steps.length === 1 ? steps[0].op : 'fused elementwise op';
  if (bad >= 0) {
    throw new Error(`${what}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast together (axis ${bad})`);
  }
  shapes.forEach((s, k) => {
    const off = ndim - s.length;
    s.forEach((d, i) => {
      if (d === 1 && out[off + i] !== 1 && !bcast[k][i]) {
        throw new Error(
          `${what}: input ${k} has shape ${formatShape(s)} and would be broadcast on axis ${off + i} to length ${out[off + i]}, ` +
            `but that axis is not declared broadcastable; declare it (e.g. T.tensor(dtype, [true, ...]), or x.dimshuffle('x', 0)) ` +
            `or pass matching shapes`,
        );
      }
    });
  });
  return [out];
}

const compiled = new Map<string, (ins: TypedArray[], outs: TypedArray[]) => void>();

function loopBody(steps: Step[], load: (i: number) => string): string {
  const lines: string[] = [];
  steps.forEach((s, j) => {
    const op = scalarOp(s.op);
    const args = s.args.map(([k, i]) => (k === 0 ? load(i) : k === 1 ? `s${i}` : `C${i}`));
    lines.push(`const s${j} = ${roundTo(s.dtype, op.js(args, s.dtype))};`);
  });
  return lines.join(' ');
}

/** Generates one loop over the output for the given shapes; cached by program and shape pattern. */
export function buildElemwiseKernel(steps: Step[], consts: number[], inShapes: number[][], outShape: number[]) {
  const key = JSON.stringify([steps, consts, inShapes, outShape]);
  const hit = compiled.get(key);
  if (hit) return hit;
  const ndim = outShape.length;
  const size = outShape.reduce((a, b) => a * b, 1);
  const head: string[] = [];
  consts.forEach((c, i) => head.push(`const C${i} = ${Object.is(c, -0) ? '-0' : c};`));
  inShapes.forEach((_, i) => head.push(`const a${i} = ins[${i}];`));
  head.push('const o = outs[0];');
  const kind = inShapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    return n === 1 ? 'scalar' : n === size ? 'full' : 'strided';
  });
  let body: string;
  if (!kind.includes('strided')) {
    kind.forEach((k, i) => {
      if (k === 'scalar') head.push(`const v${i} = a${i}[0];`);
    });
    const inner = loopBody(steps, (i) => (kind[i] === 'scalar' ? `v${i}` : `a${i}[k]`));
    body = `for (let k = 0; k < ${size}; k++) { ${inner} o[k] = s${steps.length - 1}; }`;
  } else {
    // Nested loops with one running offset per strided input.
    const strides = inShapes.map((s) => {
      const st = stridesOf(s);
      const off = ndim - s.length;
      return outShape.map((_d, ax) => (ax < off || s[ax - off] === 1 ? 0 : st[ax - off]));
    });
    const strided = inShapes.map((_, i) => i).filter((i) => kind[i] === 'strided');
    kind.forEach((k, i) => {
      if (k === 'scalar') head.push(`const v${i} = a${i}[0];`);
    });
    const inner = loopBody(steps, (i) => (kind[i] === 'scalar' ? `v${i}` : kind[i] === 'full' ? `a${i}[k]` : `a${i}[p${i}_${ndim}]`));
    let code = `${inner} o[k] = s${steps.length - 1}; k++;`;
    for (let ax = ndim - 1; ax >= 0; ax--) {
      const decl = strided.map((i) => `const p${i}_${ax + 1} = p${i}_${ax} + d${ax} * ${strides[i][ax]};`).join(' ');
      code = `for (let d${ax} = 0; d${ax} < ${outShape[ax]}; d${ax}++) { ${decl} ${code} }`;
    }
    body = `let k = 0; ${strided.map((i) => `const p${i}_0 = 0;`).join(' ')} ${code}`;
  }
  const src = `return function elemwise(ins, outs) { ${head.join(' ')} ${body} };`;
  const fn = new Function('H', src)(H) as (ins: TypedArray[], outs: TypedArray[]) => void;
  compiled.set(key, fn);
  return fn;
}

/**
 * The optional second output of an `elemwise` instruction (made by lib/compile/colsum.ts): the
 * sums (or means) of the result's columns, as a reduction over axis 0 would give them, in double
 * precision from the stored values: added row after row within each lane of rows (the plan's
 * `sumLanes`, from columnSumLanes), then the lanes' sums in lane order.
 */
interface ColumnSums {
  mean: boolean;
  keepdims: boolean;
}

/** Most lanes of column sums, and the least elements a lane gets. */
const MAX_SUM_LANES = 8;
const SUM_LANE_ELEMENTS = 8192;

/**
 * The first row of each lane of a `rows` by `cols` result's column sums, and `rows` last: lanes
 * let threads share the pass (each lane's sums kept apart), and depend only on the shape, so the
 * sums are the same bits on any thread count and on both backends. The MLP's bias gradients
 * (128 by 256 and 128 by 128, float32) on two threads: 28-36 -> 17 us and 13-17 -> 6 us a call.
 */
export function columnSumLanes(rows: number, cols: number): number[] {
  const lanes = Math.max(1, Math.min(MAX_SUM_LANES, rows, Math.floor((rows * cols) / SUM_LANE_ELEMENTS)));
  return Array.from({ length: lanes + 1 }, (_, i) => Math.round((i * rows) / lanes));
}

function columnSumShape(out: number[], c: ColumnSums): number[] {
  if (out.length !== 2) throw new Error(`elemwise: column sums need a matrix result, got shape ${formatShape(out)}`);
  return c.keepdims ? [1, out[1]] : [out[1]];
}

registerKernel({
  opcode: 'elemwise',
  // Element for element: the result may take the storage of any input of its shape.
  inPlace: (_attrs, n) => Array.from({ length: n }, (_, i) => i),
  // Column sums reduce over rows, so only the plain form is row-local.
  rowLocal: (attrs) => !attrs.colsum,
  // The result has the shape of an input of its rank that is broadcast only where all such inputs are.
  shapeSource(attrs, ndims, nd) {
    const bcast = attrs.bcast as boolean[][];
    const allBroadcast = (ax: number) => bcast.every((f, j) => ndims[j] === nd && f[ax]);
    const input = ndims.findIndex((d, i) => d === nd && bcast[i].every((f, ax) => !f || allBroadcast(ax)));
    return input < 0 ? null : { input, rowsOnly: false };
  },
  inferShape: (attrs, shapes) => {
    const [out] = inferElemwiseShape(attrs, shapes);
    const c = attrs.colsum as unknown as ColumnSums | undefined;
    return c ? [out, columnSumShape(out, c)] : [out];
  },
  decide: (attrs, _inShapes, outShapes) => (attrs.colsum ? { sumLanes: columnSumLanes(outShapes[0][0], outShapes[0][1]) } : null),
  js: (attrs, inShapes, outShapes, _types, decision) => {
    const loop = buildElemwiseKernel(attrs.steps as unknown as Step[], attrs.consts as number[], inShapes, outShapes[0]);
    const c = attrs.colsum as unknown as ColumnSums | undefined;
    if (!c) return loop;
    const [rows, cols] = outShapes[0];
    const lanes = (decision?.sumLanes as number[] | undefined) ?? columnSumLanes(rows, cols);
    const acc = new Float64Array(cols), lane = new Float64Array(cols);
    return (ins, outs) => {
      loop(ins, outs);
      const o = outs[0];
      for (let l = 0; l + 1 < lanes.length; l++) {
        const sums = l === 0 ? acc : lane;
        sums.fill(0);
        for (let r = lanes[l]; r < lanes[l + 1]; r++) for (let j = 0; j < cols; j++) sums[j] += o[r * cols + j];
        if (l > 0) for (let j = 0; j < cols; j++) acc[j] += lane[j];
      }
      for (let j = 0; j < cols; j++) outs[1][j] = c.mean ? acc[j] / rows : acc[j];
    };
  },
});
