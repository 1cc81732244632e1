/** random.RandomStreams: distributions, reproducibility, default updates, symbolic sizes. */
import { describe, expect, it } from 'vitest';
import { T, fn, grad, random, shared, NDArray, array } from '../../lib/index.js';

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const variance = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Array.from(a).reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
};
const N = 100000;
// Bounds of 5 standard errors: with fixed seeds these are checks of the transforms, not flaky.
const near = (got: number, want: number, se: number) => expect(Math.abs(got - want)).toBeLessThan(5 * se);

describe('RandomStreams distributions (js, fixed seeds)', () => {
  it('uniform(low, high): mean, variance, range', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const u = fn([], new random.RandomStreams(11).uniform([N], -2, 3, dtype), { backend: 'js' })();
      expect(u.dtype).toBe(dtype);
      expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-2);
      expect(Math.max(...u.data)).toBeLessThan(3);
      near(mean(u.data), 0.5, Math.sqrt(25 / 12 / N));
      // var of the sample variance of a uniform: (m4 - s^4) / N, m4 = w^4 / 80.
      near(variance(u.data), 25 / 12, Math.sqrt((625 / 80 - (25 / 12) ** 2) / N));
    }
  });

  it('normal(avg, std): mean, variance, mass within one std, tails', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const z = fn([], new random.RandomStreams(12).normal([N + 1], 1, 2, dtype), { backend: 'js' })();
      expect(z.size).toBe(N + 1);
      near(mean(z.data), 1, 2 / Math.sqrt(N));
      near(variance(z.data), 4, Math.sqrt(2) * 4 / Math.sqrt(N));
      const within = Array.from(z.data).filter((v) => Math.abs(v - 1) < 2).length / z.size;
      near(within, 0.6826894921, Math.sqrt(0.6827 * 0.3173 / N));
      const beyond3 = Array.from(z.data).filter((v) => Math.abs(v - 1) > 6).length / z.size;
      near(beyond3, 0.0026997961, Math.sqrt(0.0027 / N));
    }
  });

  it('binomial(n, p): int32 by default, mean n p and variance n p (1 - p)', () => {
    const b = fn([], new random.RandomStreams(13).binomial([N], 5, 0.3), { backend: 'js' })();
    expect(b.dtype).toBe('int32');
    expect(Math.min(...b.data)).toBe(0);
    expect(Math.max(...b.data)).toBeLessThanOrEqual(5);
    near(mean(b.data), 1.5, Math.sqrt(1.05 / N));
    near(variance(b.data), 1.05, 0.01);
  });

  it('multinomial(pvals, n): rows sum to n, column means n p', () => {
    const rows = 20000;
    const p = [0.2, 0.3, 0.5];
    const pv = array(Array.from({ length: rows }, () => p));
    const m = fn([], new random.RandomStreams(14).multinomial(pv, { n: 10 }), { backend: 'js' })();
    expect(m.shape).toEqual([rows, 3]);
    expect(m.dtype).toBe('int32');
    for (let r = 0; r < rows; r++) expect(m.data[3 * r] + m.data[3 * r + 1] + m.data[3 * r + 2]).toBe(10);
    p.forEach((pc, c) => {
      const col = Array.from({ length: rows }, (_, r) => m.data[3 * r + c]);
      near(mean(col), 10 * pc, Math.sqrt((10 * pc * (1 - pc)) / rows));
    });
    // A probability of 0 is never drawn, of 1 always.
    const sure = fn([], new random.RandomStreams(1).multinomial([[0, 1, 0], [0, 0, 1]], { n: 7, dtype: 'float64' }), { backend: 'js' })();
    expect(Array.from(sure.data)).toEqual([0, 7, 0, 0, 0, 7]);
  });
});

describe('RandomStreams streams and updates', () => {
  const draws = (seed: number) => {
    const srng = new random.RandomStreams(seed);
    return fn([], [srng.uniform([50]), srng.normal([3, 4]), srng.binomial([9], 1, 0.5)], { backend: 'js' });
  };

  it('the same seed gives the same draws; another seed, others', () => {
    const [a, b, c] = [draws(5), draws(5), draws(6)].map((f) => f().map((x) => Array.from(x.data)));
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
    expect(a[1]).not.toEqual(c[1]);
    // Two draws of one stream are different substreams.
    const srng = new random.RandomStreams(5);
    const [u, v] = fn([], [srng.uniform([8]), srng.uniform([8])], { backend: 'js' })();
    expect(Array.from(u.data)).not.toEqual(Array.from(v.data));
    expect(srng.states.length).toBe(2);
    expect(srng.updates().map(([s, u]) => [s, u])).toEqual(srng.states.map((s) => [s, s.defaultUpdate]));
  });

  it('every call draws afresh; noDefaultUpdates gives the same draw each call', () => {
    const srng = new random.RandomStreams(3);
    const u = srng.uniform([10]);
    const f = fn([], u, { backend: 'js' });
    const first = Array.from(f().data);
    const second = Array.from(f().data);
    expect(second).not.toEqual(first);
    // The counter moved by the 5 blocks of each call (2 float64 per block); the key is (seed, draw).
    expect(Array.from(srng.states[0].getValue().data)).toEqual([3, 0, 10, 0, 0, 0]);
    const g = fn([], u, { backend: 'js', noDefaultUpdates: true });
    const again = Array.from(g().data);
    expect(Array.from(g().data)).toEqual(again);
    expect(Array.from(srng.states[0].getValue().data)).toEqual([3, 0, 10, 0, 0, 0]);
    // From the state the first call started from, the first call's numbers.
    srng.seed(3);
    expect(Array.from(g().data)).toEqual(first);
    // An explicit update wins over the default one.
    const h = fn([], u, { backend: 'js', updates: [[srng.states[0], srng.states[0]]] });
    h();
    expect(Array.from(h().data)).toEqual(first);
  });

  it('a size from x.shape and a p given as a Variable broadcast over it', () => {
    const srng = new random.RandomStreams(21);
    const x = T.matrix('x');
    const p = T.vector('p');
    const b = srng.binomial(x.shape, 1, p, 'float64');
    const f = fn([x, p], b, { backend: 'js' });
    const rows = 4000;
    const out = f(new NDArray(new Float64Array(rows * 3), [rows, 3]), [0, 0.25, 1]);
    expect(out.shape).toEqual([rows, 3]);
    const col = (c: number) => Array.from({ length: rows }, (_, r) => out.data[3 * r + c]);
    expect(col(0).every((v) => v === 0)).toBe(true);
    expect(col(2).every((v) => v === 1)).toBe(true);
    near(mean(col(1)), 0.25, Math.sqrt(0.1875 / rows));
    expect(() => f(new NDArray(new Float64Array(6), [2, 3]), [0.5, 0.5])).toThrow(/p of shape \(2,\) does not broadcast to the size \(2, 3\)/);
    const lo = T.vector('lo');
    const u = fn([x, lo], srng.uniform(x.shape, lo, T.add(lo, 1)), { backend: 'js' })([[0, 0], [0, 0]], [10, 20]);
    expect(u.data[0] >= 10 && u.data[0] < 11 && u.data[1] >= 20 && u.data[1] < 21).toBe(true);
  });

  it('a failed call leaves the stream state unchanged', () => {
    const srng = new random.RandomStreams(8);
    const x = T.vector('x');
    const i = T.ivector('i');
    const f = fn([x, i], [srng.uniform(x.shape), x.get(i)], { backend: 'js' });
    f([1, 2, 3], [0, 2]);
    const before = Array.from(srng.states[0].getValue().data);
    expect(() => f([1, 2, 3], [0, 7])).toThrow(/out of bounds|index/);
    expect(Array.from(srng.states[0].getValue().data)).toEqual(before);
  });

  it('probabilities outside [0, 1] fail the call and leave every state unchanged', () => {
    const srng = new random.RandomStreams(9);
    const p = T.vector('p');
    const pv = T.matrix('pv');
    const u = srng.uniform([4]);
    const f = fn([p, pv], [u, srng.binomial(p.shape, 2, p), srng.multinomial(pv)], { backend: 'js' });
    f([0.5, 1], [[0.5, 0.5]]);
    const before = srng.states.map((s) => Array.from(s.getValue().data));
    expect(() => f([0.5, 1.5], [[0.5, 0.5]])).toThrow(/random binomial: probabilities must be in \[0, 1\], got 1.5 at flat index 1/);
    expect(() => f([0.5, NaN], [[0.5, 0.5]])).toThrow(/got NaN/);
    expect(() => f([0.5, 0.5], [[-0.5, 1.5]])).toThrow(/random multinomial: probabilities must be in \[0, 1\]/);
    expect(srng.states.map((s) => Array.from(s.getValue().data))).toEqual(before);
    expect(() => f([0.5], new NDArray(new Float64Array(0), [2, 0]))).toThrow(/pvals of shape \(2, 0\) has no outcomes/);
    // A constant out of range is refused when the function is compiled.
    expect(() => fn([], srng.multinomial([[2, -1]]), { backend: 'js' })).toThrow(/probabilities must be in \[0, 1\], got 2/);
  });

  it('dropout: the gradient of x * mask wrt x is the mask', () => {
    const srng = new random.RandomStreams(4);
    const x = T.matrix('x');
    const mask = srng.binomial(x.shape, 1, 0.5, 'float64');
    const y = x.mul(mask);
    const gx = grad(y.sum(), x);
    const w = shared(0, 'w');
    // The sample itself has no gradient wrt p: it is disconnected.
    const pv = T.scalar('p');
    expect(() => grad(srng.binomial([3], 1, pv, 'float64').mul(w).sum(), pv)).toThrow(/not part of|disconnected|does not depend/);
    const [m, g] = fn([x], [mask, gx], { backend: 'js' })([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(g.data)).toEqual(Array.from(m.data));
    expect(new Set(m.data).size).toBe(2);
  });

  it('a sample transformed in the graph is reparameterized: d(mu + sigma eps)/d sigma = eps', () => {
    const srng = new random.RandomStreams(6);
    const mu = T.vector('mu');
    const sigma = T.vector('sigma');
    const eps = srng.normal(mu.shape);
    const z = mu.add(sigma.mul(eps));
    const [gmu, gsigma] = grad(z.sum(), [mu, sigma]);
    const [e, a, b] = fn([mu, sigma], [eps, gmu, gsigma], { backend: 'js' })([1, 2, 3], [0.5, 0.5, 0.5]);
    expect(Array.from(a.data)).toEqual([1, 1, 1]);
    expect(Array.from(b.data)).toEqual(Array.from(e.data));
  });

  it('refuses bad arguments with clear errors', () => {
    const srng = new random.RandomStreams(0);
    expect(() => new random.RandomStreams(-1)).toThrow(/seed must be an integer/);
    expect(() => srng.binomial([2], 1, 1.5)).toThrow(/p must be in \[0, 1\]/);
    expect(() => srng.uniform([2], 0, 1, 'int32')).toThrow(/dtype must be float32 or float64/);
    expect(() => srng.multinomial(T.vector('v'))).toThrow(/pvals must be a matrix/);
    expect(() => srng.normal([2], T.matrix('m'))).toThrow(/cannot broadcast to a size of 1/);
  });
});
