/** The debug backend names the first instruction whose results differ between two executors. */
import { describe, expect, it } from 'vitest';
import { T, fn, array, shared } from 'theanode';
import { DebugExecutor } from '../../lib/backend/debug.js';
import { JsExecutor } from '../../lib/backend/js/executor.js';
import type { Program } from '../../lib/compile/program.js';
import { allocate } from '../../lib/ndarray/dtype.js';
import { sizeOf } from '../../lib/ndarray/shape.js';

/** A js executor for a copy of the program in which instruction `k`'s elementwise op is swapped. */
function corrupted(k: number, from: string, to: string) {
  return (p: Program, plan: any) => {
    const instructions = p.instructions.map((ins, i) =>
      i === k ? { ...ins, attrs: { ...ins.attrs, steps: (ins.attrs.steps as any[]).map((s) => (s.op === from ? { ...s, op: to } : s)) } } : ins,
    );
    return new JsExecutor({ ...p, instructions }, plan);
  };
}

describe('debug backend', () => {
  it('passes when both sides agree and reports the first differing instruction otherwise', () => {
    const x = T.vector('x');
    const w = shared([1, 2, 3], 'w');
    const y = T.exp(x.mul(w)).sum().add(x.dot(w));
    const f = fn([x], y, { backend: 'js', updates: [[w, w.add(1)]] });
    f(array([0.1, 0.2, 0.3]));
    const p = f.program;
    const plan = f.lastPlan!;
    const k = p.instructions.findIndex((ins) => ins.opcode === 'elemwise' && (ins.attrs.steps as any[]).some((s) => s.op === 'exp'));
    expect(k).toBeGreaterThanOrEqual(0);
    const call = () => ({
      inputs: [Float64Array.from([0.1, 0.2, 0.3])],
      shared: [Float64Array.from([1, 2, 3])],
      outputs: p.outputs.map((b) => allocate(p.buffers[b].dtype, sizeOf(plan.shapes[b]))),
      updates: p.updates.map((u) => allocate(p.buffers[u.buffer].dtype, sizeOf(plan.shapes[u.buffer]))),
    });
    const same = new DebugExecutor(p, plan, (a, b) => new JsExecutor(a, b), (a, b) => new JsExecutor(a, b));
    const ok = call();
    same.run(ok);
    expect(ok.outputs[0][0]).toBeCloseTo(Math.exp(0.1) + Math.exp(0.4) + Math.exp(0.9) + 1.4, 12);
    const broken = new DebugExecutor(p, plan, (a, b) => new JsExecutor(a, b), corrupted(k, 'exp', 'expm1'));
    expect(() => broken.run(call())).toThrow(new RegExp(`output 0 differs between native and js; the first instruction whose result differs is #${k} \\(elemwise .*exp`));
  });
});
