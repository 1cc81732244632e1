/**
 * A worker thread of the js backend (see workers.ts): keeps an executor per Program and Plan it
 * was sent once, and runs calls on arrays backed by SharedArrayBuffers, so outputs and updates
 * land where the main thread reads them.
 */
import { parentPort } from 'node:worker_threads';
import '../../index.js';
import { JsExecutor } from './executor.js';
import type { ToWorker } from './workers.js';

/** Each executor, or why it could not be made (reported by its first call). */
const executors = new Map<number, JsExecutor | Error>();

parentPort!.on('message', (m: ToWorker) => {
  if (m.kind === 'load') {
    try {
      executors.set(m.id, new JsExecutor(m.program, m.plan));
    } catch (e) {
      executors.set(m.id, e instanceof Error ? e : new Error(String(e)));
    }
    return;
  }
  if (m.kind === 'drop') {
    executors.delete(m.id);
    return;
  }
  try {
    const ex = executors.get(m.id);
    if (!ex) throw new Error(`js worker: no executor ${m.id}`);
    if (ex instanceof Error) throw ex;
    ex.run(m.call);
    parentPort!.postMessage({ seq: m.seq });
  } catch (e) {
    parentPort!.postMessage({ seq: m.seq, error: e instanceof Error ? e.message : String(e) });
  }
});
