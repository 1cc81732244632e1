/** Choosing the backend of a compiled function: native when the addon loads, js otherwise. */
import type { BackendName } from '../config.js';
import type { Plan, Program } from '../compile/program.js';
import type { Executor } from './executor.js';
import { JsExecutor } from './js/executor.js';
import { createNativeExecutor, nativeStatus } from './native/index.js';
import { DebugExecutor } from './debug.js';

/** The backend a compiled function runs on (`f.backend`). */
export type ResolvedBackend = 'js' | 'native' | 'debug';

let warned = false;

const NAMES: readonly string[] = ['auto', 'native', 'js', 'debug'];

export function resolveBackend(requested: BackendName, where: string): { backend: ResolvedBackend; reason?: string } {
  // A misspelt or unsupported name (e.g. 'cuda') must not quietly run somewhere else.
  if (!NAMES.includes(requested)) throw new TypeError(`${where}: unknown backend ${JSON.stringify(requested)}; expected one of ${NAMES.join(', ')}`);
  if (requested === 'js') return { backend: 'js' };
  const status = nativeStatus();
  if (requested === 'native' || requested === 'debug') {
    if (!status.available) throw new Error(`${where}: backend '${requested}' needs the native addon, which cannot be used: ${status.reason}`);
    return { backend: requested };
  }
  if (status.available) return { backend: 'native' };
  if (!warned && !status.disabled) {
    warned = true;
    process.emitWarning(`theanode: using the js backend because the native addon cannot be used: ${status.reason}`);
  }
  return { backend: 'js', reason: status.reason };
}

export function createExecutor(backend: ResolvedBackend, program: Program, plan: Plan): Executor {
  switch (backend) {
    case 'js':
      return new JsExecutor(program, plan);
    case 'native':
      return createNativeExecutor(program, plan);
    case 'debug':
      return new DebugExecutor(program, plan, (p, pl) => new JsExecutor(p, pl), createNativeExecutor);
  }
}
