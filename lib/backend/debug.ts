/**
 * The debug backend: runs each call on both backends and compares (allclose with rtol 1e-10 for
 * float64, 1e-4 for float32, exact for integers). When they disagree it runs the program again
 * with every intermediate result exposed and reports the first instruction whose outputs differ.
 */
import type { Plan, Program } from '../compile/program.js';
import type { CallBuffers, Executor } from './executor.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { allocate } from '../ndarray/dtype.js';
import { sizeOf } from '../ndarray/shape.js';
import { makePlan } from '../compile/plan.js';

export type ExecutorFactory = (program: Program, plan: Plan) => Executor;

export class DebugExecutor implements Executor {
  readonly backend = 'native' as const;
  private readonly reference: Executor;
  private readonly candidate: Executor;

  /** `reference` is the js backend, `candidate` the native one (the one whose results are kept). */
  constructor(private program: Program, private plan: Plan, private makeReference: ExecutorFactory, private makeCandidate: ExecutorFactory) {
    this.reference = makeReference(program, plan);
    this.candidate = makeCandidate(program, plan);
  }

  run(call: CallBuffers): void {
    const copy = (a: TypedArray[]) => a.map((x) => x.slice());
    const sharedBefore = copy(call.shared);
    const ref: CallBuffers = { inputs: call.inputs, shared: copy(call.shared), outputs: copy(call.outputs), updates: copy(call.updates) };
    this.reference.run(ref);
    this.candidate.run(call);
    const p = this.program;
    const bad =
      p.outputs.map((b, i) => ({ what: `output ${i}`, b, at: mismatch(p, b, call.outputs[i], ref.outputs[i]) })).find((r) => r.at >= 0) ??
      p.updates.map((u, i) => ({ what: `update ${i}`, b: u.buffer, at: mismatch(p, u.buffer, call.updates[i], ref.updates[i]) })).find((r) => r.at >= 0);
    if (bad) throw new Error(`debug backend: ${bad.what} differs between native and js; ${this.locate(call.inputs, sharedBefore)}`);
  }

  /** Run both backends with every instruction's result as an output; name the first that differs. */
  private locate(inputs: TypedArray[], shared: TypedArray[]): string {
    const p = this.program;
    const exposed: Program = { ...p, outputs: p.instructions.flatMap((ins) => ins.outputs), updates: [] };
    const plan = makePlan(exposed, {
      inputShapes: p.inputs.map((b) => this.plan.shapes[b]),
      sharedShapes: p.shared.map((b) => this.plan.shapes[b]),
      inputData: inputs,
      sharedData: shared,
    });
    const outputs = () => exposed.outputs.map((b) => allocate(p.buffers[b].dtype, sizeOf(plan.shapes[b])));
    const ref: CallBuffers = { inputs, shared, outputs: outputs(), updates: [] };
    const cand: CallBuffers = { inputs, shared, outputs: outputs(), updates: [] };
    this.makeReference(exposed, plan).run(ref);
    this.makeCandidate(exposed, plan).run(cand);
    let k = 0;
    for (const [idx, ins] of p.instructions.entries()) {
      for (const b of ins.outputs) {
        const at = mismatch(p, b, cand.outputs[k], ref.outputs[k]);
        if (at >= 0) {
          return `the first instruction whose result differs is #${idx} (${ins.opcode}${ins.opcode === 'elemwise' ? ' ' + JSON.stringify((ins.attrs.steps as { op: string }[]).map((s) => s.op)) : ''}), ` + `buffer ${b} (${p.buffers[b].name}) at element ${at}: native ${cand.outputs[k][at]}, js ${ref.outputs[k][at]}`;
        }
        k++;
      }
    }
    return 'no single instruction differs when intermediates are compared (the difference comes from the final copies)';
  }
}

/** Index of the first element where a and b differ beyond the dtype's tolerance, or -1. */
export function mismatch(p: Program, buffer: number, a: TypedArray, b: TypedArray): number {
  const dtype = p.buffers[buffer].dtype;
  const rtol = dtype === 'float32' ? 1e-4 : dtype === 'float64' ? 1e-10 : 0;
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y || (x !== x && y !== y)) continue;
    if (!(rtol > 0 && Math.abs(x - y) <= 1e-300 + rtol * Math.abs(y))) return i;
  }
  return -1;
}
