/**
 * The Program: the one interface between the compiler and the backends.
 *
 * A Program is a flat list of instructions over numbered buffers. Each buffer has a dtype and a
 * kind: an `input` of the function, the storage of a `shared` variable, a `const` baked into the
 * program, or a `temp` the backend places in its arena. Shapes are not part of the Program: for
 * each signature of input shapes (and of the few integer inputs whose values decide shapes) a
 * Plan gives every buffer its concrete shape and every temp its place in the arena. Both
 * backends run the same Program with the same Plan; the js backend with the TypeScript kernels
 * in lib/ops, the native backend with the C++ kernels in native/, one opcode name for both.
 *
 * A call: bind inputs, shared storage and constants; run the instructions in order; copy each
 * output buffer into a fresh array; then write each update buffer into its shared variable's
 * storage. Nothing is written to shared storage before every instruction has succeeded, and
 * the compiler guarantees that outputs and updates live in temps (never aliasing an input or a
 * shared buffer), so that commit step cannot fail half-way.
 */
import type { DType } from '../ndarray/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';

/** A value of an instruction attribute (JSON-like). */
export type AttrValue = number | boolean | string | null | AttrValue[] | { [k: string]: AttrValue };
/** An instruction's attributes, by name. */
export type Attrs = { [k: string]: AttrValue };

/** Where a buffer's storage comes from: an input, a shared variable, a constant, or the temporaries. */
export type BufferKind = 'input' | 'shared' | 'const' | 'temp';

/** One numbered buffer of a Program: its dtype, rank and where its storage comes from. */
export interface BufferSpec {
  dtype: DType;
  kind: BufferKind;
  /** input: position among the function's inputs; shared: index into Program.shared; const: index into Program.constants. */
  ref: number;
  /** For messages and debugprint. */
  name: string;
  /** Number of dimensions (static: from the graph's types). */
  ndim: number;
}

/** One kernel call of a Program: an opcode over numbered input and output buffers, with attributes. */
export interface Instruction {
  opcode: string;
  inputs: number[];
  outputs: number[];
  attrs: Attrs;
}

/** The compiled form of a graph that both backends run: a flat list of instructions over numbered buffers. */
export interface Program {
  buffers: BufferSpec[];
  instructions: Instruction[];
  constants: NDArray[];
  /** Buffer id of each function input, in call order. */
  inputs: number[];
  /** Buffer id of each shared variable the program reads or updates; index = Program.shared position. */
  shared: number[];
  /** Buffer id of each output, in order. */
  outputs: number[];
  /** For each update: which shared slot receives which (temp) buffer. */
  updates: { shared: number; buffer: number }[];
  /** Input positions whose values (not just shapes) decide shapes; they are part of the plan signature. */
  valueInputs: number[];
  /** Likewise for shared variables (by Program.shared position). */
  valueShared: number[];
}

/** The per-shape part of a compiled function: every buffer's shape, views, in-place writes and arena offsets. */
/** A workspace of one instruction: `elements` of `dtype` from element `offset` of that dtype's arena. */
export interface PlacedWorkspace {
  dtype: DType;
  offset: number;
  elements: number;
}

export interface Plan {
  /** Concrete shape of every buffer. */
  shapes: number[][];
  /** Element offset of each temp buffer in the arena of its dtype; -1 for other kinds. */
  offsets: number[];
  /** Elements needed in each dtype's arena. */
  arena: Record<DType, number>;
  /** Bytes of temporaries (all arenas), for debugprint and tests. */
  tempBytes: number;
  /** For a buffer that is a view of another (reshape, order-keeping dimshuffle): the buffer owning the storage; else -1. */
  alias: number[];
  /** Instructions with nothing to run for these shapes (their output is a view). */
  skip: boolean[];
  /** Updates whose value shares storage with a shared variable or input: copied aside before any update is written. */
  snapshot: boolean[];
  /** Per instruction, the kernel's per-shape decisions (KernelSpec.decide), or null. */
  decisions: (Attrs | null)[];
  /**
   * Per instruction, its workspaces (KernelSpec.workspace) placed in the arena of their dtype,
   * live only while it runs; null when it needs none.
   */
  workspace: (PlacedWorkspace[] | null)[];
}
