/** Evaluate one Apply node on concrete arrays with the TypeScript kernels (constant folding, eval). */
import type { Apply } from '../graph/variable.js';
import { NDArray } from '../ndarray/ndarray.js';
import { allocate } from '../ndarray/dtype.js';
import { sizeOf } from '../ndarray/shape.js';
import { jsKernelFor, kernelFor } from '../ops/kernel.js';

export function evaluateNode(node: Apply, values: NDArray[]): NDArray[] {
  const { opcode, attrs } = node.op.lower(node);
  const k = kernelFor(opcode);
  const shapes = values.map((v) => [...v.shape]);
  const types = { inputs: values.map((v) => v.dtype), outputs: node.outputs.map((o) => o.dtype) };
  const outShapes = k.inferShape(attrs, shapes, values.map((v) => v.data), types);
  const outs = node.outputs.map((o, i) => new NDArray(allocate(o.dtype, sizeOf(outShapes[i])), outShapes[i], o.dtype));
  jsKernelFor(opcode, attrs, shapes, outShapes, types, values.map((v) => v.data))(values.map((v) => v.data), outs.map((o) => o.data));
  return outs;
}
