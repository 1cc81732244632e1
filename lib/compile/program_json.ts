/**
 * A Program as instruction attributes (plain JSON), for programs nested in an instruction (a
 * loop's body): both backends and worker threads receive it like any other attribute.
 * Constants travel as number lists; a body's constants are small (scalars of its expressions).
 */
import type { Attrs, AttrValue, Program } from './program.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { DType } from '../ndarray/dtype.js';
import { allocate } from '../ndarray/dtype.js';

export function programToAttrs(p: Program): Attrs {
  return {
    buffers: p.buffers.map((b) => ({ dtype: b.dtype, kind: b.kind, ref: b.ref, name: b.name, ndim: b.ndim })),
    instructions: p.instructions.map((ins) => ({ opcode: ins.opcode, inputs: ins.inputs, outputs: ins.outputs, attrs: ins.attrs })),
    constants: p.constants.map((c) => ({ dtype: c.dtype, shape: [...c.shape], data: Array.from(c.data as ArrayLike<number>) })),
    inputs: p.inputs,
    shared: p.shared,
    outputs: p.outputs,
    updates: p.updates.map((u) => ({ shared: u.shared, buffer: u.buffer })),
    valueInputs: p.valueInputs,
    valueShared: p.valueShared,
  };
}

const decoded = new WeakMap<Attrs, Program>();

/** The Program of `programToAttrs` (made once per attribute object). */
export function programFromAttrs(a: Attrs): Program {
  let p = decoded.get(a);
  if (p) return p;
  const constants = (a.constants as AttrValue[]).map((c) => {
    const { dtype, shape, data } = c as { dtype: DType; shape: number[]; data: (number | string)[] };
    const arr = allocate(dtype, data.length);
    data.forEach((x, i) => (arr[i] = typeof x === 'string' ? Number(x) : x));
    return new NDArray(arr, shape, dtype);
  });
  p = { ...(a as unknown as Program), constants };
  decoded.set(a, p);
  return p;
}
