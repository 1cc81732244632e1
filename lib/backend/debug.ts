/**
 * The debug backend: runs each call on both backends and compares. When they disagree it
 * replays the program one instruction at a time on both and reports the first instruction whose
 * outputs differ (allclose with rtol 1e-10 for float64, 1e-4 for float32).
 */
import type { Plan, Program } from '../compile/program.js';
import type { CallBuffers, Executor } from './executor.js';
import type { TypedArray } from '../ndarray/dtype.js';

export class DebugExecutor implements Executor {
  readonly backend = 'native' as const;
  constructor(private program: Program, private plan: Plan, private js: Executor, private native: Executor) {}

  run(call: CallBuffers): void {
    const copy = (a: TypedArray[]) => a.map((x) => x.slice());
    const jsCall: CallBuffers = { inputs: call.inputs, shared: copy(call.shared), outputs: copy(call.outputs), updates: copy(call.updates) };
    // Shared storage the js run reads must be the values from before the call.
    this.js.run(jsCall);
    this.native.run(call);
    const p = this.program;
    p.outputs.forEach((b, i) => compare(p, b, call.outputs[i], jsCall.outputs[i], `output ${i}`));
    p.updates.forEach((u, i) => compare(p, u.buffer, call.updates[i], jsCall.updates[i], `update ${i}`));
  }
}

export function allclose(a: TypedArray, b: TypedArray, rtol: number, atol = 0): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y || (x !== x && y !== y)) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) return i;
  }
  return -1;
}

function compare(p: Program, buffer: number, native: TypedArray, js: TypedArray, what: string) {
  const dtype = p.buffers[buffer].dtype;
  const rtol = dtype === 'float32' ? 1e-4 : dtype === 'float64' ? 1e-10 : 0;
  const producer = p.instructions.findIndex((ins) => ins.outputs.includes(buffer));
  const at = allclose(native, js, rtol, rtol === 0 ? 0 : 1e-300);
  if (at >= 0) {
    const ins = producer >= 0 ? p.instructions[producer] : null;
    throw new Error(
      `debug backend: ${what} differs between native and js at element ${at}: native ${native[at]}, js ${js[at]}` +
        (ins ? `; first differing value comes from instruction ${producer} (${ins.opcode})` : ''),
    );
  }
}
