/**
 * The process's link to its peers: the MPI addon (native/mpi, build/Release/theanode_mpi.node),
 * loaded by distributed.init() only, so that nothing else ever needs MPI. The js backend's
 * allreduce kernel and the public functions call it through `transport()`; the native backend's
 * kernel calls the same code through the C table the main addon is handed at init.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TypedArray } from '../ndarray/dtype.js';
import { loadAddon } from '../../binding/index.js';

/** What the collectives run on: the MPI addon, or a stand-in. */
export interface Transport {
  readonly rank: number;
  readonly size: number;
  /** Reduces `data` in place over the ranks; `failed` joins only the header (see native/mpi/mpi.cc). */
  allreduce(data: TypedArray, op: 'sum' | 'max', failed?: boolean): void;
  broadcast(bytes: Uint8Array, root: number, failed?: boolean): void;
  barrier(failed?: boolean): void;
  finalize(): void;
}

interface MpiAddon {
  init(): { rank: number; size: number; threadLevel: string; library: string };
  allreduce(data: TypedArray, op: string, failed?: boolean): void;
  broadcast(data: Uint8Array, root: number, failed?: boolean): void;
  barrier(failed?: boolean): void;
  finalize(): void;
  abort(code: number): void;
  table(): unknown;
}

const HOW_TO =
  'Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), rebuild the addons with `npm run build:native` ' +
  '(it builds build/Release/theanode_mpi.node when CMake finds MPI), and launch every process with mpirun: ' +
  '`mpirun -np 2 node train.js` (as root add --allow-run-as-root; more ranks than cores on one machine need --oversubscribe).';

/** The one error for a process that cannot take part in distributed training, with what to do. */
export function distributedUnavailable(why: string): Error {
  return new Error(`distributed: ${why}. ${HOW_TO}`);
}

/** Whether this process was started by mpirun (Open MPI, or another launcher with PMI). */
export function launchedByMpirun(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['OMPI_COMM_WORLD_SIZE', 'PMIX_RANK', 'PMI_RANK', 'PMI_SIZE'].some((k) => env[k] !== undefined);
}

let current: Transport | null = null;
let mpiAddon: MpiAddon | null = null;

/** The transport, or the clear error when distributed.init() has not run. */
export function transport(where = 'distributed'): Transport {
  if (!current) throw distributedUnavailable(`${where} needs distributed.init() first (this process has no peers yet)`);
  return current;
}

export const isInitialised = (): boolean => current !== null;

/** Installs a transport (a test's in-process stand-in), or removes it with null. */
export function useTransport(t: Transport | null): void {
  current = t;
}

function loadMpiAddon(): MpiAddon {
  const root = loadAddon().root;
  const file = process.env.THEANODE_MPI_ADDON_PATH ?? join(root, 'build/Release/theanode_mpi.node');
  if (!existsSync(file)) throw distributedUnavailable(`the MPI addon ${file} was not built`);
  try {
    return createRequire(import.meta.url)(file) as MpiAddon;
  } catch (e) {
    throw distributedUnavailable(`the MPI addon ${file} cannot be loaded (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Starts MPI once, and hands its table to the native addon (when it loads) for its kernels. */
export function startMpi(): Transport {
  if (current) return current;
  if (!launchedByMpirun()) throw distributedUnavailable('this process was not started by mpirun');
  const mpi = (mpiAddon = loadMpiAddon());
  // A rank waiting in a collective yields its core instead of spinning on it (unless the user
  // chose otherwise): on a busy machine a spinning rank takes the core its peer needs, and a
  // step then costs many times more; on idle cores yielding costs a microsecond per wait.
  process.env.OMPI_MCA_mpi_yield_when_idle ??= '1';
  const info = mpi.init();
  const native = loadAddon().addon as { setCollectives?(t: unknown): void } | null;
  native?.setCollectives?.(mpi.table());
  current = {
    rank: info.rank,
    size: info.size,
    allreduce: (data, op, failed) => mpi.allreduce(data, op, failed),
    broadcast: (bytes, root, failed) => mpi.broadcast(bytes, root, failed),
    barrier: (failed) => mpi.barrier(failed),
    finalize: () => {
      native?.setCollectives?.(null);
      mpi.finalize();
    },
  };
  // A rank that ends normally finalizes; one that fails does not (MPI_Finalize would wait for
  // peers that may be waiting for it): it exits non-zero and mpirun ends the job.
  process.once('exit', (code) => {
    if (code === 0 && current) current.finalize();
    current = null;
  });
  return current;
}

/** Ends the whole job now (every rank), with `code`. */
export function abortJob(code: number): void {
  mpiAddon?.abort(code);
}
