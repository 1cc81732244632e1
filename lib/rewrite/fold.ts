/** Constant folding: a node whose inputs are all constants becomes the constants it computes. */
import { Constant } from '../graph/variable.js';
import { evaluateNode } from '../compile/evaluate.js';
import { named, LocalRewrite } from './pattern.js';
import { kernelCollective } from '../ops/kernel.js';

/** Largest constant folding may produce: beyond this, computing at run time is cheaper than storing. */
const MAX_FOLDED = 1 << 16;

export const constantFold = named('constant_fold', 'all', (node) => {
  if (node.inputs.length === 0 || !node.inputs.every((v) => v instanceof Constant)) return null;
  // A collective runs with the other ranks at run time, never alone while compiling.
  if (kernelCollective(node.op.lower(node).opcode)) return null;
  const outs = evaluateNode(node, node.inputs.map((v) => (v as Constant).value));
  if (outs.some((o) => o.size > MAX_FOLDED)) return null;
  return outs.map((o) => new Constant(o));
});

export const fold: LocalRewrite[] = [constantFold];
