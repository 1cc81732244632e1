/**
 * getValue/setValue and synchronous calls ordered with async calls in flight, on both
 * backends: never a torn read, never a lost write, never a reordered update.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/tensor/index.js';
import { fn } from '../../lib/compile/function.js';
import { shared } from '../../lib/shared.js';
import { full, NDArray } from '../../lib/ndarray/ndarray.js';
import { nativeStatus } from '../../lib/backend/native/index.js';

const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);

/** The distinct values of an array (a snapshot of a variable whose elements move together). */
const distinct = (a: NDArray) => [...new Set(a.data)];

/** w += 1 after enough work on w that the call is caught in flight (native runs off the loop). */
function stepper(backend: 'js' | 'native', n = 250) {
  const w = shared(full([n, n], 0), 'w');
  const busy = w.dot(w).tanh().dot(w).tanh().sum();
  const step = fn([], busy, { backend, updates: [[w, w.add(1)]], name: 'step' });
  const read = fn([], w.sum(), { backend, name: 'read' });
  return { w, step, read, n };
}

describe.each(backends)('ordering with async calls (%s)', (backend) => {
  it('getValue during in-flight updates is always one whole value, never a mix', async () => {
    const { w, step } = stepper(backend);
    const calls = Array.from({ length: 6 }, () => step.async());
    const seen: number[][] = [];
    let done = false;
    void Promise.all(calls).then(() => (done = true));
    while (!done) {
      seen.push(distinct(w.getValue()));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(calls);
    expect(seen.length).toBeGreaterThan(1);
    const torn = seen.find((vals) => vals.length !== 1);
    expect(torn, `a snapshot mixed values ${torn}`).toBeUndefined();
    // Snapshots only move forward, and the last value counts every call.
    const values = seen.map((v) => v[0]);
    expect(values.every((v, i) => i === 0 || v >= values[i - 1])).toBe(true);
    expect(distinct(w.getValue())).toEqual([6]);
  });

  it('getValue during an update written in place over a long kernel is whole', async () => {
    // One big fused elementwise update: computed in place, it would be half-written for a while.
    const n = 1 << 21;
    const w = shared(full([n], 1), 'w');
    const slow = T.add(T.sqrt(T.sqr(T.abs(T.maximum(w, T.neg(w))))), 1);
    const step = fn([], [], { backend, updates: [[w, slow]], name: 'inplace' });
    const calls = [step.async(), step.async(), step.async()];
    let done = false;
    void Promise.all(calls).then(() => (done = true));
    const seen: number[][] = [];
    while (!done) {
      seen.push(distinct(w.getValue()));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(calls);
    const torn = seen.find((vals) => vals.length !== 1);
    expect(torn, `a snapshot mixed values ${torn}`).toBeUndefined();
    expect(distinct(w.getValue())).toEqual([4]);
  });

  it('setValue while calls are in flight takes effect after them, and later calls see it', async () => {
    const { w, step, n } = stepper(backend);
    const first = [step.async(), step.async()];
    w.setValue(full([n, n], 100));
    // Until the earlier calls finish, getValue shows the last finished state, not a mix.
    expect(distinct(w.getValue()).length).toBe(1);
    const later = step.async();
    await Promise.all([...first, later]);
    expect(distinct(w.getValue())).toEqual([101]);
  });

  it('a bad setValue while calls are in flight throws at once and changes nothing', async () => {
    const { w, step, n } = stepper(backend, 50);
    const p = step.async();
    expect(() => w.setValue(full([n], 3))).toThrow(/setValue of shared variable w: expected a float64 matrix, got a 1-d array/);
    expect(() => w.setValue([[1], [1, 2]])).toThrow(/setValue of shared variable w: .*ragged/);
    await p;
    expect(distinct(w.getValue())).toEqual([1]);
  });

  it('a synchronous call after an async call on the same variables is refused with a clear Error', async () => {
    const { w, step, read, n } = stepper(backend, 50);
    const p = step.async();
    expect(() => read()).toThrow(/fn 'read': called synchronously while 1 async operation\(s\) using shared variable w are pending/);
    expect(() => step()).toThrow(/fn 'step': called synchronously/);
    // A function that shares nothing with the pending call still runs at once.
    const x = T.vector('x');
    expect(fn([x], x.mul(2), { backend })(new Float64Array([1, 2])).data).toEqual(new Float64Array([2, 4]));
    await p;
    // Once the queue is empty, synchronous calls run again and see the update.
    expect(read().item()).toBe(n * n);
    step();
    expect(distinct(w.getValue())).toEqual([2]);
  });

  it('a failed async call leaves the variable as it was and later work proceeds', async () => {
    const w = shared(full([3], 1), 'w');
    const i = T.iscalar('i');
    const f = fn([i], w.get(i), { backend, updates: [[w, w.mul(2)]], name: 'pick' });
    await expect(f.async(7)).rejects.toThrow(/pick/);
    expect(Array.from(w.getValue().data)).toEqual([1, 1, 1]);
    await f.async(1);
    expect(Array.from(w.getValue().data)).toEqual([2, 2, 2]);
  });
});
