/**
 * The `loop` instruction: runs a body Program once per step (scan; lib/scan/op.ts makes it).
 *
 * Inputs: the step count n (an int32 scalar whose value decides the output shapes), the
 * sequences, the initial rows of each recurrent output, the non-sequences. Outputs: each
 * recurrent output's buffer (its initial rows, then one row per step) and each non-recurrent
 * output (one row per step). At step t the body reads row t + tap - minTap of each sequence and
 * row t + lag + tap of each recurrent buffer, in place, and writes its results straight into
 * row t + lag (row t) of the outputs: nothing is copied per step but the initial rows, once.
 * A reverse loop (a gradient's) reads sequence rows n - 1 - t + tap - minTap and writes the
 * non-recurrent outputs' row n - 1 - t, so it walks the forward's buffers backwards in place.
 *
 * The body is planned here, once per shape signature of the loop, and the plan travels as the
 * instruction's decision: the native backend runs the whole loop inside the function's one
 * addon call with the body plan it is given.
 */
import { registerKernel, kernelMayFail } from './kernel.js';
import type { TypedArray } from '../ndarray/dtype.js';
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
  reverse: boolean;
  name: string;
}

const layoutOf = (attrs: Attrs): LoopLayout => ({
  body: programFromAttrs(attrs.body as Attrs),
  seqTaps: attrs.seqTaps as number[][],
  recTaps: attrs.recTaps as number[][],
  nNitsot: attrs.nNitsot as number,
  nNonseq: attrs.nNonseq as number,
  reverse: attrs.reverse === true,
  name: attrs.name as string,
});

const lagOf = (taps: number[]) => -taps[0];
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

const plans = new WeakMap<Attrs, Map<string, Plan>>();

/** The body's plan for the loop's input shapes (and the non-sequence values it depends on). */
function bodyPlan(attrs: Attrs, shapes: number[][], values: (TypedArray | undefined)[]): Plan {
  const l = layoutOf(attrs);
  const p = positions(l);
  const valuePos = bodyValueInputs(l);
  const key = JSON.stringify(shapes) + valuePos.map((i) => `|${Array.from(values[i]!)}`).join('');
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
    const plan = bodyPlan(attrs, shapes, values);
    const outs = l.body.outputs.map((b) => plan.shapes[b]);
    return outs.map((s, k) => {
      if (k >= p.R) return [n, ...s];
      const init = shapes[p.init(k)].slice(1);
      if (!shapesEqual(s, init)) throw new Error(`${where}: the step returns output ${k} of shape ${formatShape(s)}, but its previous value (the initial value) has shape ${formatShape(init)}; a recurrent output keeps its shape`);
      return [n + lagOf(l.recTaps[k]), ...s];
    });
  },
  decide(attrs, inShapes, _outShapes, _types, values) {
    return { n: stepCount(values, layoutOf(attrs).name), plan: bodyPlan(attrs, inShapes, values) as unknown as Attrs };
  },
  js(attrs, inShapes, outShapes, _types, decision) {
    const l = layoutOf(attrs);
    const p = positions(l);
    const n = decision!.n as number;
    const exec = new JsExecutor(l.body, decision!.plan as unknown as Plan);
    const rowOf = (s: number[]) => sizeOf(s.slice(1));
    // Per body input: which loop buffer it reads (seq: an input; rec: an output) and at what row offset from t.
    const reads: { from: 'in' | 'out'; index: number; shift: number; row: number }[] = [];
    l.seqTaps.forEach((taps, i) => taps.forEach((tap) => reads.push({ from: 'in', index: p.seq(i), shift: tap - taps[0], row: rowOf(inShapes[p.seq(i)]) })));
    l.recTaps.forEach((taps, j) => taps.forEach((tap) => reads.push({ from: 'out', index: j, shift: lagOf(taps) + tap, row: rowOf(outShapes[j]) })));
    const writes = outShapes.map((s, k) => ({ shift: k < p.R ? lagOf(l.recTaps[k]) : 0, row: rowOf(s) }));
    const initSizes = l.recTaps.map((_, j) => sizeOf(inShapes[p.init(j)]));
    const call = { inputs: [] as TypedArray[], shared: [] as TypedArray[], outputs: [] as TypedArray[], updates: [] as TypedArray[] };
    return (ins, outs) => {
      if (Number(ins[0][0]) !== n) throw new Error(`scan '${l.name}': the plan was made for ${n} steps, got ${ins[0][0]}`);
      initSizes.forEach((size, j) => outs[j].set(ins[p.init(j)].subarray(0, size)));
      for (let k = 0; k < l.nNonseq; k++) call.inputs[p.nArgs + k] = ins[p.nonseq(k)];
      for (let t = 0; t < n; t++) {
        const ts = l.reverse ? n - 1 - t : t;
        reads.forEach((r, i) => {
          const src = r.from === 'in' ? ins[r.index] : outs[r.index];
          const at = ((r.from === 'in' ? ts : t) + r.shift) * r.row;
          call.inputs[i] = src.subarray(at, at + r.row);
        });
        writes.forEach((w, k) => {
          const at = ((k < p.R ? t : ts) + w.shift) * w.row;
          call.outputs[k] = outs[k].subarray(at, at + w.row);
        });
        exec.run(call);
      }
    };
  },
});
