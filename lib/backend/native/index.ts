/** The native backend: hands a Program and its Plan to the addon once, then one addon call per run. */
import type { Plan, Program } from '../../compile/program.js';
import type { CallBuffers, Executor } from '../executor.js';
import { loadAddon, NativeAddon, PoolStats } from '../../../binding/index.js';
import { tableMismatch } from './tables.js';

export interface NativeStatus {
  available: boolean;
  /** Why the addon could not be used, when it cannot. */
  reason?: string;
  /** True when the user turned the addon off (THEANODE_NO_NATIVE), so nothing needs a warning. */
  disabled?: boolean;
}

let status: NativeStatus | undefined;

/** Whether the addon loads and implements exactly the kernels this TypeScript expects. */
export function nativeStatus(): NativeStatus {
  if (status) return status;
  const r = loadAddon();
  if (!r.addon) return (status = { available: false, reason: r.reason, disabled: r.disabled });
  const mismatch = tableMismatch(r.addon);
  return (status = mismatch ? { available: false, reason: `the native addon in ${r.root} does not match this version of theanode: ${mismatch}; rebuild it with \`npm run build:native\`` } : { available: true });
}

function addon(): NativeAddon {
  const s = nativeStatus();
  if (!s.available) throw new Error(`native backend unavailable: ${s.reason}`);
  return loadAddon().addon!;
}

/**
 * The addon's gather of shuffled rows (native/src/rows.cc: prefetched, on the pool's threads),
 * or null where the addon is not in use; lib/train/minibatches.ts falls back to TypeScript then.
 */
export function nativeRowGather(): NonNullable<NativeAddon['gatherRows']> | null {
  if (rowGather === undefined) {
    const a = nativeStatus().available ? loadAddon().addon! : null;
    rowGather = a && typeof a.gatherRows === 'function' ? a.gatherRows.bind(a) : null;
  }
  return rowGather;
}
let rowGather: NonNullable<NativeAddon['gatherRows']> | null | undefined;

/** JSON that keeps non-finite numbers (the addon reads "Infinity", "-Infinity", "NaN"). */
function attrsJson(attrs: object): string {
  return JSON.stringify(attrs, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

const descriptors = new WeakMap<Program, object>();

/** The Program in the shape the addon decodes: JSON text, and the constants' data. Made once per program. */
function describe(p: Program): object {
  let d = descriptors.get(p);
  if (!d) {
    const text = attrsJson({
      buffers: p.buffers.map((b) => ({ dtype: b.dtype, kind: b.kind, ref: b.ref })),
      instructions: p.instructions.map((ins) => ({ opcode: ins.opcode, inputs: ins.inputs, outputs: ins.outputs, attrs: ins.attrs })),
      inputs: p.inputs,
      shared: p.shared,
      outputs: p.outputs,
      updates: p.updates,
    });
    d = { text, constants: p.constants.map((c) => c.data) };
    descriptors.set(p, d);
  }
  return d;
}

class NativeExecutor implements Executor {
  readonly backend = 'native' as const;
  private readonly handle: InstanceType<NativeAddon['Executor']>;

  constructor(program: Program, plan: Plan) {
    this.handle = new (addon().Executor)(describe(program), attrsJson(plan));
  }

  run(call: CallBuffers): void {
    this.handle.run(call.inputs, call.shared, call.outputs, call.updates);
  }

  free(): void {
    this.handle.free();
  }

  runAsync(call: CallBuffers): Promise<void> {
    return this.handle.runAsync(call.inputs, call.shared, call.outputs, call.updates);
  }
}

export function createNativeExecutor(program: Program, plan: Plan): Executor {
  return new NativeExecutor(program, plan);
}

/** What {@link backendInfo} reports. */
export interface BackendInfo {
  /** The backend `fn` uses by default: 'native' when the addon loads, else 'js'. */
  backend: 'native' | 'js';
  /** Why the addon is not used, when it is not. */
  reason?: string;
  /** OpenBLAS's kernel family (e.g. SkylakeX, Haswell), its build configuration and thread count. */
  blasCore?: string;
  blasConfig?: string;
  blasThreads?: number;
  /** What runs the matrix products: the addon's own AVX-512 kernels where the CPU has them, else OpenBLAS. */
  products?: 'avx512' | 'openblas';
  /** The cores this process may use (affinity mask, cgroup quota): the native threads are capped there. */
  cores?: number;
  /** The native thread pool's counts since the start. */
  pool?: PoolStats;
  /** The OPENBLAS_CORETYPE chosen from the CPU flags, when the environment did not set one. */
  coretypeChosen?: string;
}

/**
 * What runs compiled functions on this machine.
 * @example
 * const info = backendInfo();
 * if (info.backend === 'js') console.warn(`theanode runs on js: ${info.reason}`);
 */
export function backendInfo(): BackendInfo {
  const r = loadAddon();
  const s = nativeStatus();
  if (!r.addon || !s.available) return { backend: 'js', reason: s.reason };
  const i = r.addon.info();
  return { backend: 'native', blasCore: i.corename.trim(), blasConfig: i.config.trim(), blasThreads: i.threads, products: i.products, cores: i.cores, pool: i.pool, coretypeChosen: r.coretype };
}

/**
 * Set how many threads the native backend uses: products big enough to share are split into
 * bands (each a single-threaded OpenBLAS call), and the fused one-pass kernel into row ranges.
 * OpenBLAS's own threading stays off, so its workers never compete with these. The initial
 * count is OPENBLAS_NUM_THREADS, or the number of cores; no more threads run than the cores
 * this process may use (`backendInfo().cores`: affinity mask and cgroup CPU quota).
  * @example setBlasThreads(1)  // one thread per process, e.g. under a process pool
 */
export function setBlasThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setBlasThreads: expected a positive integer, got ${n}`);
  addon().setThreads(n);
}
