/** TensorType: a dtype plus Theano's static broadcastable flags (true = that axis has length 1). */
import { DType } from '../ndarray/dtype.js';

/**
 * A variable's type: a dtype, and per axis whether it is broadcastable (has length 1 and may stretch).
 * @example
 * ```ts
 * T.matrix('x').type.describe()  // 'float64[?,?]'
 * ```
 */
export class TensorType {
  readonly dtype: DType;
  readonly broadcastable: readonly boolean[];

  constructor(dtype: DType, broadcastable: readonly boolean[]) {
    this.dtype = dtype;
    this.broadcastable = Object.freeze([...broadcastable]);
  }

  get ndim(): number {
    return this.broadcastable.length;
  }

  /** Whether both have the same dtype and broadcastable flags. */
  equals(o: TensorType): boolean {
    return this.dtype === o.dtype && this.broadcastable.length === o.broadcastable.length && this.broadcastable.every((b, i) => b === o.broadcastable[i]);
  }

  /** The same broadcastable flags with another dtype. */
  withDType(dtype: DType): TensorType {
    return new TensorType(dtype, this.broadcastable);
  }

  /** The type as text, e.g. `float64[?,1]` (`1` marks a broadcastable axis). */
  toString(): string {
    const kind = ['Scalar', 'Vector', 'Matrix'][this.ndim] ?? `Tensor${this.ndim}`;
    return `Tensor${kind === 'Scalar' || kind === 'Vector' || kind === 'Matrix' ? `Type(${this.dtype}, ${kind.toLowerCase()})` : `Type(${this.dtype}, ${this.ndim}d)`}`;
  }

  /** Short text used in messages and debugprint, e.g. float64[N,1]. */
  describe(): string {
    return `${this.dtype}[${this.broadcastable.map((b) => (b ? '1' : '?')).join(',')}]`;
  }
}
