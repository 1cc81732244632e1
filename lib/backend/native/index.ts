/** The native backend: hands a Program and its Plan to the addon once, then one addon call per run. */
import type { Plan, Program } from '../../compile/program.js';
import type { CallBuffers, Executor } from '../executor.js';
import { loadAddon, NativeAddon } from '../../../binding/index.js';
import { attrsForPlan, kernelFor } from '../../ops/kernel.js';

export interface NativeStatus {
  available: boolean;
  /** Why the addon could not be used, when it cannot. */
  reason?: string;
}

export function nativeStatus(): NativeStatus {
  const r = loadAddon();
  return r.addon ? { available: true } : { available: false, reason: r.reason };
}

function addon(): NativeAddon {
  const r = loadAddon();
  if (!r.addon) throw new Error(`native backend unavailable: ${r.reason}`);
  return r.addon;
}

/** JSON that keeps non-finite numbers (the addon reads "Infinity", "-Infinity", "NaN"). */
function attrsJson(attrs: object): string {
  return JSON.stringify(attrs, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

const descriptors = new WeakMap<Program, object>();

/** The Program in the shape the addon decodes (attributes as JSON text). Made once per program. */
function describe(p: Program): object {
  let d = descriptors.get(p);
  if (!d) {
    d = {
      buffers: p.buffers.map((b) => ({ dtype: b.dtype, kind: b.kind, ref: b.ref })),
      instructions: p.instructions.map((ins) => ({ opcode: ins.opcode, inputs: ins.inputs, outputs: ins.outputs, attrs: attrsJson(ins.attrs) })),
      constants: p.constants.map((c) => c.data),
      inputs: p.inputs,
      shared: p.shared,
      outputs: p.outputs,
      updates: p.updates,
    };
    descriptors.set(p, d);
  }
  return d;
}

/** The descriptor with the attributes some kernels derive from this plan's shapes (see KernelSpec.planAttrs). */
function describeForPlan(p: Program, plan: Plan): object {
  const d = describe(p) as { instructions: { attrs: string }[] };
  if (!p.instructions.some((ins) => kernelFor(ins.opcode).planAttrs)) return d;
  const instructions = p.instructions.map((ins, k) => {
    if (!kernelFor(ins.opcode).planAttrs) return d.instructions[k];
    const shapesOf = (ids: number[]) => ids.map((b) => plan.shapes[b]);
    return { ...d.instructions[k], attrs: attrsJson(attrsForPlan(ins.opcode, ins.attrs, shapesOf(ins.inputs), shapesOf(ins.outputs))) };
  });
  return { ...d, instructions };
}

class NativeExecutor implements Executor {
  readonly backend = 'native' as const;
  private readonly handle: InstanceType<NativeAddon['Executor']>;

  constructor(program: Program, plan: Plan) {
    this.handle = new (addon().Executor)(describeForPlan(program, plan), plan);
  }

  run(call: CallBuffers): void {
    this.handle.run(call.inputs, call.shared, call.outputs, call.updates);
  }

  runAsync(call: CallBuffers): Promise<void> {
    return this.handle.runAsync(call.inputs, call.shared, call.outputs, call.updates);
  }
}

export function createNativeExecutor(program: Program, plan: Plan): Executor {
  return new NativeExecutor(program, plan);
}

export interface BackendInfo {
  /** The backend `fn` uses by default: 'native' when the addon loads, else 'js'. */
  backend: 'native' | 'js';
  /** Why the addon is not used, when it is not. */
  reason?: string;
  /** OpenBLAS's kernel family (e.g. SkylakeX, Haswell), its build configuration and thread count. */
  blasCore?: string;
  blasConfig?: string;
  blasThreads?: number;
  /** The OPENBLAS_CORETYPE chosen from the CPU flags, when the environment did not set one. */
  coretypeChosen?: string;
}

/** What runs compiled functions on this machine. */
export function backendInfo(): BackendInfo {
  const r = loadAddon();
  if (!r.addon) return { backend: 'js', reason: r.reason };
  const i = r.addon.info();
  return { backend: 'native', blasCore: i.corename.trim(), blasConfig: i.config.trim(), blasThreads: i.threads, coretypeChosen: r.coretype };
}

/**
 * Set how many threads the native backend uses: products big enough to share are split into
 * bands (each a single-threaded OpenBLAS call), and the fused one-pass kernel into row ranges.
 * OpenBLAS's own threading stays off, so its workers never compete with these. The initial
 * count is OPENBLAS_NUM_THREADS, or the number of cores.
 */
export function setBlasThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setBlasThreads: expected a positive integer, got ${n}`);
  addon().setThreads(n);
}
