/** arange(start, stop, step): the length depends on the values, so they are plan-time values. */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { DType, isDiscrete, upcast } from '../ndarray/dtype.js';
import { config } from '../config.js';
import type { Attrs } from '../compile/program.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';

export class ARange extends Op {
  readonly name = 'ARange';
  constructor(readonly dtype: DType) {
    super();
  }
  override key(): string {
    return `ARange{${this.dtype}}`;
  }
  makeNode(start: Variable, stop: Variable, step: Variable): Apply {
    for (const v of [start, stop, step]) if (v.ndim !== 0) throw new TypeError(`arange: bounds must be scalars, got a ${v.ndim}-d variable`);
    return new Apply(this, [start, stop, step], [new TensorType(this.dtype, [false])]);
  }
  override grad(): (Variable | null)[] {
    return [null, null, null];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'arange', attrs: {} };
  }
}

/**
 * numpy.arange: arange(stop), arange(start, stop), arange(start, stop, step).
 * @example T.arange(x.shape.get(0))  // 0, 1, ..., rows - 1
 */
export function arange(a: TensorLike, b?: TensorLike, c: TensorLike = 1, dtype?: DType): Variable {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  const vs = [start, stop, c].map((v, i) => asVariable(v as TensorLike, `arange argument ${i}`));
  const dt = dtype ?? (vs.every((v) => isDiscrete(v.dtype)) ? 'int32' : isDiscrete(upcast(...vs.map((v) => v.dtype))) ? config.floatX : upcast(...vs.map((v) => v.dtype)));
  return new ARange(dt).makeNode(vs[0], vs[1], vs[2]).outputs[0];
}

function lengthOf(start: number, stop: number, step: number): number {
  if (step === 0) throw new RangeError('arange: step must not be zero');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (!Number.isSafeInteger(n)) throw new RangeError(`arange: start ${start}, stop ${stop}, step ${step} give no finite length`);
  return n;
}

registerKernel({
  opcode: 'arange',
  valueInputs: () => [0, 1, 2],
  inferShape: (_a, _s, [start, stop, step]) => [[lengthOf(start![0], stop![0], step![0])]],
  js: () => (ins, outs) => {
    const start = ins[0][0];
    const step = ins[2][0];
    const o = outs[0];
    for (let i = 0; i < o.length; i++) o[i] = start + i * step;
  },
});
