/**
 * js-backend calls off the event loop: a few worker threads (worker.ts), each sent a Program and
 * Plan once, the first time it runs that executor, then one message per call. The call's arrays
 * travel as views of SharedArrayBuffers, so the worker reads inputs and writes outputs and
 * updates in the main thread's memory; an array outside shared memory is copied in for the call
 * (and back after it, unless it is an input). Ordering is the caller's (lib/compile/queue.ts), as
 * on native: calls that share variables arrive one at a time, others run in parallel.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from '../../ndarray/dtype.js';
import { NDArray } from '../../ndarray/ndarray.js';
import type { SharedVariable } from '../../graph/variable.js';
import type { Plan, Program } from '../../compile/program.js';
import type { CallBuffers } from '../executor.js';

export type ToWorker =
  | { kind: 'load'; id: number; program: Program; plan: Plan }
  | { kind: 'drop'; id: number }
  | { kind: 'run'; id: number; seq: number; call: CallBuffers };

interface Reply {
  seq: number;
  error?: string;
}

interface Slot {
  worker: Worker;
  loaded: Set<number>;
  pending: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
  broken?: Error;
}

/** What a js executor needs to be run by the workers: an id and its Program and Plan. */
export interface WorkerJob {
  readonly id: number;
  readonly program: Program;
  readonly plan: Plan;
}

const slots: Slot[] = [];
const maxWorkers = Math.max(1, Math.min(4, availableParallelism()));
let seq = 0;
let nextId = 0;
let script: string | null | undefined;

/** The compiled worker beside this module, or (run from the TypeScript sources) in dist/. */
function workerScript(): string | null {
  if (script !== undefined) return script;
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? join(dirname(dirname(dirname(dirname(here)))), 'dist/lib/backend/js/worker.js') : join(dirname(here), 'worker.js');
  return (script = existsSync(file) ? file : null);
}

export const isShared = (a: TypedArray): boolean => a.buffer instanceof SharedArrayBuffer;

/** A new array in shared memory of `a`'s type and length: a copy of `a`, or zeros. */
export function sharedCopy<A extends TypedArray>(a: A, copy = true): A {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer, offset: number, length: number) => A;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength), 0, a.length);
  if (copy) out.set(a);
  return out;
}

/** `a` when it is in shared memory already, else sharedCopy(a, copy). */
export const inSharedMemory = <A extends TypedArray>(a: A, copy = true): A => (isShared(a) ? a : sharedCopy(a, copy));

/** Moves a shared variable's storage into shared memory, once (until setValue replaces it). */
export function shareStorage(s: SharedVariable): void {
  const v = s.container.value;
  if (!isShared(v.data)) s.container.value = new NDArray(inSharedMemory(v.data), v.shape, v.dtype);
}

const cleanup = new FinalizationRegistry<number>((id) => {
  for (const s of slots) if (s.loaded.delete(id)) s.worker.postMessage({ kind: 'drop', id } satisfies ToWorker);
});

/** Registers an executor (dropped from the workers when `owner` is collected). */
export function workerJob(owner: object, program: Program, plan: Plan): WorkerJob {
  const id = nextId++;
  cleanup.register(owner, id);
  // Only the Program's own fields: a compiled function's program carries graph objects too.
  const plain: Program = {
    buffers: program.buffers,
    instructions: program.instructions,
    constants: program.constants.map((c) => ({ data: c.data, shape: c.shape, dtype: c.dtype }) as NDArray),
    inputs: program.inputs,
    shared: program.shared,
    outputs: program.outputs,
    updates: program.updates,
    valueInputs: program.valueInputs,
    valueShared: program.valueShared,
  };
  return { id, program: plain, plan };
}

function newSlot(file: string): Slot {
  const slot: Slot = { worker: new Worker(file), loaded: new Set(), pending: new Map() };
  slot.worker.unref();
  slot.worker.on('message', (r: Reply) => {
    const p = slot.pending.get(r.seq);
    if (!p) return;
    slot.pending.delete(r.seq);
    if (slot.pending.size === 0) slot.worker.unref();
    if (r.error !== undefined) p.reject(new Error(r.error));
    else p.resolve();
  });
  const fail = (e: Error) => {
    slot.broken = e;
    if (slots.includes(slot)) slots.splice(slots.indexOf(slot), 1);
    for (const p of slot.pending.values()) p.reject(new Error(`js worker stopped: ${e.message}`));
    slot.pending.clear();
  };
  slot.worker.on('error', fail);
  slot.worker.on('exit', (code) => slot.broken ?? fail(new Error(`exit code ${code}`)));
  slots.push(slot);
  return slot;
}

/** An idle worker that has the executor, else any idle one, else a new one, else the least busy. */
function pick(job: WorkerJob, file: string): Slot {
  const idle = slots.filter((s) => s.pending.size === 0);
  const mine = idle.find((s) => s.loaded.has(job.id));
  if (mine) return mine;
  if (idle.length) return idle[0];
  if (slots.length < maxWorkers) return newSlot(file);
  return slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
}

/**
 * Runs `job` on a worker with the call's arrays; null when no worker can be used here (the
 * compiled worker is missing), so that the caller runs it on this thread.
 */
export function runInWorker(job: WorkerJob, call: CallBuffers): Promise<void> | null {
  const file = workerScript();
  if (!file) return null;
  const copies = new Map<TypedArray, TypedArray>();
  const back: [TypedArray, TypedArray][] = [];
  const share = (a: TypedArray, copyIn: boolean, copyBack: boolean) => {
    if (isShared(a)) return a;
    let c = copies.get(a);
    if (!c) {
      copies.set(a, (c = inSharedMemory(a, copyIn)));
      if (copyBack) back.push([a, c]);
    }
    return c;
  };
  // Shared storage first, so that an update target that is that storage maps to the same copy.
  const shared = call.shared.map((a) => share(a, true, true));
  const sent: CallBuffers = {
    inputs: call.inputs.map((a) => share(a, true, false)),
    shared,
    outputs: call.outputs.map((a) => share(a, false, true)),
    updates: call.updates.map((a) => share(a, false, true)),
  };
  const slot = pick(job, file);
  if (!slot.loaded.has(job.id)) {
    slot.worker.postMessage({ kind: 'load', id: job.id, program: job.program, plan: job.plan } satisfies ToWorker);
    slot.loaded.add(job.id);
  }
  const n = seq++;
  return new Promise<void>((resolve, reject) => {
    if (slot.pending.size === 0) slot.worker.ref();
    slot.pending.set(n, { resolve, reject });
    slot.worker.postMessage({ kind: 'run', id: job.id, seq: n, call: sent } satisfies ToWorker);
  }).then(() => {
    for (const [orig, copy] of back) orig.set(copy);
  });
}
