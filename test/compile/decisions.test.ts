/**
 * Kernel decisions are made once, in TypeScript, and carried in the Plan: the one-pass kernel's
 * blocks and lanes, the resolved index plans. Both backends execute the same decision, so the
 * one-pass sums come out in an order that no thread count changes.
 */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, shared, random, NDArray, backendInfo, setBlasThreads } from 'theanode';
import { nativeStatus } from '../../lib/backend/native/index.js';
import { planRowPass, rowsPerBlock } from '../../lib/ops/rowpass.js';

const native = nativeStatus().available;

function logreg(dtype: 'float64' | 'float32', feats: number) {
  const x = T.matrix('x', dtype), y = T.vector('y', dtype);
  const w = shared(new random.RandomState(2).randn(feats) as NDArray, 'w', { dtype });
  const p = T.nnet.sigmoid(x.dot(w));
  const cost = T.nnet.binaryCrossentropy(p, y).mean();
  return { inputs: [x, y], outputs: [cost, grad(cost, w)] };
}

describe('decisions in the plan', () => {
  it('the one-pass plan: blocks of whole groups of four rows at the real element size, lanes covering every block', () => {
    const x = (n: number, f: number) => [[n, f], [f], [n], [f]];
    for (const [n, f, bytes] of [[400, 784, 8], [400, 784, 4], [60000, 784, 8], [3, 10, 8], [0, 5, 8]]) {
      const plan = planRowPass([], x(n, f), bytes);
      const blocks = n === 0 ? 0 : Math.ceil(n / plan.blockRows);
      expect(plan.lanes[0]).toBe(0);
      expect(plan.lanes[plan.lanes.length - 1]).toBe(blocks);
      expect(plan.lanes.length - 1).toBe(Math.min(blocks, 8));
      if (n > 1) expect(plan.blockRows).toBe(rowsPerBlock(n, f, bytes));
    }
    // At most as many rows as fit the cache budget (what one row gets alone), in whole groups of
    // four, and one block or an even count of them, so two threads get equal shares.
    for (const [f, bytes] of [[784, 8], [784, 4], [20, 8], [30000, 8]]) {
      const most = rowsPerBlock(1, f, bytes);
      expect(most % 4).toBe(0);
      for (let rows = 1; rows <= 20 * most; rows += rows < 3 * most ? 1 : 7) {
        const r = rowsPerBlock(rows, f, bytes);
        const blocks = Math.ceil(rows / r);
        expect(r % 4).toBe(0);
        expect(blocks === 1 || blocks % 2 === 0 || r === 4).toBe(true);
        expect(r).toBeLessThanOrEqual(most);
        // Equal shares: no block is more than a group of four longer than the shortest would need.
        if (blocks > 1) expect(r).toBeLessThanOrEqual(Math.ceil(rows / blocks / 4) * 4 + 4);
      }
    }
    expect(rowsPerBlock(1, 784, 4)).toBeGreaterThanOrEqual(2 * rowsPerBlock(1, 784, 8) - 4);
  });

  it('a pass that fits one block makes two when each half is 32K multiply-adds or more', () => {
    const softmaxLayer = (n: number, f: number, k: number) => [[n, f], [f, k], [n, k], [f, k]];
    const two = planRowPass([], softmaxLayer(128, 128, 10), 4);  // 163840 multiply-adds
    expect(two.blockRows).toBe(64);
    expect(two.lanes).toEqual([0, 1, 2]);
    const one = planRowPass([], softmaxLayer(128, 16, 10), 4);  // 20480
    expect(one.lanes).toEqual([0, 1]);
    expect(planRowPass([], softmaxLayer(7, 10000, 10), 4).lanes).toEqual([0, 1]);  // too few rows
    // The threshold itself, and halves of whole groups of four (a last block shorter).
    expect(rowsPerBlock(64, 1024, 4)).toBe(32);
    expect(rowsPerBlock(63, 1024, 4)).toBe(rowsPerBlock(1, 1024, 4));
    expect(rowsPerBlock(10, 8000, 4)).toBe(8);
  });

  it('the plan carries the decision the kernels execute', () => {
    const { inputs, outputs } = logreg('float64', 20);
    const f = fn(inputs, outputs, { backend: 'js' });
    const rng = new random.RandomState(5);
    f(rng.randn(100, 20), rng.randint(0, 2, [100]).astype('float64'));
    const k = f.program.instructions.findIndex((i) => i.opcode === 'rowpass');
    expect(k).toBeGreaterThanOrEqual(0);
    const d = f.lastPlan!.decisions[k] as unknown as { blockRows: number; lanes: number[] };
    expect(d.blockRows).toBe(rowsPerBlock(100, 20, 8));
  });

  it('native one-pass results are the same bits on 1, 2 and 3 threads, and close to js', () => {
    if (!native) return;
    const before = backendInfo().blasThreads ?? 1;
    try {
      for (const dtype of ['float64', 'float32'] as const) {
        const { inputs, outputs } = logreg(dtype, 300);
        const f = fn(inputs, outputs, { backend: 'native' });
        const rng = new random.RandomState(8);
        // Enough rows for several blocks and lanes.
        const X = (rng.randn(3000, 300) as NDArray).astype(dtype), Y = (rng.randint(0, 2, [3000]) as NDArray).astype(dtype);
        const results = [1, 2, 3].map((t) => {
          setBlasThreads(t);
          return [f(X, Y), f(X, Y)].map((r) => r.map((a) => Array.from(a.data)));
        });
        for (const r of results) {
          expect(r[0]).toEqual(results[0][0]);
          expect(r[1]).toEqual(results[0][0]);
        }
        const ref = fn(inputs, outputs, { backend: 'js' })(X, Y);
        const gw = results[0][0][1];
        const tol = dtype === 'float32' ? 1e-4 : 1e-10;
        const scale = Math.max(...ref[1].data.map(Math.abs));
        const bad = gw.findIndex((v, i) => !(Math.abs(v - ref[1].data[i]) <= tol * scale));
        expect(bad, `element ${bad}`).toBe(-1);
      }
    } finally {
      setBlasThreads(before);
    }
  });
});
