/** The js backend: runs a Program under a Plan with the TypeScript kernels. */
import type { DType, TypedArray } from '../../ndarray/dtype.js';
import { allocate } from '../../ndarray/dtype.js';
import { sizeOf } from '../../ndarray/shape.js';
import { JsKernel, kernelCollective, kernelFor } from '../../ops/kernel.js';
import type { Plan, Program } from '../../compile/program.js';
import type { Executor, CallBuffers } from '../executor.js';
import { WorkerJob, runInWorker, workerJob } from './workers.js';

interface Step {
  kernel: JsKernel;
  /** For a runtime view: where its output starts in input 0, per call. */
  viewOffset?: (ins: TypedArray[]) => number;
  viewSize?: number;
  inIds: number[];
  outIds: number[];
  ins: TypedArray[];
  outs: TypedArray[];
  /** The instruction's workspaces: views of the arena. */
  work: TypedArray[];
}

export class JsExecutor implements Executor {
  readonly backend = 'js' as const;
  private readonly bufs: TypedArray[];
  private readonly steps: Step[] = [];
  /** Buffers bound per call: inputs, shared storage, and views of them. */
  private readonly perCall: { id: number; kind: 'input' | 'shared'; ref: number; size: number }[] = [];
  private job?: WorkerJob;
  private collective?: boolean;

  /** `given`: the arenas to place the temporaries in (a loop body's, inside its loop's workspace); else its own. */
  constructor(private readonly program: Program, private readonly plan: Plan, given?: Partial<Record<DType, TypedArray>>) {
    const p = program;
    const arenas = {} as Record<DType, TypedArray>;
    for (const d of Object.keys(plan.arena) as DType[]) arenas[d] = given?.[d] ?? allocate(d, plan.arena[d]);
    this.bufs = new Array(p.buffers.length);
    const root = (b: number) => (plan.alias[b] >= 0 ? plan.alias[b] : b);
    p.buffers.forEach((spec, b) => {
      const r = root(b);
      const rs = p.buffers[r];
      const size = sizeOf(plan.shapes[b]);
      if (rs.kind === 'input' || rs.kind === 'shared') this.perCall.push({ id: b, kind: rs.kind, ref: rs.ref, size });
      else if (rs.kind === 'const') this.bufs[b] = p.constants[rs.ref].data.subarray(0, size);
      else this.bufs[b] = arenas[spec.dtype].subarray(plan.offsets[r], plan.offsets[r] + size);
    });
    p.instructions.forEach((ins, k) => {
      if (plan.skip[k]) return;
      const spec = kernelFor(ins.opcode);
      const inShapes = ins.inputs.map((b) => plan.shapes[b]);
      const outShapes = ins.outputs.map((b) => plan.shapes[b]);
      const types = { inputs: ins.inputs.map((b) => p.buffers[b].dtype), outputs: ins.outputs.map((b) => p.buffers[b].dtype) };
      const decision = plan.decisions[k] ?? undefined;
      const work = (plan.workspace[k] ?? []).map((w) => arenas[w.dtype].subarray(w.offset, w.offset + w.elements));
      const step: Step = { kernel: spec.js(ins.attrs, inShapes, outShapes, types, decision), inIds: ins.inputs, outIds: ins.outputs, ins: [], outs: [], work };
      if (decision?.view && spec.runtimeView) {
        step.viewOffset = (ins) => spec.runtimeView!.offset(decision, ins);
        step.viewSize = sizeOf(outShapes[0]);
      }
      this.steps.push(step);
    });
  }

  /** On a worker thread (workers.ts); on this thread when no worker can be used. */
  runAsync(call: CallBuffers): Promise<void> {
    try {
      // Collectives go through this thread's MPI addon, which the workers do not load.
      this.collective ??= this.program.instructions.some((ins) => kernelCollective(ins.opcode));
      if (this.collective) {
        this.run(call);
        return Promise.resolve();
      }
      this.job ??= workerJob(this, this.program, this.plan);
      const p = runInWorker(this.job, call);
      if (p) return p;
      this.run(call);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  run(call: CallBuffers): void {
    const { bufs, program: p, plan } = this;
    for (const b of this.perCall) {
      const src = b.kind === 'input' ? call.inputs[b.ref] : call.shared[b.ref];
      bufs[b.id] = src.length === b.size ? src : src.subarray(0, b.size);
    }
    for (let k = 0; k < this.steps.length; k++) {
      const s = this.steps[k];
      for (let i = 0; i < s.inIds.length; i++) s.ins[i] = bufs[s.inIds[i]];
      if (s.viewOffset) {
        const off = s.viewOffset(s.ins);
        bufs[s.outIds[0]] = s.ins[0].subarray(off, off + s.viewSize!);
        continue;
      }
      for (let i = 0; i < s.outIds.length; i++) s.outs[i] = bufs[s.outIds[i]];
      try {
        s.kernel(s.ins, s.outs, s.work);
      } catch (e) {
        // The collectives this call will not reach are abandoned, so no peer waits for them.
        for (const later of this.steps.slice(k + 1)) later.kernel.abandon?.();
        throw e;
      }
    }
    // Every instruction succeeded: publish outputs, then updates (values from before the call).
    p.outputs.forEach((b, i) => call.outputs[i].set(bufs[b]));
    const values = p.updates.map((u, i) => (plan.snapshot[i] ? bufs[u.buffer].slice() : bufs[u.buffer]));
    // An update computed in place already sits in the shared storage.
    p.updates.forEach((_, i) => call.updates[i] !== values[i] && call.updates[i].set(values[i]));
  }
}
