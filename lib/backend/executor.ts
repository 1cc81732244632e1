/** What a backend provides: an executor for one (Program, Plan) pair. */
import type { TypedArray } from '../ndarray/dtype.js';

export interface CallBuffers {
  /** Data of each function input, already of the input buffer's dtype and C-ordered. */
  inputs: TypedArray[];
  /** Current storage of each shared variable (Program.shared order). */
  shared: TypedArray[];
  /** Fresh arrays that receive the outputs. */
  outputs: TypedArray[];
  /** Where each update's value is written: the shared storage itself, or a new array when its shape changes. */
  updates: TypedArray[];
}

export interface Executor {
  readonly backend: 'js' | 'native';
  /** Run the program. Throws without writing outputs or updates if any instruction fails. */
  run(call: CallBuffers): void;
  /** The same off the event loop (native: on the libuv thread pool). The buffers must stay untouched until it settles. */
  runAsync?(call: CallBuffers): Promise<void>;
  /** Releases native memory now; calls in flight finish first. The executor is not used again. */
  free?(): void;
}
