/** The native backend: the Node-API addon over OpenBLAS. */
import type { Plan, Program } from '../../compile/program.js';
import type { Executor } from '../executor.js';

export interface NativeStatus {
  available: boolean;
  /** Why the addon could not be used, when it cannot. */
  reason?: string;
}

export function nativeStatus(): NativeStatus {
  return { available: false, reason: 'the native addon is not part of this build' };
}

export function createNativeExecutor(_program: Program, _plan: Plan): Executor {
  throw new Error(`native backend unavailable: ${nativeStatus().reason}`);
}
