/**
 * The gradient of a Scan (backpropagation through time), itself a scan that runs the steps
 * backwards.
 *
 * Backward step for forward step t: the step's vector-Jacobian product, taken with the output
 * gradients at t, over the step's inputs at t (the sequences' rows, the states it read, the
 * non-sequences) and the per-step values the forward loop saved for it. A state with lag L is
 * read by the L steps after the one that wrote it, so the backward loop carries, per state, L
 * partial sums: accumulator k holds the gradient reaching the row written k steps before the
 * current one. Non-sequence gradients are carried as running sums; sequence gradients are rows
 * of per-step outputs, put back in place.
 */
import { Apply, Variable } from '../graph/variable.js';
import { cloneGraph } from '../graph/clone.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { reduce } from '../ops/reduce.js';
import { get, indexUpdate, slice } from '../ops/index.js';
import { concatenate, stack } from '../ops/join.js';
import { isFloat } from '../ndarray/dtype.js';
import { grad } from '../grad.js';
import { ScanOp } from './op.js';
import { toposort } from '../graph/toposort.js';
import type { Op } from '../graph/op.js';
import { DimShuffle } from '../ops/dimshuffle.js';
import { Reshape, ShapeI } from '../ops/reshape.js';
import { Index } from '../ops/index.js';
import { Elemwise } from '../ops/elemwise.js';
import { buildScan, maxLag } from './build.js';

/** Rows [from, to) of v: a view, which the backward loop reads from its last row. */
const rows = (v: Variable, from: Variable | number, to: Variable) => get(v, slice(from, to));
const zerosLike = (v: Variable) => ew('second', [v, 0]);
const plus = (a: Variable | null, b: Variable | null): Variable | null => (a && b ? ew('add', [a, b]) : a ?? b);
const freeLike = (v: Variable, name: string) => new Variable(v.type, null, 0, name);

/** a ≡ b: the same op on equal inputs, down to `leaves` (compared by identity); grad works on a stabilized copy of the step. */
function structuralEquality(leaves: ReadonlySet<Variable>): (a: Variable, b: Variable) => boolean {
  const memo = new Map<Variable, Map<Variable, boolean>>();
  const same = (a: Variable, b: Variable): boolean => {
    if (a === b) return true;
    if (leaves.has(a) || leaves.has(b) || !a.owner || !b.owner || a.index !== b.index) return false;
    if (a.owner.op.cachedKey !== b.owner.op.cachedKey || a.owner.inputs.length !== b.owner.inputs.length) return false;
    let byB = memo.get(a);
    if (!byB) memo.set(a, (byB = new Map()));
    let r = byB.get(b);
    if (r === undefined) byB.set(b, (r = a.owner.inputs.every((u, i) => same(u, b.owner!.inputs[i]))));
    return r;
  };
  return same;
}

/** Ops whose result is their input's data rearranged (the planner makes most of them views). */
const isView = (op: Op) => op instanceof DimShuffle || op instanceof Reshape || (op instanceof Index && op.spec.every((e) => e.k !== 'array'));
/** Ops cheap to run again in the backward step: elementwise arithmetic (fused there) and views. */
const isCheap = (op: Op) => op instanceof Elemwise || isView(op);

/**
 * The forward values the VJP reads that change per step (they depend on a sequence or a
 * state), reduced to what is worth keeping: a value made from the step's arguments, its outputs
 * and other kept values by elementwise ops and views is made again in the backward step (fused
 * into its elementwise work); what remains is the products (gemm results) and the like, which
 * the forward loop saves. Integers (step counts, indices, shapes) are always made again, so that
 * shapes in the backward body never depend on values read per step. `available(v)`: v can be
 * read in the backward step as it is (a step output, read from the forward's buffers).
 */
function savedValues(vjp: Variable[], args: Variable[], nArgs: number, cots: Variable[], available: (v: Variable) => boolean): Variable[] {
  const leaves = new Set([...args, ...cots]);
  const dual = new Set<Variable>(cots);
  const varying = new Set<Variable>(args.slice(0, nArgs));
  const needed: Variable[] = [];
  for (const node of toposort(vjp, leaves)) {
    const isDual = node.inputs.some((v) => dual.has(v));
    if (isDual) {
      node.inputs.forEach((v) => v.owner && !dual.has(v) && varying.has(v) && needed.push(v));
      node.outputs.forEach((o) => dual.add(o));
    } else if (node.inputs.some((v) => varying.has(v))) node.outputs.forEach((o) => varying.add(o));
  }
  // Down through cheap ops to what must be kept. An elementwise op right over a product is kept
  // whole (x + U h stays one gemm in the forward loop, its result what is saved).
  const kept: Variable[] = [];
  const seen = new Set<Variable>();
  const stack = [...needed];
  const expensive = (u: Variable) => !!u.owner && varying.has(u) && !isCheap(u.owner.op);
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v) || !v.owner || !varying.has(v)) continue;
    seen.add(v);
    if (available(v) || (isFloat(v.dtype) && !(isCheap(v.owner.op) && !(v.owner.op instanceof Elemwise && v.owner.inputs.some(expensive))))) kept.push(v);
    else stack.push(...v.owner.inputs);
  }
  return kept;
}

/**
 * Scan's gradient. The step's vector-Jacobian product is built once, on the inner graph, with
 * free variables for the output cotangents. What it reads of the forward step that changes per
 * step is read back: the states from the forward loop's buffers, the products (gemm results)
 * from extra per-step outputs the forward loop saves; elementwise work is made again. The
 * forward loop with those outputs replaces the plain one (lib/rewrite/scan.ts merges them).
 */
export function scanGrad(op: ScanOp, node: Apply, outputGrads: (Variable | null)[]): (Variable | null)[] {
  const { seqTaps, recTaps, nNitsot, truncateGradient, name } = op.layout;
  const S = seqTaps.length;
  const R = recTaps.length;
  const [n, ...rest] = node.inputs;
  const seqs = rest.slice(0, S);
  const inits = rest.slice(S, S + R);
  const nonseqs = rest.slice(S + R);
  const gFull = outputGrads.slice(0, R);
  const gNitsot = outputGrads.slice(R, R + nNitsot);

  const diffSeq = seqs.map((x) => isFloat(x.dtype));
  const diffRec = inits.map((y) => isFloat(y.dtype));
  const diffNonseq = nonseqs.map((w) => isFloat(w.dtype));
  const steps = truncateGradient >= 0 ? ew('minimum', [n, truncateGradient]) : n;

  // The step's VJP over its own inputs and free cotangents.
  const nSeqTaps = op.nSeqTaps;
  const nArgs = nSeqTaps + op.nRecTaps;
  const args = op.innerInputs;
  const cotRec = recTaps.map((_, j) => (diffRec[j] ? freeLike(op.innerOutputs[j], 'cot') : null));
  const cotNitsot = gNitsot.map((g, m) => (g && isFloat(g.dtype) ? freeLike(op.innerOutputs[R + m], 'cot') : null));
  // grad starts from the projection sum_j <output_j, cotangent_j>: one copy of the step in every
  // gradient (a known gradient per output would differentiate the step twice where one output
  // reads another).
  const terms: Variable[] = [];
  cotRec.forEach((c, j) => c && terms.push(reduce('sum', ew('mul', [op.innerOutputs[j], c]))));
  cotNitsot.forEach((c, m) => c && terms.push(reduce('sum', ew('mul', [op.innerOutputs[R + m], c]))));
  const wrt: Variable[] = [];
  const seqWrt: number[] = [];
  const recWrt: number[] = [];
  let at = 0;
  seqTaps.forEach((taps, i) => taps.forEach(() => (diffSeq[i] && seqWrt.push(wrt.push(args[at]) - 1), at++)));
  recTaps.forEach((taps, j) => taps.forEach(() => (recWrt.push(diffRec[j] ? wrt.push(args[at]) - 1 : -1), at++)));
  const wWrt = nonseqs.map((_, k) => (diffNonseq[k] ? wrt.push(args[nArgs + k]) - 1 : -1));
  const start = terms.length ? terms.reduce((x, y) => ew('add', [x, y])) : null;
  const vjp = start ? grad(start, wrt, { disconnectedInputs: 'ignore' }) : wrt.map(zerosLike);
  const cots = [...cotRec, ...cotNitsot].filter((c): c is Variable => c !== null);
  // A value that is one of the step's outputs (a new state) is read from the forward's buffers;
  // the others are saved by the forward loop as extra per-step outputs.
  const sameAs = structuralEquality(new Set(args));
  const asOutput = (v: Variable) => op.innerOutputs.findIndex((o) => sameAs(o, v));
  const needed = savedValues(vjp, args, nArgs, cots, (v) => asOutput(v) >= 0);
  // Copies of one value (grad differentiates a stabilized copy of the step besides the step) share one saved row.
  const outputOf = needed.map(asOutput);
  const saved: Variable[] = [];
  const savedAt = needed.map((v, e) => {
    if (outputOf[e] >= 0) return -1;
    const k = saved.findIndex((u) => sameAs(u, v));
    return k >= 0 ? k : saved.push(v) - 1;
  });
  const forward = saved.length ? new ScanOp({ ...op.layout, nNitsot: nNitsot + saved.length }, args, [...op.innerOutputs, ...saved], op).makeNode(n, ...rest) : node;

  // The backward scan's sequences, each read at tap 0 from its last row: per forward tap, the
  // rows the last `steps` forward steps read.
  const skip = truncateGradient >= 0 ? ew('sub', [n, steps]) : 0;
  const window = (v: Variable, from: number) => rows(v, from === 0 ? skip : ew('add', [skip, from]), ew('add', [n, from]));
  const bSeqs: Variable[] = [];
  seqTaps.forEach((taps, i) => taps.forEach((tap) => bSeqs.push(window(seqs[i], tap - taps[0]))));
  recTaps.forEach((taps, j) => taps.forEach((tap) => bSeqs.push(window(forward.outputs[j], maxLag(taps) + tap))));
  const savedSeq = saved.map((_, e) => bSeqs.push(window(forward.outputs[R + nNitsot + e], 0)) - 1);
  const outputSeq = new Map<number, number>();
  const neededSeq = needed.map((_, e) => {
    const k = outputOf[e];
    if (k < 0) return savedSeq[savedAt[e]];
    if (!outputSeq.has(k)) outputSeq.set(k, bSeqs.push(k < R ? window(forward.outputs[k], maxLag(recTaps[k])) : window(forward.outputs[k], 0)) - 1);
    return outputSeq.get(k)!;
  });
  const gRecSeq = gFull.map((g, j) => (g && diffRec[j] ? bSeqs.push(window(g, maxLag(recTaps[j]))) - 1 : -1));
  const gNitsotSeq = gNitsot.map((g, m) => (cotNitsot[m] ? bSeqs.push(window(g!, 0)) - 1 : -1));

  // Recurrent: L accumulators per differentiable state, one running sum per differentiable non-sequence.
  const outputsInfo: (Variable | null)[] = [];
  recTaps.forEach((taps, j) => diffRec[j] && Array.from({ length: maxLag(taps) }, () => outputsInfo.push(zerosLike(get(inits[j], 0)))));
  nonseqs.forEach((w, k) => diffNonseq[k] && outputsInfo.push(zerosLike(w)));
  const nAcc = outputsInfo.length;
  seqTaps.forEach((taps, i) => diffSeq[i] && taps.forEach(() => outputsInfo.push(null)));

  const step = (...stepArgs: Variable[]) => {
    const slices = stepArgs.slice(0, bSeqs.length);
    const acc = stepArgs.slice(bSeqs.length, bSeqs.length + nAcc);
    const ws = stepArgs.slice(bSeqs.length + nAcc);
    const replace = new Map<Variable, Variable>();
    args.forEach((v, i) => replace.set(v, i < nArgs ? slices[i] : ws[i - nArgs]));
    needed.forEach((v, e) => replace.set(v, slices[neededSeq[e]]));
    // Cotangents: a state's own gradient plus what later steps sent back to it.
    let a = 0;
    recTaps.forEach((taps, j) => {
      if (!diffRec[j]) return;
      a += maxLag(taps);
      replace.set(cotRec[j]!, plus(gRecSeq[j] >= 0 ? slices[gRecSeq[j]] : null, acc[a - 1])!);
    });
    cotNitsot.forEach((c, m) => c && replace.set(c, slices[gNitsotSeq[m]]));
    const gs = cloneGraph(vjp, new Set(), replace).outputs;

    const next: Variable[] = [];
    a = 0;
    let r = 0;
    recTaps.forEach((taps, j) => {
      const L = maxLag(taps);
      const byTap = new Map<number, Variable>();
      taps.forEach((tap) => {
        const g = recWrt[r++];
        if (g >= 0) byTap.set(tap, gs[g]);
      });
      if (!diffRec[j]) return;
      // Accumulator k (1..L) holds the row k steps back; the row leaving (k = L) was consumed above.
      for (let k = 1; k <= L; k++) {
        const fresh = byTap.get(k - 1 - L) ?? null;
        const carried = k > 1 ? acc[a + k - 2] : null;
        next.push(plus(carried, fresh) ?? zerosLike(acc[a + k - 1]));
      }
      a += L;
    });
    ws.forEach((_, k) => wWrt[k] >= 0 && next.push(ew('add', [acc[a++], gs[wWrt[k]]])));
    seqWrt.forEach((g) => next.push(gs[g]));
    return next;
  };

  const back = buildScan(step, { sequences: bSeqs, outputsInfo, nonSequences: nonseqs, nSteps: steps, name: `grad of ${name}` }, true);
  const full = back.node.outputs;
  const last = (v: Variable) => get(v, -1);

  const grads: (Variable | null)[] = [null];
  // Sequences: per tap, the rows of the last `steps` forward steps, put back where they were read.
  let o = nAcc;
  seqTaps.forEach((taps, i) => {
    if (!diffSeq[i]) return grads.push(null);
    // Every row read once, by the step of its own number: the per-step gradients are the gradient.
    const wholeRows = taps.length === 1 && truncateGradient < 0 && n.owner?.op instanceof ShapeI && n.owner.op.axis === 0 && n.owner.inputs[0] === seqs[i];
    if (wholeRows && full[o].dtype === seqs[i].dtype) return grads.push(full[o++]);
    let g: Variable = zerosLike(seqs[i]);
    taps.forEach((tap) => {
      const from = ew('add', [skip, tap - taps[0]]);
      g = indexUpdate(g, [slice(from, ew('add', [from, steps]))], full[o++], 'inc');
    });
    grads.push(g);
  });
  let a = 0;
  recTaps.forEach((taps, j) => {
    if (!diffRec[j]) return grads.push(null);
    const L = maxLag(taps);
    // Accumulator k holds the gradient of row skip - 1 + k: initial row r takes accumulator
    // r - skip + 1 when there is one (all of them, without truncation), else nothing.
    const finals = Array.from({ length: L }, (_, r) => last(full[a + r]));
    let sums = finals;
    if (truncateGradient >= 0) {
      // Steps the backward loop did not run: the accumulators end at row `skip`.
      const d = ew('minimum', [skip, L]);
      const padded = concatenate([zerosLike(stack(finals, 0)), stack(finals, 0)], 0);
      sums = finals.map((_, r) => get(padded, ew('sub', [L + r, d])));
    }
    a += L;
    grads.push(stack(sums.map((v, r) => plus(gFull[j] ? get(gFull[j]!, r) : null, v)!), 0));
  });
  nonseqs.forEach((_, k) => grads.push(diffNonseq[k] ? last(full[a++]) : null));
  return grads;
}
