/**
 * Atomic calls whatever fails: every kernel that checks data at run time is declared `mayFail`,
 * and the planner writes no shared storage in place before the last of them. Each case has an
 * update that the planner would otherwise write in place (a counter `t <- t + 1`, an SGD step),
 * and a failing instruction placed before, after or inside fused instructions.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, array, NDArray, random, updates } from 'theanode';
import type { SharedVariable } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { kernelFor } from '../../lib/ops/kernel.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
const labels = (...v: number[]) => array(v, { dtype: 'int32' });
const snapshot = (vars: SharedVariable[]) => vars.map((v) => Array.from(v.getValue().data));

describe('a failed call changes no shared variable', () => {
  for (const backend of backends) {
    it(`fused softmax cross-entropy with a bad label, counter and SGD updates, ${backend}`, () => {
      const x = T.matrix('x'), y = T.ivector('y');
      const W = shared(new random.RandomState(1).randn(4, 3) as NDArray, 'W');
      const t = shared(0, 't');
      const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W)), y).mean();
      const step = fn([x, y], cost, { updates: [[t, t.add(1)], [W, W.sub(grad(cost, W).mul(0.1))]], backend });
      const X = new random.RandomState(2).randn(2, 4) as NDArray;
      const before = snapshot([t, W]);
      expect(() => step(X, labels(0, 3))).toThrow(/out of range/);
      expect(snapshot([t, W])).toEqual(before);
      step(X, labels(0, 2));
      expect(t.getValue().data[0]).toBe(1);
    });

    it(`adam's step counter stays put when the labels are bad, ${backend}`, () => {
      const x = T.matrix('x'), y = T.ivector('y');
      const W = shared(new random.RandomState(3).randn(5, 4) as NDArray, 'W');
      const cost = T.nnet.categoricalCrossentropy(T.nnet.softmax(x.dot(W)), y).mean();
      const ups = updates.adam(cost, [W], { learningRate: 0.01 });
      const step = fn([x, y], cost, { updates: ups, backend });
      const vars = ups.map(([s]) => s);
      const X = new random.RandomState(4).randn(3, 5) as NDArray;
      step(X, labels(0, 1, 2));
      const before = snapshot(vars);
      expect(() => step(X, labels(0, 1, 9))).toThrow(/out of range/);
      expect(snapshot(vars)).toEqual(before);
    });

    it(`an index out of bounds after the update is computed, ${backend}`, () => {
      const i = T.iscalar('i');
      const v = shared(array([1, 2, 3]), 'v');
      const t = shared(0, 't');
      // The counter's new value is ready before the index instruction runs.
      const step = fn([i], v.get(i), { updates: [[t, t.add(1)], [v, v.mul(2)]], backend });
      expect(() => step(7)).toThrow(/out of bounds/);
      expect(snapshot([t, v])).toEqual([[0], [1, 2, 3]]);
      expect(step(-1).data[0]).toBe(3);
      expect(snapshot([t, v])).toEqual([[1], [2, 4, 6]]);
    });

    it(`advanced indexing and incSubtensor with a bad row, ${backend}`, () => {
      const idx = T.ivector('idx');
      const E = shared(new random.RandomState(5).randn(4, 2) as NDArray, 'E');
      const n = shared(0, 'n');
      const rows = E.get(idx);
      const cost = rows.sum();
      const step = fn([idx], cost, { updates: [[n, n.add(1)], [E, E.sub(grad(cost, E).mul(0.5))]], backend });
      const before = snapshot([n, E]);
      expect(() => step(labels(0, 4))).toThrow(/out of bounds/);
      expect(snapshot([n, E])).toEqual(before);
    });
  }

  it('every kernel that validates data declares it', () => {
    for (const opcode of ['index', 'index_update', 'xent_softmax', 'xent_softmax_grad']) expect(kernelFor(opcode).mayFail, opcode).toBeTruthy();
  });
});
