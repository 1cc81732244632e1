/** Small graph-building helpers that several ops' gradients share. */
import type { Variable } from '../graph/variable.js';
import { reduce } from './reduce.js';
import { dimshuffle } from './dimshuffle.js';
import { applyElemwise } from './elemwise.js';
import { isFloat } from '../ndarray/dtype.js';

/**
 * The gradient of a broadcast input: sum `g` over the axes that broadcasting stretched (the
 * leading axes the input lacks, and the axes it declares broadcastable), then give it the
 * input's ndim and dtype.
 */
export function sumToInput(g: Variable, x: Variable): Variable {
  const lead = g.ndim - x.ndim;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) axes.push(i);
    else if (x.broadcastable[i - lead] && !g.broadcastable[i]) axes.push(i);
  }
  let out = g;
  if (axes.length > 0) out = reduce('sum', out, axes, true);
  if (lead > 0) out = dimshuffle(out, Array.from({ length: x.ndim }, (_, i) => i + lead));
  if (out.dtype !== x.dtype && isFloat(x.dtype)) out = applyElemwise('cast', [out], x.dtype);
  return out;
}

/** `g` broadcast to the shape of `x` (Theano's fill/second). */
export function broadcastLike(g: Variable, x: Variable): Variable {
  return applyElemwise('second', [x, g], g.dtype);
}
