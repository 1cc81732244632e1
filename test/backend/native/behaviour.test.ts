/** The native backend's promises: async off the event loop, clear errors, atomic updates, info. */
import { describe, expect, it } from 'vitest';
import { T, fn, shared, array, NDArray, random, backendInfo, setBlasThreads } from 'theanode';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { coretypeFromCpuinfo, loadAddon } from '../../../binding/index.js';

const native = nativeStatus();

describe('OpenBLAS core type from CPU flags', () => {
  it('prefers SkylakeX with avx512f, Haswell with avx2, nothing otherwise', () => {
    expect(coretypeFromCpuinfo('processor: 0\nflags\t\t: fpu sse3 avx2 avx512f avx512bw\n')).toBe('SkylakeX');
    expect(coretypeFromCpuinfo('flags : fpu sse3 avx avx2 fma\n')).toBe('Haswell');
    expect(coretypeFromCpuinfo('flags : fpu sse3\n')).toBeUndefined();
    expect(coretypeFromCpuinfo('')).toBeUndefined();
  });
});

describe.runIf(native.available)('native backend', () => {
  it('is the default and says what runs', () => {
    const x = T.scalar('x');
    expect(fn([x], x.add(1)).backend).toBe('native');
    const info = backendInfo();
    expect(info.backend).toBe('native');
    expect(info.blasCore).toMatch(/\w+/);
    expect(info.blasConfig).toMatch(/OpenBLAS/);
    const before = info.blasThreads!;
    setBlasThreads(1);
    expect(backendInfo().blasThreads).toBe(1);
    setBlasThreads(before);
    expect(() => setBlasThreads(0)).toThrow(/positive integer/);
  });

  it('keeps the event loop responsive during a long async call', async () => {
    const rng = new random.RandomState(0);
    const a = T.matrix('a');
    // A few hundred milliseconds of BLAS work in one call.
    let expr = a;
    for (let i = 0; i < 12; i++) expr = T.tanh(T.dot(expr, a).mul(0.01));
    const f = fn([a], expr.sum());
    const data = rng.randn(500, 500) as NDArray;
    const expected = f(data).item();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const r = await f.async(data);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    expect(r.item()).toBe(expected);
    // The timer kept firing while the work ran on the thread pool.
    expect(ticks).toBeGreaterThan(Math.min(5, elapsed / 4));
  });

  it('runs async calls that share variables in call order', async () => {
    const acc = shared([0], 'acc');
    const x = T.vector('x');
    const f = fn([x], acc.mul(1), { updates: [[acc, acc.mul(10).add(x)]] });
    const results = await Promise.all([1, 2, 3, 4].map((v) => f.async(array([v]))));
    expect(results.map((r) => r.item())).toEqual([0, 1, 12, 123]);
    expect(acc.getValue().item()).toBe(1234);
  });

  it('turns a C++ failure into a JS error and changes no shared variable', async () => {
    const w = shared([1, 2, 3], 'w');
    const i = T.ivector('i');
    const f = fn([i], w.get(i), { updates: [[w, w.mul(2)]], name: 'pick' });
    expect(Array.from(f(array([2, 0])).data)).toEqual([3, 1]);
    expect(() => f(array([7]))).toThrow(/fn 'pick': get: index 7 is out of bounds for axis 0 with size 3/);
    await expect(f.async(array([-9]))).rejects.toThrow(/index -9 is out of bounds/);
    expect(Array.from(w.getValue().data)).toEqual([2, 4, 6]);
  });

  it('checks every array and the plan before touching memory', () => {
    const { addon } = loadAddon();
    const Ex = addon!.Executor;
    const arena = (n: number) => ({ float64: n, float32: 0, int32: 0, bool: 0 });
    // What lib/backend/native hands the addon: the program and plan as JSON text, the constants' data.
    const prog = (buffers: object[], extra: object = {}) => ({ text: JSON.stringify({ buffers, instructions: [], inputs: [], shared: [], outputs: [], updates: [], ...extra }), constants: [] });
    const plan = (shapes: number[][], extra: object = {}) => JSON.stringify({ shapes, offsets: shapes.map(() => -1), alias: shapes.map(() => -1), skip: [], snapshot: [], decisions: [], arena: arena(0), ...extra });
    expect(() => new Ex(prog([{ dtype: 'float64', kind: 'temp', ref: -1 }], { instructions: [{ opcode: 'nope', inputs: [0], outputs: [0], attrs: {} }] }), plan([[2]], { offsets: [0], skip: [false], decisions: [null], arena: arena(2) }))).toThrow(/no kernel for opcode 'nope'/);
    expect(() => new Ex(prog([{ dtype: 'float64', kind: 'temp', ref: -1 }], { instructions: [{ opcode: 'index', inputs: [0], outputs: [0], attrs: {} }] }), plan([[2]], { offsets: [0], skip: [false], decisions: [], arena: arena(2) }))).toThrow(/plan does not match the program's instructions/);
    expect(() => new Ex(prog([{ dtype: 'float64', kind: 'temp', ref: -1 }], { outputs: [0] }), plan([[5]], { offsets: [0], arena: arena(2) }))).toThrow(/does not fit its arena/);
    expect(() => new Ex(prog([{ dtype: 'float64', kind: 'input', ref: 0 }], { inputs: [3] }), plan([[1]]))).toThrow(/refers to a missing buffer/);
    const ok = new Ex(prog([{ dtype: 'float64', kind: 'input', ref: 0 }], { inputs: [0], outputs: [0] }), plan([[3]]));
    const out = new Float64Array(3);
    ok.run([new Float64Array([1, 2, 3])], [], [out], []);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    expect(() => ok.run([new Float64Array(2)], [], [out], [])).toThrow(/input 0: expected 3 elements, got 2/);
    expect(() => ok.run([new Float32Array(3)], [], [out], [])).toThrow(/input 0: expected float64 data/);
    expect(() => ok.run([[1, 2, 3]], [], [out], [])).toThrow(/expected a typed array/);
    expect(() => ok.run([], [], [out], [])).toThrow(/expected 1 inputs, got 0/);
    expect(() => ok.run([new Float64Array(3)], [], [new Float64Array(1)], [])).toThrow(/output 0: expected 3 elements/);
  });

  it('debug backend runs both and agrees on the seed step', () => {
    const x = T.matrix('x');
    const y = T.vector('y');
    const w = shared(new random.RandomState(0).randn(5) as NDArray, 'w');
    const p = T.nnet.sigmoid(x.dot(w));
    const cost = T.nnet.binaryCrossentropy(p, y).mean();
    const g = T.grad(cost, w);
    const f = fn([x, y], cost, { updates: [[w, w.sub(g.mul(0.1))]], backend: 'debug' });
    const X = new random.RandomState(1).randn(8, 5) as NDArray;
    const Y = array([0, 1, 1, 0, 1, 0, 0, 1]);
    const c1 = f(X, Y).item();
    const c2 = f(X, Y).item();
    expect(c2).toBeLessThan(c1);
  });
});
