/**
 * Dot: vector and matrix products in every combination (numpy.dot for 1-d and 2-d operands),
 * with transpose flags so that dot(x.T, g) reads x in place — the BLAS way.
 */
import { Op } from '../graph/op.js';
import { TensorType } from '../graph/type.js';
import { Apply, Variable } from '../graph/variable.js';
import { registerKernel } from './kernel.js';
import { TypedArray, upcast, isDiscrete } from '../ndarray/dtype.js';
import { formatShape } from '../ndarray/shape.js';
import type { Attrs } from '../compile/program.js';
import { applyElemwise as ew } from './elemwise.js';
import { dimshuffle } from './dimshuffle.js';
import { sumToInput } from './grad_helpers.js';

export class Dot extends Op {
  readonly name = 'dot';
  /** transA/transB: the matrix operand is stored transposed (only for 2-d operands). */
  constructor(readonly transA = false, readonly transB = false) {
    super();
  }
  override key(): string {
    return `Dot{${this.transA},${this.transB}}`;
  }
  makeNode(a: Variable, b: Variable): Apply {
    if (a.ndim < 1 || a.ndim > 2 || b.ndim < 1 || b.ndim > 2) {
      throw new Error(`dot: operands must be vectors or matrices, got ${a.ndim}-d and ${b.ndim}-d`);
    }
    if ((this.transA && a.ndim !== 2) || (this.transB && b.ndim !== 2)) throw new Error('dot: transpose flags need matrices');
    let dtype = upcast(a.dtype, b.dtype);
    if (dtype === 'bool') dtype = 'int32';
    const rowsA = a.ndim === 2 ? a.broadcastable[this.transA ? 1 : 0] : null;
    const colsB = b.ndim === 2 ? b.broadcastable[this.transB ? 0 : 1] : null;
    const bc = [rowsA, colsB].filter((v): v is boolean => v !== null);
    return new Apply(this, [a, b], [new TensorType(dtype, bc)]);
  }
  override grad(node: Apply, [gz]: (Variable | null)[]): (Variable | null)[] {
    if (!gz) return [null, null];
    const [a0, b0] = node.inputs;
    // Work with the logical (untransposed) operands.
    const a = this.transA ? dimshuffle(a0, [1, 0]) : a0;
    const b = this.transB ? dimshuffle(b0, [1, 0]) : b0;
    let ga: Variable;
    let gb: Variable;
    if (a.ndim === 1 && b.ndim === 1) {
      ga = ew('mul', [gz, b]);
      gb = ew('mul', [gz, a]);
    } else if (a.ndim === 2 && b.ndim === 1) {
      ga = ew('mul', [dimshuffle(gz, [0, 'x']), dimshuffle(b, ['x', 0])]);
      gb = dot(dimshuffle(a, [1, 0]), gz);
    } else if (a.ndim === 1 && b.ndim === 2) {
      ga = dot(b, gz);
      gb = ew('mul', [dimshuffle(a, [0, 'x']), dimshuffle(gz, ['x', 0])]);
    } else {
      ga = dot(gz, dimshuffle(b, [1, 0]));
      gb = dot(dimshuffle(a, [1, 0]), gz);
    }
    if (this.transA) ga = dimshuffle(ga, [1, 0]);
    if (this.transB) gb = dimshuffle(gb, [1, 0]);
    return [
      isDiscrete(a0.dtype) ? null : sumToInput(ga, a0),
      isDiscrete(b0.dtype) ? null : sumToInput(gb, b0),
    ];
  }
  lower(): { opcode: string; attrs: Attrs } {
    return { opcode: 'dot', attrs: { transA: this.transA, transB: this.transB } };
  }
  override label(): string {
    return this.transA || this.transB ? `dot{${this.transA ? 'T' : 'N'}${this.transB ? 'T' : 'N'}}` : 'dot';
  }
}

/** numpy.dot for vectors and matrices; a 0-d operand multiplies elementwise. */
export function dot(a: Variable, b: Variable): Variable {
  if (a.ndim === 0 || b.ndim === 0) return ew('mul', [a, b]);
  return new Dot().makeNode(a, b).outputs[0];
}

/** Logical dimensions: A is m×k (or k for a vector), B is k×n (or k). */
function dims(attrs: Attrs, sa: number[], sb: number[]) {
  const ta = attrs.transA as boolean;
  const tb = attrs.transB as boolean;
  const m = sa.length === 2 ? (ta ? sa[1] : sa[0]) : 1;
  const ka = sa.length === 2 ? (ta ? sa[0] : sa[1]) : sa[0];
  const kb = sb.length === 2 ? (tb ? sb[1] : sb[0]) : sb[0];
  const n = sb.length === 2 ? (tb ? sb[0] : sb[1]) : 1;
  return { ta, tb, m, ka, kb, n };
}

registerKernel({
  opcode: 'dot',
  inferShape(attrs, [sa, sb]) {
    const { m, ka, kb, n } = dims(attrs, sa, sb);
    if (ka !== kb) {
      const shown = (s: number[], t: boolean) => (t ? `${formatShape([...s].reverse())} (transposed)` : formatShape(s));
      throw new Error(`dot: shapes ${shown(sa, attrs.transA as boolean)} and ${shown(sb, attrs.transB as boolean)} are not aligned: ${ka} (dim ${sa.length - 1} of the first) != ${kb} (dim 0 of the second)`);
    }
    const out: number[] = [];
    if (sa.length === 2) out.push(m);
    if (sb.length === 2) out.push(n);
    return [out];
  },
  js(attrs, [sa, sb]) {
    const { ta, tb, m, ka: k, n } = dims(attrs, sa, sb);
    // Row-major storage: A[i,p] is a[i*k+p] (or a[p*m+i] when transposed); B likewise.
    const scratch = new Float64Array(4 * Math.max(m, n));
    return (ins, outs) => gemm(ins[0], ins[1], outs[0], m, n, k, ta, tb, scratch);
  },
});

/** C (m×n) = op(A) (m×k) · op(B) (k×n); vectors are the m=1 / n=1 cases. Plain loops ordered for contiguous access. */
export function gemm(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, ta: boolean, tb: boolean, scratch: Float64Array): void {
  if (n === 1 && !tb) {
    // Matrix-vector (or dot of vectors): B is a k-vector.
    if (!ta) gemvRows(a, b, c, m, k);
    else gemvCols(a, b, c, m, k, scratch);
    return;
  }
  if (m === 1 && !ta) {
    // vector-matrix: c = a^T B, i.e. B^T a.
    gemm(b, a, c, n, 1, k, !tb, false, scratch);
    return;
  }
  if (!tb) gemmRowsOfB(a, b, c, m, n, k, ta, scratch);
  else gemmDotRows(a, b, c, m, n, k, ta);
}

/**
 * C = op(A)·B with B stored k×n: each row of B is read once per block of four rows of C,
 * which accumulate in double precision in `acc` (4n).
 */
function gemmRowsOfB(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, ta: boolean, acc: Float64Array): void {
  const aAt = ta ? (i: number, p: number) => a[p * m + i] : (i: number, p: number) => a[i * k + p];
  for (let i0 = 0; i0 < m; i0 += 4) {
    const rows = Math.min(4, m - i0);
    acc.fill(0, 0, 4 * n);
    if (rows === 4) {
      for (let p = 0; p < k; p++) {
        const a0 = aAt(i0, p), a1 = aAt(i0 + 1, p), a2 = aAt(i0 + 2, p), a3 = aAt(i0 + 3, p);
        const r = p * n;
        for (let j = 0; j < n; j++) {
          const bj = b[r + j];
          acc[j] += a0 * bj;
          acc[n + j] += a1 * bj;
          acc[2 * n + j] += a2 * bj;
          acc[3 * n + j] += a3 * bj;
        }
      }
    } else {
      for (let q = 0; q < rows; q++) {
        for (let p = 0; p < k; p++) {
          const av = aAt(i0 + q, p);
          const r = p * n;
          for (let j = 0; j < n; j++) acc[q * n + j] += av * b[r + j];
        }
      }
    }
    for (let q = 0; q < rows; q++) {
      const o = (i0 + q) * n;
      for (let j = 0; j < n; j++) c[o + j] = acc[q * n + j];
    }
  }
}

/** C = op(A)·B^T with B stored n×k: dot products of rows, two rows of each at a time. */
function gemmDotRows(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, ta: boolean): void {
  const aAt = ta ? (i: number, p: number) => a[p * m + i] : (i: number, p: number) => a[i * k + p];
  if (ta) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += aAt(i, p) * b[j * k + p];
        c[i * n + j] = s;
      }
    }
    return;
  }
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const ra = i * k, rb = ra + k;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const r0 = j * k, r1 = r0 + k;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[ra + p], x1 = a[rb + p], y0 = b[r0 + p], y1 = b[r1 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      c[i * n + j] = s00;
      c[i * n + j + 1] = s01;
      c[(i + 1) * n + j] = s10;
      c[(i + 1) * n + j + 1] = s11;
    }
    for (; j < n; j++) {
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        s0 += a[ra + p] * b[j * k + p];
        s1 += a[rb + p] * b[j * k + p];
      }
      c[i * n + j] = s0;
      c[(i + 1) * n + j] = s1;
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
      c[i * n + j] = s;
    }
  }
}

/** y (m) = A x with A stored m×k: four rows at a time share each load of x. */
export function gemvRows(a: TypedArray, x: TypedArray, y: TypedArray, m: number, k: number): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0; p < k; p++) {
      const xp = x[p];
      s0 += a[r0 + p] * xp;
      s1 += a[r1 + p] * xp;
      s2 += a[r2 + p] * xp;
      s3 += a[r3 + p] * xp;
    }
    y[i] = s0;
    y[i + 1] = s1;
    y[i + 2] = s2;
    y[i + 3] = s3;
  }
  for (; i < m; i++) {
    const r = i * k;
    let s = 0;
    for (let p = 0; p < k; p++) s += a[r + p] * x[p];
    y[i] = s;
  }
}

/** y (m) = A^T x with A stored k×m. */
function gemvCols(a: TypedArray, x: TypedArray, y: TypedArray, m: number, k: number, acc: Float64Array): void {
  acc.fill(0, 0, m);
  addGemvCols(a, x, acc, m, k);
  for (let i = 0; i < m; i++) y[i] = acc[i];
}

/** acc (m) += A^T x with A stored k×m: scaled rows accumulate, four rows per pass over acc. */
export function addGemvCols(a: TypedArray, x: TypedArray, acc: Float64Array, m: number, k: number): void {
  let p = 0;
  for (; p + 3 < k; p += 4) {
    const x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3];
    const r0 = p * m, r1 = r0 + m, r2 = r1 + m, r3 = r2 + m;
    for (let i = 0; i < m; i++) acc[i] += a[r0 + i] * x0 + a[r1 + i] * x1 + (a[r2 + i] * x2 + a[r3 + i] * x3);
  }
  for (; p < k; p++) {
    const xp = x[p];
    const r = p * m;
    for (let i = 0; i < m; i++) acc[i] += a[r + i] * xp;
  }
}
