/**
 * The DeepLearningTutorials' logistic_sgd.py as a Theano user ports it: an int64 minibatch index,
 * givens slicing shared datasets (borrowed), the NLL written with arange(y.shape[0]), argmax with
 * { axis }, updates as pairs, calls by name. Both backends train to the same weights, the NLL
 * compiles to the fused cross-entropy, and the error rate equals one counted by hand.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, NDArray, random } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

function data() {
  const rng = new random.RandomState(12);
  const n = 120, feats = 6, classes = 3;
  const X = rng.randn(n, feats) as NDArray;
  const y = new Int32Array(n);
  // Labels from a fixed linear rule, so the model can learn them.
  for (let r = 0; r < n; r++) {
    const s = [0, 1, 2].map((c) => X.data[r * feats + c] - 0.5 * X.data[r * feats + c + 3]);
    y[r] = s.indexOf(Math.max(...s));
  }
  return { X, Y: new NDArray(y, [n]), n, feats, classes };
}

function train(backend: 'js' | 'native') {
  const { X, Y, n, feats, classes } = data();
  const setX = shared(X, 'train_set_x', { borrow: true });
  const setY = shared(Y, 'train_set_y', { borrow: true });
  const W = shared(new NDArray(new Float64Array(feats * classes), [feats, classes]), 'W');
  const b = shared(new NDArray(new Float64Array(classes), [classes]), 'b');
  const index = T.lscalar('index');
  const x = T.matrix('x');
  const y = T.ivector('y');
  const p = T.nnet.softmax(T.dot(x, W).add(b));
  const yPred = T.argmax(p, { axis: 1 });
  const nll = T.mean(T.log(p).get(T.arange(y.shape.get(0)), y)).neg();
  const errors = T.mean(T.neq(yPred, y));
  const [gW, gb] = grad(nll, [W, b]);
  const batch = 20;
  const slice = T.slice(index.mul(batch), index.add(1).mul(batch));
  const trainModel = fn([index], nll, {
    updates: [[W, W.sub(gW.mul(0.13))], [b, b.sub(gb.mul(0.13))]],
    givens: [[x, setX.get(slice)], [y, setY.get(slice)]],
    backend,
  });
  const testModel = fn([x, y], [errors, yPred], { backend });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 15; epoch++) {
    let total = 0;
    for (let i = 0; i < n / batch; i++) total += trainModel({ index: i }).item();
    losses.push(total / (n / batch));
  }
  const [err, pred] = testModel(X, Y);
  return { trainModel, losses, err: err.item(), pred, Y, W: W.getValue(), b: b.getValue() };
}

describe('logistic_sgd.py, ported', () => {
  const runs = backends.map((bk) => train(bk));

  it('learns: the loss falls, the error rate is what counting gives', () => {
    for (const r of runs) {
      expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0] * 0.6);
      let wrong = 0;
      for (let i = 0; i < r.Y.size; i++) if (r.pred.data[i] !== r.Y.data[i]) wrong++;
      expect(r.err).toBe(wrong / r.Y.size);
      expect(r.err).toBeLessThan(0.2);
    }
  });

  it('compiles the NLL to the fused cross-entropy', () => {
    const ops = runs[0].trainModel.program.instructions.flatMap((i) => [i.opcode, ...((i.attrs.inner as { opcode: string }[] | undefined) ?? []).map((x) => x.opcode)]);
    expect(ops).toContain('xent_softmax');
    expect(ops).toContain('xent_softmax_grad');
    expect(ops).not.toContain('index_update');
  });

  it.runIf(runs.length === 2)('trains to the same weights on both backends', () => {
    const [a, b] = runs;
    const close = (u: NDArray, v: NDArray) => {
      const bad = Array.from(u.data).findIndex((x, i) => !(Math.abs(x - v.data[i]) <= 1e-10 * (1 + Math.abs(v.data[i]))));
      expect(bad, bad >= 0 ? `[${bad}]: ${u.data[bad]} vs ${v.data[bad]}` : '').toBe(-1);
    };
    close(a.W, b.W);
    close(a.b, b.b);
    expect(a.losses.map((l, i) => Math.abs(l - b.losses[i]) <= 1e-10 * l).every(Boolean)).toBe(true);
  });
});
