/**
 * random.RandomState: numpy.random.RandomState's streams, value for value (MT19937 with
 * numpy's seeding and legacy algorithms), so data and results compare with numpy and Theano.
 * random.RandomStreams (lib/random/streams.ts): symbolic draws inside compiled functions.
 * @module
 */
import { MT19937 } from './mt19937.js';
import { BinomialState, GaussState, boundedMasked, legacyBinomial, legacyGauss, newBinomialState, randomInterval } from './distributions.js';
import { NDArray } from '../ndarray/ndarray.js';
import { sizeOf } from '../ndarray/shape.js';
import { allocate } from '../ndarray/dtype.js';

export { RandomStreams } from './streams.js';
export type { ParamLike } from './streams.js';
export type { ShapeArg } from '../ops/alloc.js';

/** An output shape: a number, a list of numbers, or null/undefined for a single number. */
export type Size = number | readonly number[] | null | undefined;

function shapeOf(size: Size, where: string): number[] | null {
  if (size === null || size === undefined) return null;
  const s = typeof size === 'number' ? [size] : [...size];
  for (const d of s) if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: size must be non-negative integers, got ${JSON.stringify(size)}`);
  return s;
}

/**
 * numpy's `RandomState`: the same seed gives the same numbers as numpy, bit for bit.
 * @example
 * ```ts
 * const rng = new random.RandomState(0);
 * const X = rng.randn(400, 784), y = rng.randint(0, 2, [400]);
 * ```
 */
export class RandomState {
  private bg = new MT19937();
  private gaussState: GaussState = { hasGauss: false, gauss: 0 };
  private binomialState: BinomialState = newBinomialState();

  constructor(seed: number | readonly number[] = 0) {
    this.seed(seed);
  }

  /** Reseed: an integer (0 ≤ seed < 2^32) or an array of them, as numpy. */
  seed(seed: number | readonly number[]): void {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`RandomState: seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
      this.bg.seed(seed);
    } else {
      if (seed.length === 0 || seed.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) throw new RangeError('RandomState: a seed array must be a non-empty list of integers between 0 and 2**32 - 1');
      this.bg.seedArray(seed);
    }
    this.gaussState = { hasGauss: false, gauss: 0 };
    this.binomialState = newBinomialState();
  }

  /** The generator's state, to restore later with setState. */
  getState(): { key: Uint32Array; pos: number; hasGauss: boolean; gauss: number } {
    return { key: this.bg.mt.slice(), pos: this.bg.index, hasGauss: this.gaussState.hasGauss, gauss: this.gaussState.gauss };
  }

  /** Restore a state from `getState()` (or numpy's `get_state()` parts). */
  setState(s: { key: ArrayLike<number>; pos: number; hasGauss?: boolean; gauss?: number }): void {
    if (s.key.length !== 624 || !Number.isInteger(s.pos) || s.pos < 0 || s.pos > 624) throw new RangeError('RandomState.setState: expected 624 key words and a position in [0, 624]');
    this.bg.mt.set(s.key);
    this.bg.index = s.pos;
    this.gaussState = { hasGauss: !!s.hasGauss, gauss: s.gauss ?? 0 };
  }

  private fill(size: Size, where: string, draw: () => number, dtype: 'float64' | 'int32' = 'float64'): number | NDArray {
    const shape = shapeOf(size, where);
    if (!shape) return draw();
    const data = allocate(dtype, sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = draw();
    return new NDArray(data, shape, dtype);
  }

  /** Uniform doubles in [0, 1). */
  random_sample(): number;
  random_sample(size: number | readonly number[]): NDArray;
  random_sample(size?: Size): number | NDArray;
  random_sample(size?: Size): number | NDArray {
    return this.fill(size, 'random_sample', () => this.bg.nextDouble());
  }

  /** rand(d0, d1, ...): uniform doubles in [0, 1) of that shape (a number without arguments). */
  rand(): number;
  rand(...shape: [number, ...number[]]): NDArray;
  rand(...shape: number[]): number | NDArray {
    return shape.length ? this.random_sample(shape) : this.random_sample();
  }

  /** randn(d0, d1, ...): standard normal samples of that shape (a number without arguments). */
  randn(): number;
  randn(...shape: [number, ...number[]]): NDArray;
  randn(...shape: number[]): number | NDArray {
    return this.fill(shape.length ? shape : null, 'randn', () => legacyGauss(this.bg, this.gaussState));
  }

  /** One number uniform in [low, high), as numpy's `uniform`. */
  uniform(low?: number, high?: number): number;
  /** An array of `size` uniform in [low, high). */
  uniform(low: number, high: number, size: number | readonly number[]): NDArray;
  uniform(low = 0, high = 1, size?: Size): number | NDArray {
    const range = high - low;
    if (!Number.isFinite(range)) throw new RangeError(`uniform: high - low must be finite, got low=${low}, high=${high}`);
    return this.fill(size, 'uniform', () => low + range * this.bg.nextDouble());
  }

  /** One number from N(loc, scale²), as numpy's `normal`. */
  normal(loc?: number, scale?: number): number;
  /** An array of `size` from N(loc, scale²). */
  normal(loc: number, scale: number, size: number | readonly number[]): NDArray;
  normal(loc = 0, scale = 1, size?: Size): number | NDArray {
    if (!(scale >= 0)) throw new RangeError(`normal: scale must be non-negative, got ${scale}`);
    return this.fill(size, 'normal', () => loc + scale * legacyGauss(this.bg, this.gaussState));
  }

  /** Integers in [low, high) (or [0, low) with one bound), as int32. */
  randint(low: number, high?: number): number;
  randint(low: number, high: number, size: number | readonly number[]): NDArray;
  randint(low: number, high?: number, size?: Size): number | NDArray {
    const [lo, hi] = high === undefined ? [0, low] : [low, high];
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new TypeError(`randint: bounds must be integers, got ${lo} and ${hi}`);
    if (lo >= hi) throw new RangeError(`randint: low >= high (${lo} >= ${hi})`);
    if (lo < -2147483648 || hi - 1 > 2147483647) throw new RangeError(`randint: bounds [${lo}, ${hi}) do not fit in int32`);
    const rng = hi - 1 - lo;
    return this.fill(size, 'randint', () => lo + boundedMasked(this.bg, rng), 'int32');
  }

  /** Binomial(n, p) counts, as int32. */
  binomial(n: number, p: number): number;
  binomial(n: number, p: number, size: number | readonly number[]): NDArray;
  binomial(n: number, p: number, size?: Size): number | NDArray {
    if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new RangeError(`binomial: n must be a non-negative int32, got ${n}`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: p must be in [0, 1], got ${p}`);
    return this.fill(size, 'binomial', () => legacyBinomial(this.bg, n, p, this.binomialState), 'int32');
  }

  /** A shuffled copy of arange(n), or of an array along its first axis. */
  permutation(x: number | NDArray): NDArray {
    if (typeof x === 'number') {
      if (!Number.isInteger(x) || x < 0) throw new RangeError(`permutation: expected a non-negative integer or an array, got ${x}`);
      // A plain loop: Int32Array.from with a map function took 3.5-4 ms for 60000 ids, more than
      // the shuffle (about 1.6 ms).
      const ids = new Int32Array(x);
      for (let i = 0; i < x; i++) ids[i] = i;
      const a = new NDArray(ids, [x], 'int32');
      this.shuffle(a);
      return a;
    }
    const copy = x.copy();
    this.shuffle(copy);
    return copy;
  }

  /** Shuffle an array in place along its first axis (numpy's legacy Fisher-Yates). */
  shuffle(a: NDArray): void {
    if (!(a instanceof NDArray)) throw new TypeError('shuffle: expected an NDArray');
    if (a.ndim === 0) throw new TypeError('shuffle: cannot shuffle a 0-d array');
    const n = a.shape[0];
    const row = n === 0 ? 0 : a.size / n;
    const d = a.data;
    if (row === 1) {
      for (let i = n - 1; i > 0; i--) {
        const j = randomInterval(this.bg, i);
        const t = d[i];
        d[i] = d[j];
        d[j] = t;
      }
      return;
    }
    const tmp = d.slice(0, row);
    for (let i = n - 1; i > 0; i--) {
      const j = randomInterval(this.bg, i);
      tmp.set(d.subarray(j * row, (j + 1) * row));
      d.copyWithin(j * row, i * row, (i + 1) * row);
      d.set(tmp, i * row);
    }
  }
}
