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
import { registerKernel, kernelFor, kernelMayFail, jsKernelFor, SelfContainedKernel } from './kernel.js';
import { readFileSync } from 'node:fs';
import { formatShape } from '../ndarray/shape.js';
import { addGemvCols, gemm, gemvRows } from './dot.js';

/** One op of the chain: an opcode of the Program, its attributes, and refs into rowpass's buffers. */
export interface RowInner {
  opcode: string;
  attrs: Attrs;
  args: number[];
  out: number;
}

/**
 * Most bytes of X per block: 5/8 of this core's L2 cache, within [320 KiB, 640 KiB]; 640 KiB
 * where the size cannot be read. Blocks come out between about half and all of it (the count is
 * rounded up to an even one). On a 1 MiB L2 (Zen 5), the seed step with 627 KiB blocks against
 * 418 KiB (float64) and 313 KiB (float32), alternated in one process: 53.2 -> 51.1 us and
 * 28.6 -> 28.1 us on one thread, 33.3 -> 32.1 and 18.9 -> 17.4 on two; 836 KiB blocks were
 * slower again (56.8 us), as the second read of a block, for X^T·G, finds less of it in L2.
 */
function blockBytes(): number {
  if (cachedBlockBytes === undefined) {
    let l2 = 0;
    try {
      const text = readFileSync('/sys/devices/system/cpu/cpu0/cache/index2/size', 'utf8').trim();
      const m = /^(\d+)([KM]?)$/.exec(text);
      if (m) l2 = Number(m[1]) * (m[2] === 'M' ? 1 << 20 : m[2] === 'K' ? 1 << 10 : 1);
    } catch {
      // Not Linux, or no sysfs: the default below.
    }
    cachedBlockBytes = l2 > 0 ? Math.min(640 << 10, Math.max(320 << 10, (l2 * 5) / 8)) : 640 << 10;
  }
  return cachedBlockBytes;
}
let cachedBlockBytes: number | undefined;

/**
 * Rows per block of a pass over `rows` rows: a block of X stays in cache between its two uses;
 * whole groups of four rows (the native row kernels' grouping); one block, or an even count of
 * equal ones, so that two threads get equal shares (an odd count left one thread of two with
 * 3/5 of the seed step's rows in float64: 6 equal blocks instead of 5 ran 44.3 -> 35.2 us on
 * two threads). `outCols`: W's columns (1 for a vector), for the work of a block.
 */
export function rowsPerBlock(rows: number, cols: number, bytes: number, outCols = 1): number {
  const most = Math.max(8, Math.floor(blockBytes() / Math.max(1, cols * bytes) / 4) * 4);
  if (rows <= most) {
    // Rows that fit one block still make two when each half is worth a thread of its own.
    return rows >= 8 && rows * cols * outCols >= 2 * SPLIT_WORK ? Math.ceil(rows / 8) * 4 : most;
  }
  // Whole groups of four can round the count down to an odd one: then try two blocks more.
  for (let blocks = 2 * Math.ceil(rows / most / 2); ; blocks += 2) {
    const blockRows = Math.max(4, Math.ceil(rows / blocks / 4) * 4);
    if (Math.ceil(rows / blockRows) % 2 === 0 || blockRows === 4) return blockRows;
  }
}

/**
 * Multiply-adds of X·W below which half a pass is not worth a thread (the native pool's least
 * work per part). The MLP's last layer (128 rows, 128 by 10, with softmax cross-entropy) in
 * two blocks instead of one: 47 -> 28-33 us a call on two threads, 47 -> 48-50 on one.
 */
const SPLIT_WORK = 32 * 1024;

/** At most this many lanes: contiguous runs of blocks whose X^T·G sums are kept apart, so that up to this many threads can share a pass. */
const MAX_LANES = 8;

/**
 * How one pass is cut, decided once per plan and executed by both backends: blocks of
 * `blockRows` rows (or one block of all rows when the chain cannot be split by rows), grouped
 * into lanes of consecutive blocks. X^T·G is summed as: each block's share from zero, added into
 * its lane's sum in block order, and the lane sums added in lane order. That order does not
 * depend on how many threads run the lanes, or in which order.
 */
export interface RowPassPlan {
  blockRows: number;
  /** Per buffer ref (inputs, then outputs): whether blocks cut it by rows; null when the pass is not split. */
  cut: boolean[] | null;
  /** First block of each lane, and the end (the block count) last. */
  lanes: number[];
}

export function planRowPass(inner: readonly RowInner[], all: readonly (readonly number[])[], bytes: number): RowPassPlan {
  const [n, f] = all[0];
  const cut = rowSplit(inner, all, n);
  const w = all[1];
  const blockRows = cut ? rowsPerBlock(n, f, bytes, w.length === 2 ? w[1] : 1) : Math.max(n, 1);
  const blocks = n === 0 ? 0 : Math.ceil(n / blockRows);
  const laneCount = Math.min(blocks, MAX_LANES);
  const lanes = Array.from({ length: laneCount + 1 }, (_, i) => Math.round((i * blocks) / Math.max(1, laneCount)));
  return { blockRows, cut: cut ? all.map((_, r) => cut(r)) : null, lanes };
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
  mayFail: (attrs) => (attrs.inner as unknown as RowInner[]).some((x) => kernelMayFail(x.opcode, x.attrs)),
  inferShape(attrs, inShapes, _values, types) {
    const outs = shapesOf(attrs, inShapes, [...types.inputs, ...types.outputs]);
    const inner = attrs.inner as unknown as RowInner[];
    const [sa, sw] = inShapes;
    // G is the last chain result, or Z itself.
    const g = inner.length ? outs[inner[inner.length - 1].out - inShapes.length] : outs[0];
    if (g.length !== sw.length || g[0] !== sa[0] || (sw.length === 2 && g[1] !== sw[1])) throw new Error(`dot: shapes ${formatShape(sa)} (transposed) and ${formatShape(g)} are not aligned`);
    return [...outs, sw.length === 2 ? [sa[1], sw[1]] : [sa[1]]];
  },
  decide: (attrs, inShapes, outShapes, types) => planRowPass(attrs.inner as unknown as RowInner[], [...inShapes, ...outShapes], types.inputs[0] === 'float32' ? 4 : 8) as unknown as Attrs,
  js(attrs, inShapes, outShapes, types, decision) {
    const inner = attrs.inner as unknown as RowInner[];
    const plan = decision as unknown as RowPassPlan;
    const nIn = inShapes.length;
    const all = [...inShapes, ...outShapes];
    const dtypes = [...types.inputs, ...types.outputs];
    const [n, f] = inShapes[0];
    const matrix = inShapes[1].length === 2;
    const k = matrix ? inShapes[1][1] : 1;
    const gRef = inner.length ? inner[inner.length - 1].out : nIn;
    const cut = plan.cut;
    const block = plan.blockRows;
    const rowSize = all.map((s) => product(s.slice(1)));
    const isCut = (r: number) => cut !== null && cut[r];
    const blockShape = (r: number, len: number) => (isCut(r) ? [len, ...all[r].slice(1)] : all[r]);
    const kernelsFor = (len: number): SelfContainedKernel[] =>
      inner.map((x) =>
        jsKernelFor(
          x.opcode,
          x.attrs,
          x.args.map((r) => blockShape(r, len)),
          [blockShape(x.out, len)],
          { inputs: x.args.map((r) => dtypes[r]), outputs: [dtypes[x.out]] },
        ),
      );
    const full = kernelsFor(block);
    const rest = n % block ? kernelsFor(n % block) : full;
    const gw = new Float64Array(f * k);
    const lane = new Float64Array(f * k);
    const part = new Float64Array(f * k);
    const scratch = new Float64Array(4 * Math.max(f, k, block, 1));
    const slice = (buf: TypedArray, r: number, r0: number, r1: number) => (isCut(r) ? buf.subarray(r0 * rowSize[r], r1 * rowSize[r]) : buf);
    const add = (into: Float64Array, from: Float64Array) => {
      for (let i = 0; i < into.length; i++) into[i] += from[i];
    };
    return (ins, outs) => {
      const buf = (r: number) => (r < nIn ? ins[r] : outs[r - nIn]);
      const [x, w] = ins;
      const z = outs[0];
      gw.fill(0);
      if (n === 0) {
        // No rows: the chain runs once on nothing, X^T·G is zeros.
        full.forEach((kern, j) => kern(inner[j].args.map((r) => buf(r)), [buf(inner[j].out)]));
      }
      for (let l = 0; l + 1 < plan.lanes.length; l++) {
        lane.fill(0);
        for (let b = plan.lanes[l]; b < plan.lanes[l + 1]; b++) {
          const r0 = b * block;
          const r1 = Math.min(n, r0 + block);
          const xb = x.subarray(r0 * f, r1 * f);
          if (matrix) gemm(xb, w, z.subarray(r0 * k, r1 * k), r1 - r0, k, f, false, false, scratch);
          else gemvRows(xb, w, z.subarray(r0, r1), r1 - r0, f);
          const ks = r1 - r0 === block ? full : rest;
          inner.forEach((it, j) => ks[j](it.args.map((r) => slice(buf(r), r, r0, r1)), [slice(buf(it.out), it.out, r0, r1)]));
          // This block's share of X^T·G, from zero, then into the lane's sum.
          const gb = buf(gRef).subarray(r0 * k, r1 * k);
          if (matrix) gemm(xb, gb, part, f, k, r1 - r0, true, false, scratch);
          else {
            part.fill(0);
            addGemvCols(xb, gb, part, f, r1 - r0);
          }
          add(lane, part);
        }
        add(gw, lane);
      }
      outs[outs.length - 1].set(gw);
    };
  },
});
