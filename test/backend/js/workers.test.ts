/** js-backend async calls on worker threads: the event loop stays free, ordering and atomicity as on native. */
import { describe, expect, it } from 'vitest';
import { T, fn, shared, array, random, NDArray } from 'theanode';

const sameData = (a: NDArray, b: NDArray, what: string) => {
  expect(a.shape, what).toEqual(b.shape);
  const at = Array.from(a.data).findIndex((x, i) => !Object.is(x, b.data[i]));
  if (at >= 0) expect.fail(`${what}[${at}]: ${a.data[at]} vs ${b.data[at]}`);
};

describe('js backend async', () => {
  it('keeps timers firing on time during a long call', async () => {
    const rng = new random.RandomState(0);
    const a = T.matrix('a');
    let expr = a;
    for (let i = 0; i < 8; i++) expr = T.tanh(T.dot(expr, a).mul(0.01));
    const f = fn([a], expr.sum(), { backend: 'js' });
    const data = rng.randn(220, 220) as NDArray;
    await f.async(data); // starts the worker
    const t0 = performance.now();
    const expected = f(data).item();
    const sync = performance.now() - t0;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 2);
    last = performance.now();
    const r = await f.async(data);
    clearInterval(timer);
    maxGap = Math.max(maxGap, performance.now() - last);
    expect(r.item()).toBe(expected);
    // On this thread the call would hold the timer for its whole length.
    expect(sync).toBeGreaterThan(40);
    expect(maxGap).toBeLessThan(sync / 2);
  });

  it('runs calls that share variables in call order, updating in place', async () => {
    const acc = shared([0], 'acc');
    const x = T.vector('x');
    const f = fn([x], acc.mul(1), { updates: [[acc, acc.mul(10).add(x)]], backend: 'js' });
    const results = await Promise.all([1, 2, 3, 4].map((v) => f.async(array([v]))));
    expect(results.map((r) => r.item())).toEqual([0, 1, 12, 123]);
    expect(acc.getValue().item()).toBe(1234);
    // setValue between calls replaces the storage; the next call reads the new value.
    acc.setValue([5]);
    expect((await f.async(array([1]))).item()).toBe(5);
    expect(acc.getValue().item()).toBe(51);
    expect(f(array([0])).item()).toBe(51);
    expect(acc.getValue().item()).toBe(510);
  });

  it('rejects a failed call and changes no shared variable', async () => {
    const w = shared([1, 2, 3], 'w');
    const i = T.ivector('i');
    const f = fn([i], w.get(i), { updates: [[w, w.mul(2)]], name: 'pick', backend: 'js' });
    expect(Array.from((await f.async(array([2, 0], { dtype: 'int32' }))).data)).toEqual([3, 1]);
    await expect(f.async(array([7], { dtype: 'int32' }))).rejects.toThrow(/fn 'pick': get: index 7 is out of bounds for axis 0 with size 3/);
    expect(Array.from(w.getValue().data)).toEqual([2, 4, 6]);
  });

  it('gives a shared variable whose shape changes its new value', async () => {
    const s = shared([1, 2], 's');
    const f = fn([], s.sum(), { updates: [[s, T.concatenate([s, s.mul(10)])]], backend: 'js' });
    expect((await f.async()).item()).toBe(3);
    expect(Array.from(s.getValue().data)).toEqual([1, 2, 10, 20]);
    expect((await f.async()).item()).toBe(33);
    expect(s.getValue().shape).toEqual([8]);
  });

  it('runs unrelated functions at once with the results of sync calls', async () => {
    const rng = new random.RandomState(4);
    const make = (seed: number) => {
      const w = shared(new random.RandomState(seed).randn(30, 20) as NDArray, 'w');
      const x = T.matrix('x');
      const out = T.nnet.softmax(x.dot(w));
      return { w, f: fn([x], out, { updates: [[w, w.mul(0.5)]], backend: 'js' }) };
    };
    const m1 = make(1), m2 = make(2);
    const inputs = [0, 1, 2].map(() => rng.randn(40, 30) as NDArray);
    const w1 = m1.w.getValue(), w2 = m2.w.getValue();
    const asyncRuns = await Promise.all([Promise.all(inputs.map((x) => m1.f.async(x))), Promise.all(inputs.map((x) => m2.f.async(x)))]);
    const after = [m1.w.getValue(), m2.w.getValue()];
    m1.w.setValue(w1);
    m2.w.setValue(w2);
    const syncRuns = [inputs.map((x) => m1.f(x)), inputs.map((x) => m2.f(x))];
    asyncRuns.forEach((runs, m) => runs.forEach((r, k) => sameData(r, syncRuns[m][k], `model ${m} call ${k}`)));
    sameData(after[0], m1.w.getValue(), 'model 0 weights');
    sameData(after[1], m2.w.getValue(), 'model 1 weights');
  });
});
