/**
 * Gemm: beta·C + alpha·op(A)·op(B) — BLAS's gemm (and gemv when B is a vector), made by the
 * BLAS rewrite from a product scaled and added to another array, so that one BLAS call does
 * the scaling and the addition (and, with C dead or an update's old value, works in place).
 */
import { Op } from '../graph/op.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel, kernelFor } from './kernel.js';
import type { Attrs } from '../compile/program.js';
import { formatShape } from '../ndarray/shape.js';
import { gemm } from './dot.js';

export class Gemm extends Op {
  readonly name = 'gemm';
  constructor(readonly alpha: number, readonly beta: number, readonly transA: boolean, readonly transB: boolean) {
    super();
  }
  override key(): string {
    return `Gemm{${this.alpha},${this.beta},${this.transA},${this.transB}}`;
  }
  makeNode(c: Variable, a: Variable, b: Variable): Apply {
    if (a.ndim !== 2 || b.ndim < 1 || b.ndim > 2 || c.ndim !== b.ndim) throw new Error('gemm: needs C, a matrix A and B of C\'s ndim');
    if (![a, b].every((v) => v.dtype === c.dtype)) throw new Error('gemm: operands must share one dtype');
    return new Apply(this, [c, a, b], [c.type]);
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'gemm', attrs: { alpha: this.alpha, beta: this.beta, transA: this.transA, transB: this.transB } };
  }
  override label(): string {
    return `gemm{${this.alpha},${this.beta}${this.transA ? ',T' : ''}${this.transB ? ',T' : ''}}`;
  }
}

registerKernel({
  opcode: 'gemm',
  inferShape(attrs, [sc, sa, sb], values, types) {
    const [product] = kernelFor('dot').inferShape({ transA: attrs.transA, transB: attrs.transB }, [sa, sb], values, types);
    if (product.length !== sc.length || product.some((d, i) => d !== sc[i])) {
      throw new Error(`gemm: the product has shape ${formatShape(product)} but the array it is added to has ${formatShape(sc)}`);
    }
    return [sc];
  },
  js(attrs, [sc, sa, sb]) {
    const ta = attrs.transA as boolean;
    const tb = attrs.transB as boolean;
    const alpha = attrs.alpha as number;
    const beta = attrs.beta as number;
    const m = ta ? sa[1] : sa[0];
    const k = ta ? sa[0] : sa[1];
    const n = sb.length === 2 ? (tb ? sb[0] : sb[1]) : 1;
    const size = sc.reduce((x, y) => x * y, 1);
    const product = new Float64Array(size);
    const scratch = new Float64Array(4 * Math.max(m, n, 1));
    return (ins, outs) => {
      gemm(ins[1], ins[2], product, m, n, k, ta, tb, scratch);
      const c = ins[0];
      const o = outs[0];
      for (let i = 0; i < size; i++) o[i] = beta * c[i] + alpha * product[i];
    };
  },
});
