/** grad(): options and errors, checked against hand-derived derivatives. */
import { describe, expect, it, vi } from 'vitest';
import * as T from '../../lib/tensor/index.js';
import { fn } from '../../lib/compile/function.js';
import { grad } from '../../lib/grad.js';
import { shared } from '../../lib/shared.js';
import { array } from '../../lib/ndarray/ndarray.js';

describe('grad', () => {
  it('refuses a non-scalar cost', () => {
    const x = T.vector('x');
    expect(() => grad(x.mul(2), x)).toThrow(/cost must be a scalar \(0-d\), got a 1-d/);
  });

  it('sums over broadcast axes', () => {
    const m = T.matrix('m');
    const b = T.vector('b');
    const s = T.scalar('s');
    const cost = m.add(b).mul(s).sum();
    const [gb, gs] = grad(cost, [b, s]);
    const f = fn([m, b, s], [gb, gs]);
    const [vb, vs] = f(array([[1, 2], [3, 4], [5, 6]]), array([10, 20]), 2);
    expect(Array.from(vb.data)).toEqual([6, 6]);
    expect(vs.item()).toBe(1 + 2 + 3 + 4 + 5 + 6 + 3 * 30);
  });

  it('accumulates where a variable is used twice', () => {
    const x = T.scalar('x');
    const g = grad(x.mul(x).add(x.exp()), x);
    expect(fn([x], g)(0.5).item()).toBeCloseTo(1 + Math.exp(0.5), 14);
  });

  it('considerConstant stops the gradient', () => {
    const x = T.scalar('x');
    const y = x.mul(3);
    const cost = y.mul(x);
    expect(fn([x], grad(cost, x))(2).item()).toBe(12);
    expect(fn([x], grad(cost, x, { considerConstant: [y] }))(2).item()).toBe(6);
  });

  it('knownGrads replaces what would be computed for a variable', () => {
    const x = T.scalar('x');
    const h = x.mul(2);
    const cost = h.sqr();
    const gh = T.scalar('gh');
    const g = grad(cost, x, { knownGrads: [[h, gh]] });
    // With d cost/d h given, d cost/d x = gh * 2 whatever the cost above h is.
    // g does not depend on x, which Theano's default (onUnusedInput: 'raise') would refuse.
    const f = fn([x, gh], g, { onUnusedInput: 'ignore' });
    expect(f(5, 7).item()).toBe(14);
  });

  it('disconnected inputs: raise, warn, ignore', () => {
    const x = T.scalar('x');
    const z = T.vector('z');
    const cost = x.sqr();
    expect(() => grad(cost, [x, z])).toThrow(/does not depend on wrt\[1\] \(z\)/);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const [, gz] = grad(cost, [x, z], { disconnectedInputs: 'warn' });
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
    expect(Array.from(fn([z], gz)(array([1, 2])).data)).toEqual([0, 0]);
    const [, gz2] = grad(cost, [x, z], { disconnectedInputs: 'ignore' });
    expect(gz2.dtype).toBe(z.dtype);
  });

  it('flows into shared variables and integer inputs get none', () => {
    const w = shared([1, 2], 'w');
    const i = T.ivector('i');
    const cost = w.get(i).sum();
    const gw = grad(cost, w);
    expect(Array.from(fn([i], gw)(array([1, 1, 0])).data)).toEqual([1, 2]);
    expect(() => grad(cost, i)).toThrow(/does not depend on wrt\[0\] \(i\)/);
  });
});
