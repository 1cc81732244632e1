/**
 * The `loop` instruction: runs a body Program once per step (scan; lib/scan/op.ts makes it).
 *
 * Inputs: the step count n (an int32 scalar whose value decides the output shapes), the
 * sequences, the initial rows of each recurrent output, the non-sequences. Outputs: each
 * recurrent output's buffer (its initial rows, then one row per step) and each non-recurrent
 * output (one row per step). At step t the body reads row t + tap - minTap of each sequence and
 * row t + lag + tap of each recurrent buffer, in place, and writes its results straight into
 * row t + lag (row t) of the outputs: nothing is copied per step but the initial rows, once.
 * A reverse loop (a gradient's) reads the sequences' rows and writes the per-step outputs' rows
 * of step n - 1 - t, walking the forward loop's buffers backwards in place.
 *
 * The body is planned here, once per shape signature of the loop, and the plan travels as the
 * instruction's decision: the native backend runs the whole loop inside the function's one
 * addon call with the body plan it is given.
 */
import { registerKernel, kernelMayFail } from './kernel.js';
import type { DType, TypedArray } from '../ndarray/dtype.js';
import { formatShape, shapesEqual, sizeOf } from '../ndarray/shape.js';
import type { Attrs, Plan, Program } from '../compile/program.js';
import { programFromAttrs } from '../compile/program_json.js';
import { makePlan } from '../compile/plan.js';
import { JsExecutor } from '../backend/js/executor.js';

interface LoopLayout {
  body: Program;
  seqTaps: number[][];
  recTaps: number[][];
  nNitsot: number;
  nNonseq: number;
  name: string;
  /** Per output: keep only a state's last lag rows (kept in a ring of lag + 1 rows while looping), or a per-step output's last row. */
  keepLast: boolean[];
  /** Per output kept so: the row read is the last step's, so with no steps there is none (an error, as reading an empty output). */
  lastOfSteps: boolean[];
  /** A gradient's loop: step t reads the sequences' rows and writes the per-step outputs' rows of step n - 1 - t. */
  reverse: boolean;
}

const layoutOf = (attrs: Attrs): LoopLayout => ({
  body: programFromAttrs(attrs.body as Attrs),
  seqTaps: attrs.seqTaps as number[][],
  recTaps: attrs.recTaps as number[][],
  nNitsot: attrs.nNitsot as number,
  nNonseq: attrs.nNonseq as number,
  name: attrs.name as string,
  keepLast: attrs.keepLast as boolean[],
  lastOfSteps: attrs.lastOfSteps as boolean[],
  reverse: attrs.reverse === true,
});

const lagOf = (taps: number[]) => -taps[0];
/** The body's arenas, in the order of the loop's first four workspaces (native/src/kernels/loop.cc reads them so). */
const DTYPES: DType[] = ['float64', 'float32', 'int32', 'bool'];
const spanOf = (taps: number[]) => taps[taps.length - 1] - taps[0];

/** Input positions of the loop: n at 0, then sequences, initial rows, non-sequences. */
function positions(l: LoopLayout) {
  const S = l.seqTaps.length;
  const R = l.recTaps.length;
  const nArgs = l.seqTaps.reduce((a, t) => a + t.length, 0) + l.recTaps.reduce((a, t) => a + t.length, 0);
  return { S, R, seq: (i: number) => 1 + i, init: (j: number) => 1 + S + j, nonseq: (k: number) => 1 + S + R + k, nArgs };
}

/** Loop inputs whose values the body's shapes depend on (non-sequences only; lib/scan checks). */
function bodyValueInputs(l: LoopLayout): number[] {
  const p = positions(l);
  return l.body.valueInputs.map((i) => p.nonseq(i - p.nArgs));
}

function stepCount(values: (TypedArray | undefined)[], name: string): number {
  const n = Number(values[0]![0]);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`scan '${name}': the number of steps must be a non-negative integer, got ${n}`);
  return n;
}

/** A failure inside the body, said to be at step t of the named loop. */
function stepError(e: unknown, name: string, t: number): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  err.message = `scan '${name}', step ${t}: ${err.message}`;
  return err;
}

const plans = new WeakMap<Attrs, Map<string, Plan>>();

/** The body's plan for the loop's input shapes (and the non-sequence values it depends on). */
function bodyPlan(attrs: Attrs, shapes: number[][], values: (TypedArray | undefined)[]): Plan {
  const l = layoutOf(attrs);
  const p = positions(l);
  const valuePos = bodyValueInputs(l);
  // The body sees rows: the number of steps (the sequences' and outputs' lengths) is not part of its plan.
  const key = JSON.stringify(shapes.map((s, i) => (i > 0 && i < p.nonseq(0) ? s.slice(1) : i === 0 ? [] : s))) + valuePos.map((i) => `|${Array.from(values[i]!)}`).join('');
  let byKey = plans.get(attrs);
  if (!byKey) plans.set(attrs, (byKey = new Map()));
  let plan = byKey.get(key);
  if (plan) return plan;
  const row = (s: number[]) => s.slice(1);
  const inputShapes: number[][] = [];
  const inputData: TypedArray[] = [];
  l.seqTaps.forEach((taps, i) => taps.forEach(() => inputShapes.push(row(shapes[p.seq(i)]))));
  l.recTaps.forEach((taps, j) => taps.forEach(() => inputShapes.push(row(shapes[p.init(j)]))));
  for (let k = 0; k < l.nNonseq; k++) inputShapes.push(shapes[p.nonseq(k)]);
  inputShapes.forEach((_, i) => (inputData[i] = (i >= p.nArgs ? values[p.nonseq(i - p.nArgs)] : undefined) as TypedArray));
  plan = makePlan(l.body, { inputShapes, sharedShapes: [], inputData, sharedData: [] });
  byKey.set(key, plan);
  return plan;
}

registerKernel({
  opcode: 'loop',
  mayFail: (attrs) => layoutOf(attrs).body.instructions.some((ins) => kernelMayFail(ins.opcode, ins.attrs)),
  valueInputs: (attrs) => [0, ...bodyValueInputs(layoutOf(attrs))],
  valueKey(attrs, _shapes, values) {
    const vi = bodyValueInputs(layoutOf(attrs));
    return `${values[0]![0]}` + vi.map((i) => `|${Array.from(values[i]!)}`).join('');
  },
  inferShape(attrs, shapes, values) {
    const l = layoutOf(attrs);
    const p = positions(l);
    const n = stepCount(values, l.name);
    const where = `scan '${l.name}'`;
    l.seqTaps.forEach((taps, i) => {
      const s = shapes[p.seq(i)];
      const need = n + spanOf(taps);
      if (s[0] < need) throw new Error(`${where}: sequence ${i} has ${s[0]} rows, but ${n} steps with taps ${JSON.stringify(taps)} need ${need}`);
    });
    l.recTaps.forEach((taps, j) => {
      const s = shapes[p.init(j)];
      if (s[0] !== lagOf(taps)) throw new Error(`${where}: output ${j} needs ${lagOf(taps)} initial rows for taps ${JSON.stringify(taps)}, got ${s[0]}`);
    });
    if (n === 0) {
      const k = l.lastOfSteps.findIndex((x, i) => x && l.keepLast[i]);
      if (k >= 0) throw new RangeError(`${where}: the last step's value of output ${k} is read, but the loop runs 0 steps (index -1 is out of bounds for axis 0 with size 0)`);
    }
    const plan = bodyPlan(attrs, shapes, values);
    const outs = l.body.outputs.map((b) => plan.shapes[b]);
    return outs.map((s, k) => {
      if (k >= p.R) return [l.keepLast[k] ? Math.min(n, 1) : n, ...s];
      const init = shapes[p.init(k)].slice(1);
      if (!shapesEqual(s, init)) throw new Error(`${where}: the step returns output ${k} of shape ${formatShape(s)}, but its previous value (the initial value) has shape ${formatShape(init)}; a recurrent output keeps its shape`);
      const lag = lagOf(l.recTaps[k]);
      return [l.keepLast[k] ? lag : n + lag, ...s];
    });
  },
  // The body's temporaries (one arena per dtype) and the rings of states that keep their last
  // rows live in the function's arena, as any instruction's scratch does.
  workspace(attrs, _inShapes, outShapes, types, decision) {
    const l = layoutOf(attrs);
    const plan = decision!.plan as unknown as Plan;
    const rings = l.recTaps.flatMap((taps, j) => (l.keepLast[j] ? [{ dtype: types.outputs[j], elements: (lagOf(taps) + 1) * sizeOf(outShapes[j].slice(1)) }] : []));
    return [...DTYPES.map((dtype) => ({ dtype, elements: plan.arena[dtype] ?? 0 })), ...rings];
  },
  decide(attrs, inShapes, _outShapes, _types, values) {
    return { n: stepCount(values, layoutOf(attrs).name), plan: bodyPlan(attrs, inShapes, values) as unknown as Attrs };
  },
  js(attrs, inShapes, outShapes, _types, decision) {
    const l = layoutOf(attrs);
    const p = positions(l);
    const n = decision!.n as number;
    const plan = decision!.plan as unknown as Plan;
    // Made on the first call, in the workspace the plan gives (the same views on every call).
    let exec: JsExecutor | undefined;
    let rings: TypedArray[] = [];
    const rowOf = (s: number[]) => sizeOf(s.slice(1));
    // Where each output's rows live while looping: the output itself, or a ring of lag + 1 rows
    // (row r at r mod (lag + 1)) for a state that keeps only its last rows; a per-step output
    // that keeps its last row rewrites row 0.
    const ringOf: number[] = [];
    const stores = outShapes.map((s, k) => {
      const row = rowOf(s);
      if (k < p.R && l.keepLast[k]) {
        ringOf[k] = ringOf.filter((x) => x !== undefined).length;
        return { ring: true, modulus: lagOf(l.recTaps[k]) + 1, row, shift: lagOf(l.recTaps[k]) };
      }
      return { ring: false, modulus: k >= p.R && l.keepLast[k] ? 1 : Infinity, row, shift: k < p.R ? lagOf(l.recTaps[k]) : 0 };
    });
    const rowAt = (k: number, outs: TypedArray[], r: number) => {
      const st = stores[k];
      const at = (st.modulus === Infinity ? r : r % st.modulus) * st.row;
      return (st.ring ? rings[ringOf[k]] : outs[k]).subarray(at, at + st.row);
    };
    // Per body input: a row of a sequence (loop input), a row of a state, or a whole non-sequence.
    const reads: { from: 'in' | 'out'; index: number; shift: number; row: number }[] = [];
    l.seqTaps.forEach((taps, i) => taps.forEach((tap) => reads.push({ from: 'in', index: p.seq(i), shift: tap - taps[0], row: rowOf(inShapes[p.seq(i)]) })));
    l.recTaps.forEach((taps, j) => taps.forEach((tap) => reads.push({ from: 'out', index: j, shift: lagOf(taps) + tap, row: 0 })));
    const initSizes = l.recTaps.map((_, j) => sizeOf(inShapes[p.init(j)]));
    const call = { inputs: [] as TypedArray[], shared: [] as TypedArray[], outputs: [] as TypedArray[], updates: [] as TypedArray[] };
    return (ins, outs, work) => {
      if (Number(ins[0][0]) !== n) throw new Error(`scan '${l.name}': the plan was made for ${n} steps, got ${ins[0][0]}`);
      if (!exec) {
        exec = new JsExecutor(l.body, plan, Object.fromEntries(DTYPES.map((d, i) => [d, work[i]])));
        rings = work.slice(DTYPES.length);
      }
      initSizes.forEach((size, j) => (stores[j].ring ? rings[ringOf[j]] : outs[j]).set(ins[p.init(j)].subarray(0, size)));
      for (let k = 0; k < l.nNonseq; k++) call.inputs[p.nArgs + k] = ins[p.nonseq(k)];
      for (let t = 0; t < n; t++) {
        const ts = l.reverse ? n - 1 - t : t;
        reads.forEach((r, i) => {
          if (r.from === 'out') call.inputs[i] = rowAt(r.index, outs, t + r.shift);
          else call.inputs[i] = ins[r.index].subarray((ts + r.shift) * r.row, (ts + r.shift + 1) * r.row);
        });
        stores.forEach((st, k) => (call.outputs[k] = rowAt(k, outs, (k < p.R ? t : ts) + st.shift)));
        try {
          exec!.run(call);
        } catch (e) {
          throw stepError(e, l.name, t);
        }
      }
      // A ring's last lag rows, in order, become the output.
      stores.forEach((st, k) => {
        if (!st.ring) return;
        for (let r = 0; r < st.shift; r++) outs[k].set(rowAt(k, outs, n + r), r * st.row);
      });
    };
  },
});
