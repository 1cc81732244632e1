/** softmax and logSoftmax along the last axis, computed stably (max subtracted first). */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { isFloat } from '../ndarray/dtype.js';
import { config } from '../config.js';
import type { Attrs } from '../compile/program.js';
import { applyElemwise as ew } from './elemwise.js';
import { reduce } from './reduce.js';

export class Softmax extends Op {
  readonly name: string;
  constructor(readonly log: boolean) {
    super();
    this.name = log ? 'logSoftmax' : 'softmax';
  }
  override key(): string {
    return this.name;
  }
  makeNode(x: Variable): Apply {
    if (x.ndim < 1) throw new Error(`${this.name}: input must have at least one dimension, got a scalar`);
    const dtype = isFloat(x.dtype) ? x.dtype : config.floatX;
    return new Apply(this, [x], [new TensorType(dtype, x.broadcastable)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    if (!gz) return [null];
    const y = node.outputs[0];
    const last = y.ndim - 1;
    if (this.log) {
      // d logsoftmax: g - softmax * sum(g)
      return [ew('sub', [gz, ew('mul', [ew('exp', [y]), reduce('sum', gz, last, true)])])];
    }
    // d softmax: y * (g - sum(g * y))
    return [ew('mul', [y, ew('sub', [gz, reduce('sum', ew('mul', [gz, y]), last, true)])])];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'softmax', attrs: { log: this.log } };
  }
}

export const softmax = (x: Variable) => new Softmax(false).makeNode(x).outputs[0];
export const logSoftmax = (x: Variable) => new Softmax(true).makeNode(x).outputs[0];

registerKernel({
  opcode: 'softmax',
  rowLocal: true,
  shapeSource: () => ({ input: 0, rowsOnly: false }),
  inferShape: (_a, [s]) => [s],
  js(attrs, [s]) {
    const log = attrs.log as boolean;
    const n = s.length ? s[s.length - 1] : 1;
    const rows = n === 0 ? 0 : s.reduce((a, b) => a * b, 1) / n;
    return (ins, outs) => {
      const x = ins[0];
      const o = outs[0];
      for (let r = 0; r < rows; r++) {
        const b = r * n;
        let m = -Infinity;
        for (let j = 0; j < n; j++) if (x[b + j] > m || x[b + j] !== x[b + j]) m = x[b + j];
        if (m === -Infinity) m = 0;
        let sum = 0;
        for (let j = 0; j < n; j++) sum += Math.exp(x[b + j] - m);
        if (log) {
          const ls = Math.log(sum);
          for (let j = 0; j < n; j++) o[b + j] = x[b + j] - m - ls;
        } else {
          for (let j = 0; j < n; j++) o[b + j] = Math.exp(x[b + j] - m) / sum;
        }
      }
    };
  },
});
