/**
 * Stabilization: rewrite formulas that overflow or cancel in floating point into equivalent
 * stable ones. The logistic-regression tutorial depends on these: with |x·w| around 28,
 * 1/(1+exp(-z)) rounds to exactly 1 and log(1 - p) is log(0).
 */
import { named, elem, isConst, maybe, negated, LocalRewrite } from './pattern.js';
import { applyElemwise as ew } from '../ops/elemwise.js';
import { Softmax, logSoftmax } from '../ops/softmax.js';
import { Index } from '../ops/index.js';

/** 1 / (1 + exp(t)) → sigmoid(-t), and exp(t) / (1 + exp(t)) → sigmoid(t). */
export const recognizeSigmoid = named('recognize_sigmoid', (node) => {
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
export const oneMinusSigmoid = named('one_minus_sigmoid', (node) => {
  const out = node.outputs[0];
  const s = elem(out, 'sub');
  if (!s || !isConst(s[0], 1)) return null;
  const z = elem(s[1], 'sigmoid');
  return z ? maybe(out, ew('sigmoid', [negated(z[0])])) : null;
});

/** log(sigmoid(z)) → -softplus(-z); log(1 + exp(z)), log1p(exp(z)) → softplus(z); log(exp(z)) → z. */
export const stableLog = named('stable_log', (node) => {
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

export const stabilize: LocalRewrite[] = [recognizeSigmoid, oneMinusSigmoid, stableLog];
