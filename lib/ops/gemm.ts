/**
 * Gemm: beta·C + alpha·op(A)·op(B) — BLAS's gemm (and gemv when B is a vector), made by the
 * BLAS rewrite from a product scaled and added to another array, so that one BLAS call does
 * the scaling and the addition (and, with C dead or an update's old value, works in place).
 * C may be one row broadcast over the result's rows (a dense layer's bias), and `relu` applies
 * max(., 0) to the result as it is written: a dense layer's forward pass in one instruction.
 */
import { Op } from '../graph/op.js';
import { Apply, Variable } from '../graph/variable.js';
import { TensorType } from '../graph/type.js';
import { registerKernel, kernelFor } from './kernel.js';
import type { Attrs } from '../compile/program.js';
import { formatShape } from '../ndarray/shape.js';
import { gemm } from './dot.js';

export class Gemm extends Op {
  readonly name = 'gemm';
  constructor(readonly alpha: number, readonly beta: number, readonly transA: boolean, readonly transB: boolean, readonly relu = false) {
    super();
  }
  override key(): string {
    return `Gemm{${this.alpha},${this.beta},${this.transA},${this.transB},${this.relu}}`;
  }
  makeNode(c: Variable, a: Variable, b: Variable): Apply {
    if (a.ndim !== 2 || b.ndim < 1 || b.ndim > 2 || c.ndim !== b.ndim) throw new Error('gemm: needs C, a matrix A and B of C\'s ndim');
    if (![a, b].every((v) => v.dtype === c.dtype)) throw new Error('gemm: operands must share one dtype');
    if (c.ndim === 1 && c.broadcastable[0]) throw new Error('gemm: a vector C cannot be broadcast');
    // Rows of the result: one per row of op(A); columns: those of op(B).
    const pattern = b.ndim === 1 ? [a.broadcastable[this.transA ? 1 : 0]] : [a.broadcastable[this.transA ? 1 : 0], b.broadcastable[this.transB ? 0 : 1]];
    return new Apply(this, [c, a, b], [new TensorType(c.dtype, pattern.map((p, i) => p && c.broadcastable[i]))]);
  }
  /** The same product with max(., 0) applied to the result. */
  withRelu(): Gemm {
    return new Gemm(this.alpha, this.beta, this.transA, this.transB, true);
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'gemm', attrs: { alpha: this.alpha, beta: this.beta, transA: this.transA, transB: this.transB, relu: this.relu } };
  }
  override label(): string {
    return `gemm{${this.alpha},${this.beta}${this.transA ? ',T' : ''}${this.transB ? ',T' : ''}${this.relu ? ',relu' : ''}}`;
  }
}

registerKernel({
  opcode: 'gemm',
  // C is scaled by beta before the product is added: the result may take C's storage.
  inPlace: () => [0],
  inferShape(attrs, [sc, sa, sb], values, types) {
    const [product] = kernelFor('dot').inferShape({ transA: attrs.transA, transB: attrs.transB }, [sa, sb], values, types);
    const fits = product.length === sc.length && product.every((d, i) => d === sc[i] || (i === 0 && sc.length === 2 && sc[0] === 1));
    if (!fits) throw new Error(`gemm: the product has shape ${formatShape(product)} but the array it is added to has ${formatShape(sc)}`);
    return [product];
  },
  js(attrs, [sc, sa, sb], [so]) {
    const relu = attrs.relu === true;
    const ta = attrs.transA as boolean;
    const tb = attrs.transB as boolean;
    const alpha = attrs.alpha as number;
    const beta = attrs.beta as number;
    const m = ta ? sa[1] : sa[0];
    const k = ta ? sa[0] : sa[1];
    const n = sb.length === 2 ? (tb ? sb[0] : sb[1]) : 1;
    const size = so.reduce((x, y) => x * y, 1);
    // C's period: the whole result, or one row repeated.
    const period = sc.reduce((x, y) => x * y, 1) || 1;
    const product = new Float64Array(size);
    const scratch = new Float64Array(4 * Math.max(m, n, 1));
    return (ins, outs) => {
      gemm(ins[1], ins[2], product, m, n, k, ta, tb, scratch);
      const c = ins[0];
      const o = outs[0];
      for (let i = 0; i < size; i++) {
        const v = beta * c[i % period] + alpha * product[i];
        o[i] = relu ? (v > 0 ? v : 0) : v;
      }
    };
  },
});
