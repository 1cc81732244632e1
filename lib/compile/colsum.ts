/**
 * Column sums in the pass that makes the columns. A reduction over axis 0 of an elementwise
 * result (the gradient of a dense layer's bias: the sum of the masked gradient over the batch)
 * would read the whole result again; instead the elementwise instruction adds each block of its
 * result into the sums while the block is in cache, as a second output.
 */
import type { Instruction, Program } from './program.js';

export function fuseColumnSums(p: Program): Program {
  const producer = new Map<number, number>();
  p.instructions.forEach((ins, k) => ins.outputs.forEach((b) => producer.set(b, k)));
  // Entries are replaced, never edited, so a shallow copy keeps p as it was.
  const instructions: (Instruction | null)[] = p.instructions.slice();
  let changed = false;
  p.instructions.forEach((red, k) => {
    if (red.opcode !== 'reduce' || (red.attrs.op !== 'sum' && red.attrs.op !== 'mean')) return;
    const axes = red.attrs.axes as number[];
    const [t] = red.inputs;
    const [r] = red.outputs;
    const e = producer.get(t);
    if (axes.length !== 1 || axes[0] !== 0 || e === undefined || p.buffers[t].ndim !== 2) return;
    const dtype = p.buffers[t].dtype;
    if ((dtype !== 'float64' && dtype !== 'float32') || p.buffers[r].dtype !== dtype) return;
    const ew = instructions[e];
    if (!ew || ew.opcode !== 'elemwise' || ew.outputs.length !== 1 || ew.attrs.colsum) return;
    instructions[e] = { ...ew, outputs: [t, r], attrs: { ...ew.attrs, colsum: { mean: red.attrs.op === 'mean', keepdims: !!red.attrs.keepdims } } };
    instructions[k] = null;
    changed = true;
  });
  return changed ? { ...p, instructions: instructions.filter((x): x is Instruction => x !== null) } : p;
}
