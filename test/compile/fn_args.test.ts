/**
 * fn() options and calls as Theano users write them: givens checked for dtype (a TypeError naming
 * both variables), updates and givens as pairs or a Map only, onUnusedInput, and calls by name.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { T, fn, shared, array, config, NDArray } from 'theanode';

describe('givens', () => {
  const saved = config.floatX;
  afterEach(() => {
    config.floatX = saved;
  });

  it('refuse a replacement whose dtype cannot be cast safely, naming both variables', () => {
    const data = shared(array([[1, 2], [3, 4], [5, 6]]), 'data');
    const idx = T.ivector('idx');
    const x = T.matrix('x');
    const rows = T.dvector('rows');
    expect(() => fn([rows], x.get(idx), { givens: [[idx, rows], [x, data]] })).toThrow(TypeError);
    expect(() => fn([rows], x.get(idx), { givens: [[idx, rows], [x, data]] })).toThrow(/givens 0: cannot replace 'idx' \(int32\[\?\]\) with 'rows' \(float64\[\?\]\): float64 cannot be cast to int32 safely/);
    const f32 = T.fmatrix('f');
    expect(() => fn([], f32.sum(), { givens: [[f32, data]] })).toThrow(/cannot replace 'f' \(float32\[\?,\?\]\) with 'data' \(int32\[\?,\?\]\)/);
  });

  it('accept the same dtype, safe casts, bare numbers and float64 for float32 under floatX float32', () => {
    const data = shared(array([[1, 2], [3, 4], [5, 6]]), 'data');
    const x = T.matrix('x');
    const i = T.iscalar('i');
    const pos = T.ivector('pos');
    const f = fn([i], x.get(pos).sum().mul(i), { givens: [[x, data], [pos, T.arange(2)]] });
    expect(f(2).item()).toBe(20);
    const d = T.dvector('d');
    const g = fn([pos], d.sum(), { givens: [[d, pos]] }); // int32 → float64 is safe
    expect(g(array([1, 2], { dtype: 'int32' })).item()).toBe(3);
    const s = T.dscalar('s');
    expect(fn([], s.mul(2), { givens: [[s, 1.5]] })().item()).toBe(3);
    config.floatX = 'float32';
    const v = T.vector('v');
    const w = T.dvector('w');
    expect(fn([w], v.sum(), { givens: [[v, w]] })(array([0.5, 0.25], { dtype: 'float64' })).dtype).toBe('float32');
    expect(() => fn([w], v.sum(), { givens: [[v, w]], allowInputDowncast: false })).toThrow(/float64 cannot be cast to float32 safely/);
  });
});

describe('updates and givens must be pairs or a Map', () => {
  it('a plain object gets an error that says what to use', () => {
    const w = shared(array([1, 2]), 'w');
    const x = T.vector('x');
    expect(() => fn([x], x.sum(), { updates: { w: w.mul(2) } as never })).toThrow(/updates must be a list of \[sharedVariable, expression\] pairs or a Map, got a plain object \(object keys are strings, so they cannot name variables\); use \[\[sharedVariable, expr\], \.\.\.\] or new Map/);
    expect(() => fn([x], x.sum(), { givens: { x: [1, 2] } as never })).toThrow(/givens must be a list of \[variable, expression\] pairs or a Map, got a plain object/);
    expect(() => fn([x], x.sum(), { updates: 5 as never })).toThrow(/got number/);
    // Pairs and Maps still work, and a failed compile changes nothing.
    fn([], [], { updates: new Map([[w, w.mul(2)]]) })();
    fn([], [], { updates: [[w, w.add(1)]] })();
    expect(Array.from(w.getValue().data)).toEqual([3, 5]);
  });
});

describe('onUnusedInput', () => {
  const x = T.vector('x');
  const y = T.vector('y');
  it("raises by default, as Theano, naming the input; 'warn' warns; 'ignore' accepts", () => {
    expect(() => fn([x, y], x.sum())).toThrow(/fn 'fn\d+': input 1 \(y\) is not used by any output or update; to allow it, pass onUnusedInput: 'warn' or 'ignore'/);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const f = fn([x, y], x.sum(), { onUnusedInput: 'warn' });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/input 1 \(y\) is not used/));
      expect(f(array([1, 2]), array([5])).item()).toBe(3);
    } finally {
      warn.mockRestore();
    }
    expect(fn([x, y], x.sum(), { onUnusedInput: 'ignore' })(array([1, 2]), array([5])).item()).toBe(3);
    expect(() => fn([x], x.sum(), { onUnusedInput: 'loud' as never })).toThrow(/onUnusedInput must be 'raise', 'warn' or 'ignore', got "loud"/);
  });
  it('counts inputs used only by updates, and not inputs replaced by givens', () => {
    const s = shared(array([0.5, 0]), 's');
    expect(() => fn([x], [], { updates: [[s, x]] })).not.toThrow();
    expect(() => fn([x, y], y.sum(), { givens: [[x, y]] })).toThrow(/input 0 \(x\) is not used/);
  });
});

describe('calls by input name', () => {
  const x = T.matrix('x');
  const y = T.vector('y');
  const f = fn([x, y], x.dot(y));
  const X = array([[1, 2], [3, 4]]);
  const Y = array([1, -1]);

  it('f({ x, y }) is f(x, y), in any key order, sync and async', async () => {
    expect(f({ y: Y, x: X }).toArray()).toEqual(f(X, Y).toArray());
    expect((await f.async({ x: X, y: Y })).toArray()).toEqual([-1, -1]);
  });

  it('unknown, missing and unnamed inputs are errors', () => {
    expect(() => f({ x: X, z: Y })).toThrow(/no input named 'z'; the inputs are 'x', 'y'/);
    expect(() => f({ x: X })).toThrow(/missing argument\(s\) 'y'/);
    const g = fn([T.vector(), y], y.sum(), { onUnusedInput: 'ignore' });
    expect(() => g({ y: Y })).toThrow(/input 0 has no name/);
    const h = fn([T.vector('a'), T.vector('a')], [], { onUnusedInput: 'ignore' });
    expect(() => h({ a: Y })).toThrow(/two inputs are named 'a'/);
  });

  it('a plain object is never taken as an array value', () => {
    const single = fn([y], y.sum());
    expect(() => single({ data: [1, 2] } as never)).toThrow(/no input named 'data'/);
    expect(single(new NDArray(Float64Array.from([1, 2]), [2])).item()).toBe(3);
  });
});
