/**
 * Kernel registry: for each opcode of the Program, its shape rule, its TypeScript kernel and
 * the properties the compiler needs to know about it. The native backend implements the same
 * opcodes in native/kernels; shapes and every other decision come from the declarations here,
 * so the two backends cannot disagree about them, and no pass of the compiler keeps a list of
 * opcode names: the planner and the fusion passes read these properties.
 */
import type { DType, TypedArray } from '../ndarray/dtype.js';
import { allocate } from '../ndarray/dtype.js';
import type { Attrs } from '../compile/program.js';

export interface KernelTypes {
  inputs: DType[];
  outputs: DType[];
}

/**
 * Runs one instruction: buffers are passed per call, everything else was fixed when the plan
 * was made. `work` holds the instruction's workspaces (KernelSpec.workspace), in declared order.
 */
export type JsKernel = ((ins: TypedArray[], outs: TypedArray[], work: TypedArray[]) => void) & {
  /** A collective's: an earlier instruction of the call failed, so tell the peers waiting in it. */
  abandon?: () => void;
};

/** A kernel that brings its own workspaces: for runs outside a plan. */
export type SelfContainedKernel = (ins: TypedArray[], outs: TypedArray[]) => void;

/** Scratch an instruction needs only while it runs (e.g. a column matrix), placed in the plan's arena. */
export interface WorkspaceSpec {
  dtype: DType;
  elements: number;
}

export interface KernelSpec {
  opcode: string;
  /** Output shapes; throws a clear error when the inputs do not fit. `values` holds the data of `valueInputs`. */
  inferShape(attrs: Attrs, shapes: number[][], values: (TypedArray | undefined)[], types: KernelTypes): number[][];
  /** The output values depend only on the input shapes (x.shape, sizes): plans compute them without data. */
  shapeOnly?: boolean;
  /** Inputs whose values (not only shapes) decide the output shapes. */
  valueInputs?(attrs: Attrs, nInputs: number): number[];
  /**
   * What of those values a plan depends on, from the input shapes and values (default: the
   * output shapes). A plan made for some values is reused for others while this stays the
   * same: the rest are read at run time. Called on every call of such a function: keep it cheap.
   */
  valueKey?(attrs: Attrs, shapes: number[][], values: (TypedArray | undefined)[]): string;
  /**
   * Per-shape decisions (resolved index strides, row blocks, ...), made once when the plan is
   * made and carried in it: both backends' kernels execute them, neither decides again; null
   * when these attributes need none.
   */
  decide?(attrs: Attrs, inShapes: number[][], outShapes: number[][], types: KernelTypes, values: (TypedArray | undefined)[]): Attrs | null;
  /**
   * True when output 0 is input 0's data under a new shape (reshape, order-keeping dimshuffle):
   * the plan then shares the storage and runs nothing.
   */
  view?(attrs: Attrs, inShapes: number[][], outShapes: number[][]): boolean;
  /**
   * The kernel checks data and can throw at run time (index bounds, labels out of range). The
   * planner writes no shared storage in place before the last such instruction has run, so a
   * failed call changes nothing.
   */
  mayFail?: boolean | ((attrs: Attrs) => boolean);
  /**
   * Runs with the other processes of a distributed job (lib/distributed): never evaluated while
   * compiling (constant folding), and a call that fails before it still joins it (abandon).
   */
  collective?: boolean;
  /**
   * Inputs whose storage output 0 may take when they die at this instruction and have its
   * shape and dtype: the kernel reads each such input element for element, at the position it
   * writes (or, like gemm's C, scales it in place before reading anything else).
   */
  inPlace?(attrs: Attrs, nInputs: number): number[];
  /**
   * Row r of every output depends only on row r (axis 0) of the inputs that have the output's
   * rank, so the instruction can run on a block of rows inside a row-blocked pass.
   */
  rowLocal?: boolean | ((attrs: Attrs) => boolean);
  /**
   * Output 0 can be input 0's storage from an element offset known only at run time (a slice
   * of consecutive elements at a runtime index): `can` tells from the decision whether it may,
   * `offset` where it starts in this call (checked). The plan then makes the output a view.
   */
  runtimeView?: { can(decision: Attrs): boolean; offset(decision: Attrs, ins: TypedArray[]): number };
  /**
   * Scratch arrays the kernel needs while it runs, from the shapes and the decision: the plan
   * places them in the arena like temporaries live at this instruction alone (so they share
   * space with other temporaries) and both backends' kernels receive them; neither allocates.
   */
  workspace?(attrs: Attrs, inShapes: number[][], outShapes: number[][], types: KernelTypes, decision?: Attrs): WorkspaceSpec[];
  /**
   * Which input output 0 has the shape of (`rowsOnly`: only its rows, one value per row), or
   * null when none does: the one-pass fusion answers shape questions from an earlier buffer.
   */
  shapeSource?(attrs: Attrs, inputNdims: number[], outNdim: number): { input: number; rowsOnly: boolean } | null;
  /** For a shapeOnly kernel: the axes of its input whose lengths it reads (null: all of them). */
  axesRead?(attrs: Attrs): number[] | null;
  /** Build the kernel for fixed shapes; `decision` is what `decide` returned for them. */
  js(attrs: Attrs, inShapes: number[][], outShapes: number[][], types: KernelTypes, decision?: Attrs): JsKernel;
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

/** The kernel for fixed shapes outside a plan (constant folding, fused inner ops): its decisions are made now. */
export function jsKernelFor(opcode: string, attrs: Attrs, inShapes: number[][], outShapes: number[][], types: KernelTypes, values: (TypedArray | undefined)[] = []): SelfContainedKernel {
  const spec = kernelFor(opcode);
  const decision = spec.decide?.(attrs, inShapes, outShapes, types, values) ?? undefined;
  return withOwnWorkspace(spec, attrs, inShapes, outShapes, types, decision);
}

/** The kernel with workspaces of its own, for runs outside a plan's arena (shape-valued steps, folding). */
export function withOwnWorkspace(spec: KernelSpec, attrs: Attrs, inShapes: number[][], outShapes: number[][], types: KernelTypes, decision?: Attrs): SelfContainedKernel {
  const kernel = spec.js(attrs, inShapes, outShapes, types, decision);
  const own = (spec.workspace?.(attrs, inShapes, outShapes, types, decision) ?? []).map((w) => allocate(w.dtype, w.elements));
  return (ins, outs) => kernel(ins, outs, own);
}

/** Reads a property that may be constant or depend on the attributes. */
function flag(v: boolean | ((attrs: Attrs) => boolean) | undefined, attrs: Attrs): boolean {
  return typeof v === 'function' ? v(attrs) : !!v;
}

export const kernelMayFail = (opcode: string, attrs: Attrs): boolean => flag(kernelFor(opcode).mayFail, attrs);
export const kernelRowLocal = (opcode: string, attrs: Attrs): boolean => flag(kernelFor(opcode).rowLocal, attrs);
export const kernelCollective = (opcode: string): boolean => !!kernelFor(opcode).collective;
export const kernelInPlace = (opcode: string, attrs: Attrs, nInputs: number): number[] => kernelFor(opcode).inPlace?.(attrs, nInputs) ?? [];


/** Every registered opcode, for the check that the native addon implements the same set. */
export function registeredOpcodes(): string[] {
  return [...registry.keys()].sort();
}
