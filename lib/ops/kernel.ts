/**
 * Kernel registry: for each opcode of the Program, its shape rule and its TypeScript kernel.
 * The native backend implements the same opcodes in native/kernels; shapes always come from
 * the rules here, so the two backends cannot disagree about them.
 */
import type { DType, TypedArray } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';

export interface KernelTypes {
  inputs: DType[];
  outputs: DType[];
}

/** Runs one instruction: buffers are passed per call, everything else was fixed when the plan was made. */
export type JsKernel = (ins: TypedArray[], outs: TypedArray[]) => void;

export interface KernelSpec {
  opcode: string;
  /** Output shapes; throws a clear error when the inputs do not fit. `values` holds the data of `valueInputs`. */
  inferShape(attrs: Attrs, shapes: number[][], values: (TypedArray | undefined)[], types: KernelTypes): number[][];
  /** The output values depend only on the input shapes (x.shape, sizes): plans compute them without data. */
  shapeOnly?: boolean;
  /** Inputs whose values (not only shapes) decide the output shapes. */
  valueInputs?(attrs: Attrs, nInputs: number): number[];
  /**
   * True when output 0 is input 0's data under a new shape (reshape, order-keeping dimshuffle):
   * the plan then shares the storage and runs nothing.
   */
  view?(attrs: Attrs, inShapes: number[][], outShapes: number[][]): boolean;
  /** Build the kernel for fixed shapes. */
  js(attrs: Attrs, inShapes: number[][], outShapes: number[][], types: KernelTypes): JsKernel;
}

const registry = new Map<string, KernelSpec>();

export function registerKernel(spec: KernelSpec): void {
  if (registry.has(spec.opcode)) throw new Error(`kernel ${spec.opcode} registered twice`);
  registry.set(spec.opcode, spec);
}

export function kernelFor(opcode: string): KernelSpec {
  const k = registry.get(opcode);
  if (!k) throw new Error(`no kernel for opcode ${opcode}`);
  return k;
}
