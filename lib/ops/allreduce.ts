/**
 * AllReduce: each input summed ('sum') or averaged ('mean') over the ranks of a distributed job
 * (lib/distributed). One node may reduce several inputs: the merge_allreduce rewrite gathers a
 * function's allreduces into one, so a training step sends all its gradients in ONE message.
 * The kernel may fail (a peer failed, the ranks disagree), and is declared so: the planner then
 * writes no update before it has run, and a failed step changes no shared variable on any rank.
 * The gradient of a sum over ranks, taken on each rank, is the same reduction of the output
 * gradient (every rank's cost depends on every rank's input).
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel, JsKernel } from './kernel.js';
import type { Attrs } from '../compile/program.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { allocate } from '../ndarray/dtype.js';
import { sizeOf } from '../ndarray/shape.js';
import { transport } from '../distributed/runtime.js';

/** How `T.distributed.allreduce` combines the ranks' values: their sum, or their mean. */
export type AllReduceOp = 'sum' | 'mean';

export class AllReduce extends Op {
  readonly name = 'allreduce';
  /** Per input, how it is reduced. */
  constructor(readonly ops: readonly AllReduceOp[]) {
    super();
  }
  override key(): string {
    return `AllReduce{${this.ops.join(',')}}`;
  }
  makeNode(...xs: Variable[]): Apply {
    if (xs.length !== this.ops.length || xs.length === 0) throw new Error(`allreduce: expected ${this.ops.length} input(s), got ${xs.length}`);
    xs.forEach((x, i) => {
      if (x.dtype !== 'float64' && x.dtype !== 'float32') throw new TypeError(`T.distributed.allreduce: input ${i} is ${x.dtype}; only float64 and float32 tensors are reduced symbolically`);
    });
    return new Apply(this, xs, xs.map((x) => new TensorType(x.dtype, x.broadcastable)));
  }
  override grad(_node: Apply, gzs: (Variable | null)[]): (Variable | null)[] {
    return gzs.map((gz, i) => (gz ? new AllReduce([this.ops[i]]).makeNode(gz).outputs[0] : null));
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'allreduce', attrs: { ops: [...this.ops] } };
  }
  override label(): string {
    return `allreduce{${this.ops.join(',')}}`;
  }
}

/**
 * `x` summed or averaged over all ranks (like Horovod's allreduce), e.g. a gradient:
 * @example const gW = T.distributed.allreduce(grad(cost, W), 'mean');
 */
export function allreduce(x: Variable, op: AllReduceOp = 'sum'): Variable {
  if (op !== 'sum' && op !== 'mean') throw new TypeError(`T.distributed.allreduce: op must be 'sum' or 'mean', got ${JSON.stringify(op)}`);
  return new AllReduce([op]).makeNode(x).outputs[0];
}

registerKernel({
  opcode: 'allreduce',
  collective: true,
  mayFail: true,
  inferShape: (_a, shapes) => shapes.map((s) => [...s]),
  js(attrs, inShapes, _o, types) {
    const ops = attrs.ops as AllReduceOp[];
    const sizes = inShapes.map(sizeOf);
    const stage = allocate(types.outputs[0], sizes.reduce((a, b) => a + b, 0));
    const run = ((ins: TypedArray[], outs: TypedArray[]) => {
      const t = transport('T.distributed.allreduce');
      let at = 0;
      ins.forEach((x, i) => {
        stage.set(x.subarray(0, sizes[i]), at);
        at += sizes[i];
      });
      t.allreduce(stage, 'sum');
      at = 0;
      outs.forEach((o, i) => {
        o.set(stage.subarray(at, at + sizes[i]));
        if (ops[i] === 'mean') for (let k = 0; k < sizes[i]; k++) o[k] /= t.size;
        at += sizes[i];
      });
    }) as JsKernel;
    // An earlier instruction of the call failed: the peers waiting here are told, not left waiting.
    run.abandon = () => {
      try {
        transport().allreduce(stage.subarray(0, 0), 'sum', true);
      } catch {
        // No transport: no peer is waiting.
      }
    };
    return run;
  },
});
