/**
 * The `rowpass` kernel (made by lib/compile/rowpass.ts): Z = X·W, a chain of row-local ops on
 * Z's rows, and X^T·G, in one pass over X by blocks of rows. W and G are vectors (the
 * logistic-regression form) or matrices (softmax regression). The chain's ops are elementwise
 * ops and the softmax family, whose results for a row depend only on that row. When the shapes
 * do not allow a row-by-row split (say, an elementwise input that broadcasts a vector along a
 * row), the three parts run one after the other over all rows, with the same results.
 */
import type { Attrs } from '../compile/program.js';
import type { DType, TypedArray } from '../ndarray/dtype.js';
import { registerKernel, kernelFor, JsKernel } from './kernel.js';
import { formatShape } from '../ndarray/shape.js';
import { addGemvCols, gemm, gemvRows } from './dot.js';

/** One op of the chain: an opcode of the Program, its attributes, and refs into rowpass's buffers. */
export interface RowInner {
  opcode: string;
  attrs: Attrs;
  args: number[];
  out: number;
}

/** Rows per block: about 512 KiB of X, so a block stays in cache between its two uses. */
export function rowsPerBlock(cols: number, bytes: number): number {
  return Math.max(8, Math.floor((512 * 1024) / Math.max(1, cols * bytes) / 4) * 4);
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * How the chain splits by rows: which buffers are cut into row blocks, or null when the chain
 * must run over all rows at once. A buffer is cut when its first axis is X's rows; an
 * elementwise op must then read it with the output's rank (a lower-rank input would broadcast
 * along the last axis instead).
 */
export function rowSplit(inner: readonly RowInner[], shapes: readonly (readonly number[])[], n: number): ((r: number) => boolean) | null {
  const cut = (r: number) => shapes[r].length >= 1 && shapes[r][0] === n;
  if (n <= 1) return null;
  for (const x of inner) {
    if (!cut(x.out)) return null;
    for (const r of x.args) {
      if (x.opcode === 'elemwise' ? cut(r) && shapes[r].length !== shapes[x.out].length : !cut(r) && shapes[r][0] !== 1) return null;
    }
  }
  return cut;
}

function shapesOf(attrs: Attrs, inShapes: number[][], types: DType[]): number[][] {
  const [sa, sw] = inShapes;
  if (sa[1] !== sw[0]) throw new Error(`dot: shapes ${formatShape(sa)} and ${formatShape(sw)} are not aligned: ${sa[1]} (dim 1 of the first) != ${sw[0]} (dim 0 of the second)`);
  const all = [...inShapes, sw.length === 2 ? [sa[0], sw[1]] : [sa[0]]];
  for (const x of attrs.inner as unknown as RowInner[]) {
    const [out] = kernelFor(x.opcode).inferShape(x.attrs, x.args.map((r) => all[r]), [], { inputs: x.args.map((r) => types[r]), outputs: [types[x.out]] });
    all[x.out] = out;
  }
  return all.slice(inShapes.length);
}

registerKernel({
  opcode: 'rowpass',
  inferShape(attrs, inShapes, _values, types) {
    const outs = shapesOf(attrs, inShapes, [...types.inputs, ...types.outputs]);
    const inner = attrs.inner as unknown as RowInner[];
    const [sa, sw] = inShapes;
    // G is the last chain result, or Z itself.
    const g = inner.length ? outs[inner[inner.length - 1].out - inShapes.length] : outs[0];
    if (g.length !== sw.length || g[0] !== sa[0] || (sw.length === 2 && g[1] !== sw[1])) throw new Error(`dot: shapes ${formatShape(sa)} (transposed) and ${formatShape(g)} are not aligned`);
    return [...outs, sw.length === 2 ? [sa[1], sw[1]] : [sa[1]]];
  },
  js(attrs, inShapes, outShapes, types) {
    const inner = attrs.inner as unknown as RowInner[];
    const nIn = inShapes.length;
    const all = [...inShapes, ...outShapes];
    const dtypes = [...types.inputs, ...types.outputs];
    const [n, f] = inShapes[0];
    const matrix = inShapes[1].length === 2;
    const k = matrix ? inShapes[1][1] : 1;
    const gRef = inner.length ? inner[inner.length - 1].out : nIn;
    const cut = rowSplit(inner, all, n);
    const block = cut ? rowsPerBlock(f, 8) : Math.max(n, 1);
    const rowSize = all.map((s) => product(s.slice(1)));
    const blockShape = (r: number, len: number) => (cut && cut(r) ? [len, ...all[r].slice(1)] : all[r]);
    const kernelsFor = (len: number): JsKernel[] =>
      inner.map((x) =>
        kernelFor(x.opcode).js(
          x.attrs,
          x.args.map((r) => blockShape(r, len)),
          [blockShape(x.out, len)],
          { inputs: x.args.map((r) => dtypes[r]), outputs: [dtypes[x.out]] },
        ),
      );
    const full = kernelsFor(block);
    const rest = n % block ? kernelsFor(n % block) : full;
    const acc = new Float64Array(f * k);
    const part = matrix ? new Float64Array(f * k) : acc;
    const scratch = new Float64Array(4 * Math.max(f, k, block, 1));
    const slice = (buf: TypedArray, r: number, r0: number, r1: number) => (cut && cut(r) ? buf.subarray(r0 * rowSize[r], r1 * rowSize[r]) : buf);
    return (ins, outs) => {
      const buf = (r: number) => (r < nIn ? ins[r] : outs[r - nIn]);
      const [x, w] = ins;
      const z = outs[0];
      acc.fill(0);
      for (let r0 = 0; r0 < n; r0 += block) {
        const r1 = Math.min(n, r0 + block);
        const xb = x.subarray(r0 * f, r1 * f);
        if (matrix) gemm(xb, w, z.subarray(r0 * k, r1 * k), r1 - r0, k, f, false, false, scratch);
        else gemvRows(xb, w, z.subarray(r0, r1), r1 - r0, f);
        const ks = r1 - r0 === block ? full : rest;
        inner.forEach((it, j) => ks[j](it.args.map((r) => slice(buf(r), r, r0, r1)), [slice(buf(it.out), it.out, r0, r1)]));
        const gb = buf(gRef).subarray(r0 * k, r1 * k);
        if (matrix) {
          gemm(xb, gb, part, f, k, r1 - r0, true, false, scratch);
          for (let i = 0; i < acc.length; i++) acc[i] += part[i];
        } else {
          addGemvCols(xb, gb, acc, f, r1 - r0);
        }
      }
      outs[outs.length - 1].set(acc);
    };
  },
});
