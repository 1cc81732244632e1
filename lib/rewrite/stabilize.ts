/**
 * Stabilization: rewrite formulas that overflow or cancel in floating point into equivalent
 * stable ones. The logistic-regression tutorial depends on these: with |x·w| around 28,
 * 1/(1+exp(-z)) rounds to exactly 1 and log(1 - p) is log(0).
 */
import { named, elem, isConst, maybe, negated, LocalRewrite } from './pattern.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { Softmax, logSoftmax, softmax } from '../ops/softmax.js';
import { Index } from '../ops/index.js';
import { ARange } from '../ops/arange.js';
import { Shape, ShapeI } from '../ops/reshape.js';
import { Reduce } from '../ops/reduce.js';
import { DimShuffle } from '../ops/dimshuffle.js';
import { crossentropySoftmax } from '../ops/xent.js';
import { isDiscrete } from '../ndarray/dtype.js';
import type { Variable } from '../graph/variable.js';

/** 1 / (1 + exp(t)) → sigmoid(-t), and exp(t) / (1 + exp(t)) → sigmoid(t). */
export const recognizeSigmoid = named('recognize_sigmoid', ['div'], (node) => {
  const out = node.outputs[0];
  const d = elem(out, 'div');
  if (!d) return null;
  const a = elem(d[1], 'add');
  if (!a) return null;
  const e = isConst(a[0], 1) ? a[1] : isConst(a[1], 1) ? a[0] : null;
  const t = e && elem(e, 'exp');
  if (!t) return null;
  if (isConst(d[0], 1)) return maybe(out, ew('sigmoid', [negated(t[0])]));
  if (d[0] === e) return maybe(out, ew('sigmoid', [t[0]]));
  return null;
});

/** 1 - sigmoid(z) → sigmoid(-z). */
export const oneMinusSigmoid = named('one_minus_sigmoid', ['sub'], (node) => {
  const out = node.outputs[0];
  const s = elem(out, 'sub');
  if (!s || !isConst(s[0], 1)) return null;
  const z = elem(s[1], 'sigmoid');
  return z ? maybe(out, ew('sigmoid', [negated(z[0])])) : null;
});

/** log(sigmoid(z)) → -softplus(-z); log(1 + exp(z)), log1p(exp(z)) → softplus(z); log(exp(z)) → z. */
export const stableLog = named('stable_log', ['log', 'log1p'], (node) => {
  const out = node.outputs[0];
  const l = elem(out, 'log');
  const l1 = elem(out, 'log1p');
  if (l1) {
    const e = elem(l1[0], 'exp');
    return e ? maybe(out, ew('softplus', [e[0]])) : null;
  }
  if (!l) return null;
  const x = l[0];
  const s = elem(x, 'sigmoid');
  if (s) return maybe(out, ew('neg', [ew('softplus', [negated(s[0])])]));
  const e = elem(x, 'exp');
  if (e) return maybe(out, e[0]);
  const a = elem(x, 'add');
  if (a) {
    const other = isConst(a[0], 1) ? a[1] : isConst(a[1], 1) ? a[0] : null;
    const ex = other && elem(other, 'exp');
    if (ex) return maybe(out, ew('softplus', [ex[0]]));
  }
  const sm = x.owner?.op;
  if (sm instanceof Softmax && !sm.log) return maybe(out, logSoftmax(x.owner!.inputs[0]));
  // log(softmax(x)[idx]) → logSoftmax(x)[idx]: the cross-entropy of integer labels.
  if (sm instanceof Index) {
    const inner = x.owner!.inputs[0].owner;
    if (inner && inner.op instanceof Softmax && !inner.op.log) {
      const ls = logSoftmax(inner.inputs[0]);
      return maybe(out, sm.makeNode(ls, ...x.owner!.inputs.slice(1)).outputs[0]);
    }
  }
  return null;
});

/** The variable whose axis-0 length `v` is: x for ShapeI{0}(x) or x.shape[0]; else null. */
function lengthOf(v: Variable): Variable | null {
  const node = v.owner;
  if (node?.op instanceof ShapeI) return node.op.axis === 0 ? node.inputs[0] : null;
  if (node?.op instanceof Index && node.inputs.length === 1) {
    const spec = node.op.spec;
    const shape = node.inputs[0].owner;
    if (spec.length === 1 && spec[0].k === 'int' && spec[0].v === 0 && shape?.op instanceof Shape) return shape.inputs[0];
  }
  return null;
}

/** The variable x when v is arange(0, len(x), 1), else null. */
function rangeOver(v: Variable): Variable | null {
  const node = v.owner;
  if (!node || !(node.op instanceof ARange) || !isConst(node.inputs[0], 0) || !isConst(node.inputs[2], 1)) return null;
  return lengthOf(node.inputs[1]);
}

/**
 * logSoftmax(z)[arange(n), y] → -crossentropySoftmax(z, y) for integer labels y: one fused pass
 * forward, and a gradient of one pass, g (softmax(z) - onehot(y)), instead of a scatter into
 * zeros, a row sum and an elementwise pass. (grad differentiates the stabilized graph, so
 * T.nnet.categoricalCrossentropy(softmax(z), y) gets both.)
 */
export const fuseSoftmaxCrossentropy = named('fuse_softmax_crossentropy', [Index], (node, fg) => {
  if (!(node.op instanceof Index)) return null;
  const spec = node.op.spec;
  if (spec.length !== 2 || spec[0].k !== 'array' || spec[0].in !== 1 || spec[1].k !== 'array' || spec[1].in !== 2) return null;
  const [ls, rows, y] = node.inputs;
  const sm = ls.owner;
  if (!sm || !(sm.op instanceof Softmax) || !sm.op.log || ls.ndim !== 2 || y.ndim !== 1 || !isDiscrete(y.dtype)) return null;
  const z = sm.inputs[0];
  const over = rangeOver(rows);
  if (!over) return null;
  // The row count may be read off z, logSoftmax(z) or softmax(z); or off the labels, as the
  // tutorials' NLL -mean(log(p)[arange(y.shape[0]), y]) does, which then needs a label per row.
  if (over === y) return maybe(node.outputs[0], ew('neg', [crossentropySoftmax(z, y, true)]));
  const sameRows = [z, ls, ...fg.readers(z).filter((n) => n.op instanceof Softmax).map((n) => n.outputs[0])];
  if (!sameRows.includes(over)) return null;
  return maybe(node.outputs[0], ew('neg', [crossentropySoftmax(z, y)]));
});

/** The last-axis sum of `e` with that axis kept (keepdims, or re-added by a dimshuffle), or null. */
function lastAxisSumOf(d: Variable): Variable | null {
  const ds = d.owner;
  if (ds?.op instanceof DimShuffle) {
    const p = ds.op.pattern;
    const inner = ds.inputs[0];
    const keepsAllButLast = p.length === inner.ndim + 1 && p[p.length - 1] === 'x' && p.slice(0, -1).every((a, i) => a === i);
    const r = inner.owner;
    if (!keepsAllButLast || !(r?.op instanceof Reduce) || r.op.keepdims) return null;
    return r.op.kind === 'sum' && r.op.axes.length === 1 && r.op.axes[0] === r.inputs[0].ndim - 1 ? r.inputs[0] : null;
  }
  const r = d.owner;
  if (!(r?.op instanceof Reduce) || !r.op.keepdims || r.op.kind !== 'sum') return null;
  return r.op.axes.length === 1 && r.op.axes[0] === r.inputs[0].ndim - 1 ? r.inputs[0] : null;
}

/**
 * exp(z) / sum(exp(z), -1, keepdims) → softmax(z) (also with the sum's axis put back by a
 * dimshuffle, and over the last axis given by number): the written formula overflows for rows
 * like [1000, 0], softmax subtracts each row's maximum first.
 */
export const recognizeSoftmax = named('recognize_softmax', ['div'], (node) => {
  const out = node.outputs[0];
  const d = elem(out, 'div');
  if (!d) return null;
  const e = elem(d[0], 'exp');
  const summed = lastAxisSumOf(d[1]);
  if (!e || !summed || e[0].ndim < 1) return null;
  const se = elem(summed, 'exp');
  // The numerator and the summed exp must be the same exp(z) (merge makes equal ones one node).
  if (summed !== d[0] && !(se && se[0] === e[0])) return null;
  return maybe(out, softmax(e[0]));
});

/**
 * sum(-x) → -sum(x), mean(-x) → -mean(x): the negation moves out to meet its partner, so the
 * NLL's -mean(-xent) is mean(xent), as categoricalCrossentropy's mean is.
 */
export const negOutOfSum = named('neg_out_of_sum', [Reduce], (node) => {
  if (!(node.op instanceof Reduce) || (node.op.kind !== 'sum' && node.op.kind !== 'mean')) return null;
  const n = elem(node.inputs[0], 'neg');
  if (!n || n[0].dtype !== node.inputs[0].dtype) return null;
  return maybe(node.outputs[0], ew('neg', [new Reduce(node.op.kind, node.op.axes, node.op.keepdims).makeNode(n[0]).outputs[0]]));
});

export const stabilize: LocalRewrite[] = [recognizeSigmoid, oneMinusSigmoid, stableLog, recognizeSoftmax, fuseSoftmaxCrossentropy, negOutOfSum];
