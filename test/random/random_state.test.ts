/** RandomState against numpy.random.RandomState, value for value (fixtures from gen_random.py). */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/random.json';
import { RandomState } from '../../lib/random/index.js';
import { NDArray, array } from '../../lib/ndarray/ndarray.js';
import { libmLog } from '../../lib/random/libm_log.js';
import { createHash } from 'node:crypto';

const list = (a: NDArray | number) => (typeof a === 'number' ? [a] : Array.from(a.data));

describe('RandomState matches numpy', () => {
  for (const seed of ['0', '1', '42', String(2 ** 32 - 1)]) {
    it(`seed ${seed}: a sequence of calls on one generator`, () => {
      const f = (fixture as any)[seed];
      const r = new RandomState(Number(seed));
      expect(list(r.rand(5))).toEqual(f.rand);
      expect(list(r.randn(7))).toEqual(f.randn);
      expect(list(r.randn(3))).toEqual(f.randn_after);
      expect(list(r.uniform(-2, 3, 4))).toEqual(f.uniform);
      expect(list(r.normal(1.5, 0.5, [2, 2]))).toEqual(f.normal);
      expect(list(r.randint(0, 2, 10))).toEqual(f.randint_small);
      expect(list(r.randint(-5, 17, 10))).toEqual(f.randint_range);
      expect(list(r.randint(0, 256, 6))).toEqual(f.randint_pow2);
      expect(list(r.randint(-(2 ** 31), 2 ** 31 - 1, 6))).toEqual(f.randint_big);
      expect(r.randint(7)).toBe(f.randint_one);
      expect(list(r.binomial(10, 0.3, 12))).toEqual(f.binomial_small);
      expect(list(r.binomial(1000, 0.4, 12))).toEqual(f.binomial_large);
      expect(list(r.binomial(200, 0.9, 8))).toEqual(f.binomial_high_p);
      expect(list(r.binomial(20, 0.95, 8))).toEqual(f.binomial_small_high_p);
      expect(list(r.permutation(10))).toEqual(f.permutation);
      expect(list(r.permutation(1))).toEqual(f.permutation_1);
      const rows = array(Array.from({ length: 4 }, (_, i) => [3 * i, 3 * i + 1, 3 * i + 2]));
      r.shuffle(rows);
      expect(rows.toArray()).toEqual(f.shuffle_rows);
      expect(list(r.rand(3))).toEqual(f.after);
    });
  }

  it('seeds from an array like numpy (init_by_array)', () => {
    expect(list(new RandomState([1, 2, 3]).rand(4))).toEqual(fixture.array_seed);
  });

  it("reproduces the seed example's data", () => {
    const r = new RandomState(0);
    const X = r.randn(400, 784);
    const y = r.randint(0, 2, [400]);
    const w = r.randn(784);
    for (const [i, v] of Object.entries(fixture.seed_example.x_at)) expect(X.data[Number(i)]).toBe(v);
    expect(Array.from(X.data).reduce((a, b) => a + b, 0)).toBeCloseTo(fixture.seed_example.x_sum, 8);
    const bytes = Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(fixture.seed_example.x_sha256);
    expect(list(y)).toEqual(fixture.seed_example.y);
    expect(list(w).slice(0, 5)).toEqual(fixture.seed_example.w_head);
    expect(y.dtype).toBe('int32');
  });

  it('computes log exactly as the C library numpy calls does', () => {
    const { x, y } = (fixture as any).libm_log;
    const wrong = x.filter((v: number, i: number) => !Object.is(libmLog(v), y[i]));
    expect(wrong).toEqual([]);
  });

  it('restores a saved state, and checks its arguments', () => {
    const r = new RandomState(5);
    r.randn(3);
    const st = r.getState();
    const a = list(r.randn(4));
    r.setState(st);
    expect(list(r.randn(4))).toEqual(a);
    expect(() => new RandomState(-1)).toThrow(/seed must be an integer/);
    expect(() => r.randint(3, 3)).toThrow(/low >= high/);
    expect(() => r.randint(0, 2 ** 33)).toThrow(/do not fit in int32/);
    expect(() => r.binomial(5, 1.5)).toThrow(/p must be in \[0, 1\]/);
    expect(() => r.rand(-1)).toThrow(/size must be non-negative/);
  });
});
