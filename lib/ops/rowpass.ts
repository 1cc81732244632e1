/**
 * The `rowpass` kernel (made by lib/compile/rowpass.ts): z = X·w, an elementwise chain on z's
 * rows, and X^T·g, in one pass over X by blocks of rows. When the shapes do not allow a
 * row-by-row split (a chain input that is neither a row vector nor a scalar), it runs the three
 * parts one after the other, with the same results.
 */
import type { Attrs } from '../compile/program.js';
import type { TypedArray } from '../ndarray/dtype.js';
import { registerKernel, kernelFor } from './kernel.js';
import { Step, buildElemwiseKernel } from './elemwise.js';
import { formatShape } from '../ndarray/shape.js';
import { addGemvCols, gemvRows } from './dot.js';

interface Inner {
  steps: Step[];
  consts: number[];
  bcast: boolean[][];
  args: number[];
  out: number;
}

/** Rows per block: about 512 KiB of X, so a block stays in cache between its two uses. */
export function rowsPerBlock(cols: number, bytes: number): number {
  return Math.max(8, Math.floor((512 * 1024) / Math.max(1, cols * bytes)));
}

function shapesOf(attrs: Attrs, inShapes: number[][]): number[][] {
  const [sa, sw] = inShapes;
  if (sa[1] !== sw[0]) throw new Error(`dot: shapes ${formatShape(sa)} and ${formatShape(sw)} are not aligned: ${sa[1]} (dim 1 of the first) != ${sw[0]} (dim 0 of the second)`);
  const all = [...inShapes, [sa[0]]];
  const elemwise = kernelFor('elemwise');
  for (const inner of attrs.inner as unknown as Inner[]) {
    const [out] = elemwise.inferShape({ steps: inner.steps as never, consts: inner.consts, bcast: inner.bcast }, inner.args.map((r) => all[r]), [], { inputs: [], outputs: [] });
    all[inner.out] = out;
  }
  return all.slice(inShapes.length);
}

registerKernel({
  opcode: 'rowpass',
  inferShape(attrs, inShapes) {
    const outs = shapesOf(attrs, inShapes);
    const inner = attrs.inner as unknown as Inner[];
    const [sa] = inShapes;
    // g is the last chain result, or z itself.
    const g = inner.length ? outs[inner[inner.length - 1].out - inShapes.length] : outs[0];
    if (g.length !== 1 || g[0] !== sa[0]) throw new Error(`dot: shapes ${formatShape(sa)} (transposed) and ${formatShape(g)} are not aligned`);
    return [...outs, [sa[1]]];
  },
  js(attrs, inShapes, outShapes) {
    const inner = attrs.inner as unknown as Inner[];
    const nIn = inShapes.length;
    const all = [...inShapes, ...outShapes];
    const [n, f] = inShapes[0];
    const gRef = inner.length ? inner[inner.length - 1].out : nIn;
    const rowLocal = inner.every((x) => [...x.args, x.out].every((r) => all[r].length === 1 ? all[r][0] === n || all[r][0] === 1 : all[r].length === 0));
    const isRow = (r: number) => all[r].length === 1 && all[r][0] === n && n !== 1;
    const block = rowLocal ? rowsPerBlock(f, 8) : Math.max(n, 1);
    const kernelsFor = (len: number) =>
      inner.map((x) => buildElemwiseKernel(x.steps, x.consts, x.args.map((r) => (rowLocal ? (isRow(r) ? [len] : all[r]) : all[r])), rowLocal ? [len] : all[x.out]));
    const full = kernelsFor(block);
    const rest = n % block ? kernelsFor(n % block) : full;
    const acc = new Float64Array(f);
    const slice = (buf: TypedArray, r: number, r0: number, r1: number) => (rowLocal && isRow(r) ? buf.subarray(r0, r1) : buf);
    return (ins, outs) => {
      const buf = (r: number) => (r < nIn ? ins[r] : outs[r - nIn]);
      const x = ins[0];
      const w = ins[1];
      const z = outs[0];
      acc.fill(0);
      for (let r0 = 0; r0 < n; r0 += block) {
        const r1 = Math.min(n, r0 + block);
        gemvRows(x.subarray(r0 * f, r1 * f), w, z.subarray(r0, r1), r1 - r0, f);
        const ks = r1 - r0 === block ? full : rest;
        inner.forEach((it, k) => ks[k](it.args.map((r) => slice(buf(r), r, r0, r1)), [slice(buf(it.out), it.out, r0, r1)]));
        addGemvCols(x.subarray(r0 * f, r1 * f), buf(gRef).subarray(r0, r1), acc, f, r1 - r0);
      }
      outs[outs.length - 1].set(acc);
    };
  },
});
