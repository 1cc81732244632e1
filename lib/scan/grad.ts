/**
 * The gradient of a Scan (backpropagation through time), itself a scan that runs the steps
 * backwards.
 *
 * Backward step for forward step t: the forward step is recomputed from its inputs at t (the
 * sequences' rows, the states it read, the non-sequences; a random draw recomputes the same
 * numbers from the same stream state), and its vector-Jacobian product is taken with the
 * output gradients at t. A state with lag L is read by the L steps after the one that wrote
 * it, so the backward loop carries, per state, L partial sums: accumulator k holds the gradient
 * reaching the row written k steps before the current one. The products the forward step
 * kept (its last outputs), and the states it wrote, are read back rather than recomputed. Non-sequence gradients are carried
 * as running sums; sequence gradients are rows of per-step outputs, put back in place. The
 * backward loop runs its steps in reverse (lib/ops/loop.ts), reading the forward's buffers where
 * they are.
 */
import { Apply, Variable } from '../graph/variable.js';
import { cloneGraph } from '../graph/clone.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { reduce } from '../ops/reduce.js';
import { get, indexUpdate, slice } from '../ops/index.js';
import { stack } from '../ops/join.js';
import { isFloat } from '../ndarray/dtype.js';
import { toposort } from '../graph/toposort.js';
import { grad } from '../grad.js';
import type { ScanOp } from './op.js';
import { buildScan, maxLag } from './build.js';
import type { SequenceArg } from './build.js';
import { ShapeI } from '../ops/reshape.js';

/**
 * `outs` with every node that recomputes one of `products` (the same op on the same computation:
 * grad works on a stabilized copy of the step) replaced by the value kept for it.
 */
function withKeptProducts(outs: Variable[], products: Variable[], kept: Variable[], args: ReadonlySet<Variable>): Variable[] {
  const memo = new Map<Variable, Map<Variable, boolean>>();
  const same = (a: Variable, b: Variable): boolean => {
    if (a === b) return true;
    if (!a.owner || !b.owner || a.owner.op.key() !== b.owner.op.key() || a.index !== b.index || a.owner.inputs.length !== b.owner.inputs.length) return false;
    let byB = memo.get(a);
    if (!byB) memo.set(a, (byB = new Map()));
    let r = byB.get(b);
    if (r === undefined) {
      r = a.owner.inputs.every((u, i) => same(u, b.owner!.inputs[i]));
      byB.set(b, r);
    }
    return r;
  };
  const swap = new Map<Variable, Variable>();
  const keys = new Set(products.map((p) => p.owner!.op.key()));
  for (const node of toposort(outs, args)) {
    const v = node.outputs[0];
    const m = keys.has(node.op.key()) ? products.findIndex((p) => same(v, p)) : -1;
    if (m >= 0) swap.set(v, kept[m]);
  }
  return swap.size ? cloneGraph(outs, args, swap).outputs : outs;
}

const reversed = (v: Variable) => get(v, slice(null, null, -1));
/** Rows [from, from + n) of v, last first. */
const rowsBackwards = (v: Variable, from: number | Variable, n: Variable) => reversed(get(v, slice(from, ew('add', [from, n]))));
const zerosLike = (v: Variable) => ew('second', [v, 0]);
const plus = (a: Variable | null, b: Variable | null): Variable | null => (a && b ? ew('add', [a, b]) : a ?? b);

export function scanGrad(op: ScanOp, node: Apply, outputGrads: (Variable | null)[]): (Variable | null)[] {
  const { seqTaps, recTaps, nNitsot, nSaved, truncateGradient, name } = op.layout;
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

  // The backward scan's sequences. Over all the steps it runs in reverse over the forward's own
  // buffers (with the forward's taps), so nothing is copied or reversed; a truncated one reads
  // reversed copies of the last rows, one per tap.
  const reverse = truncateGradient < 0;
  const bSeqs: SequenceArg[] = [];
  let nArgs = 0;
  const addSeq = (v: Variable, taps?: number[]) => {
    bSeqs.push(taps ? { input: v, taps } : v);
    nArgs += taps?.length ?? 1;
    return nArgs - (taps?.length ?? 1);
  };
  seqTaps.forEach((taps, i) => (reverse ? addSeq(seqs[i], taps) : taps.forEach((tap) => addSeq(rowsBackwards(seqs[i], tap - taps[0], n)))));
  recTaps.forEach((taps, j) => (reverse ? addSeq(node.outputs[j], taps) : taps.forEach((tap) => addSeq(rowsBackwards(node.outputs[j], maxLag(taps) + tap, n)))));
  const gRecSeq = gFull.map((g, j) => (g && diffRec[j] ? addSeq(reverse ? get(g, slice(maxLag(recTaps[j]), null)) : rowsBackwards(g, maxLag(recTaps[j]), n)) : -1));
  const gNitsotSeq = gNitsot.map((g) => (g && isFloat(g.dtype) ? addSeq(reverse ? g : reversed(g)) : -1));
  const savedInner = op.innerOutputs.slice(op.innerOutputs.length - nSaved);
  const savedSeq = savedInner.map((_, m) => addSeq(reverse ? node.outputs[R + nNitsot - nSaved + m] : reversed(node.outputs[R + nNitsot - nSaved + m])));
  // The states each forward step wrote, read back too (rows after the initial ones).
  const newStateSeq = recTaps.map((taps, j) => (reverse && diffRec[j] && op.innerOutputs[j].owner ? addSeq(get(node.outputs[j], slice(maxLag(taps), null))) : -1));

  // Recurrent: L accumulators per differentiable state, one running sum per differentiable non-sequence.
  const outputsInfo: (Variable | null)[] = [];
  recTaps.forEach((taps, j) => diffRec[j] && taps.length && Array.from({ length: maxLag(taps) }, () => outputsInfo.push(zerosLike(get(inits[j], 0)))));
  nonseqs.forEach((w, k) => diffNonseq[k] && outputsInfo.push(zerosLike(w)));
  const nAcc = outputsInfo.length;
  seqTaps.forEach((taps, i) => diffSeq[i] && taps.forEach(() => outputsInfo.push(null)));

  const nSeqTaps = op.nSeqTaps;
  const nRecTaps = op.nRecTaps;
  const step = (...args: Variable[]) => {
    const slices = args.slice(0, nArgs);
    const acc = args.slice(nArgs, nArgs + nAcc);
    const ws = args.slice(nArgs + nAcc);
    // The forward step on this step's values.
    const replace = new Map<Variable, Variable>();
    op.innerInputs.forEach((v, i) => replace.set(v, i < nSeqTaps + nRecTaps ? slices[i] : ws[i - nSeqTaps - nRecTaps]));
    const { outputs: outs, map: forward } = cloneGraph(op.innerOutputs, new Set(), replace);
    // Cotangents of the step's outputs: the state's own gradient plus what later steps sent back.
    let a = 0;
    const lastAcc: (Variable | null)[] = recTaps.map((taps, j) => {
      if (!diffRec[j]) return null;
      const top = acc[a + maxLag(taps) - 1];
      a += maxLag(taps);
      return top;
    });
    const terms: Variable[] = [];
    recTaps.forEach((_, j) => {
      const cot = plus(gRecSeq[j] >= 0 ? slices[gRecSeq[j]] : null, lastAcc[j]);
      if (cot) terms.push(reduce('sum', ew('mul', [outs[j], cot])));
    });
    gNitsotSeq.forEach((s, m) => s >= 0 && terms.push(reduce('sum', ew('mul', [outs[R + m], slices[s]]))));
    const wrt: Variable[] = [];
    const seqArgAt: number[] = [];
    let at = 0;
    seqTaps.forEach((taps, i) => taps.forEach(() => (diffSeq[i] && seqArgAt.push(wrt.push(slices[at]) - 1), at++)));
    const recArgAt: number[] = [];
    recTaps.forEach((taps, j) => taps.forEach(() => (recArgAt.push(diffRec[j] ? wrt.push(slices[at]) - 1 : -1), at++)));
    const wAt = ws.map((w, k) => (diffNonseq[k] ? wrt.push(w) - 1 : -1));
    const cost = terms.length ? terms.reduce((x, y) => ew('add', [x, y])) : null;
    const gs = cost ? grad(cost, wrt, { disconnectedInputs: 'ignore' }) : wrt.map(zerosLike);

    const next: Variable[] = [];
    let r = 0;
    a = 0;
    recTaps.forEach((taps, j) => {
      const L = maxLag(taps);
      const byTap = new Map<number, Variable>();
      taps.forEach((tap) => {
        const g = recArgAt[r++];
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
    ws.forEach((_, k) => wAt[k] >= 0 && next.push(ew('add', [acc[a++], gs[wAt[k]]])));
    seqArgAt.forEach((g) => next.push(gs[g]));
    const computed = [...savedInner.map((v) => forward.get(v)!), ...outs.slice(0, R).filter((_, j) => newStateSeq[j] >= 0)];
    const kept = [...savedSeq, ...newStateSeq.filter((k) => k >= 0)].map((k) => slices[k]);
    return computed.length ? withKeptProducts(next, computed, kept, new Set(args)) : next;
  };

  const back = buildScan(step, { sequences: bSeqs, outputsInfo, nonSequences: nonseqs, nSteps: steps, name: `grad of ${name}` }, { keepProducts: false, reverse });
  const full = back.node.outputs;
  const last = (v: Variable) => get(v, -1);
  const complete = truncateGradient >= 0 ? ew('le', [n, truncateGradient]) : null;
  const whenComplete = (v: Variable) => (complete ? ew('switch', [complete, v, zerosLike(v)]) : v);

  const grads: (Variable | null)[] = [null];
  // Sequences: per tap, the rows of the last `steps` forward steps, put back where they were read.
  let o = nAcc;
  seqTaps.forEach((taps, i) => {
    if (!diffSeq[i]) return grads.push(null);
    // A loop over all the rows of its one sequence gives that sequence's whole gradient.
    const wholeRows = reverse && taps.length === 1 && n.owner?.op instanceof ShapeI && n.owner.op.axis === 0 && n.owner.inputs[0] === seqs[i];
    if (wholeRows) return grads.push(full[o++]);
    let g: Variable = zerosLike(seqs[i]);
    taps.forEach((tap) => {
      const from = ew('add', [ew('sub', [n, steps]), tap - taps[0]]);
      g = indexUpdate(g, [slice(from, ew('add', [from, steps]))], reverse ? full[o++] : reversed(full[o++]), 'inc');
    });
    grads.push(g);
  });
  let a = 0;
  recTaps.forEach((taps, j) => {
    if (!diffRec[j]) return grads.push(null);
    const L = maxLag(taps);
    const rows = Array.from({ length: L }, (_, r) => plus(gFull[j] ? get(gFull[j]!, r) : null, whenComplete(last(full[a + r]))!)!);
    a += L;
    grads.push(stack(rows, 0));
  });
  nonseqs.forEach((_, k) => grads.push(diffNonseq[k] ? last(full[a++]) : null));
  return grads;
}
