/**
 * random.RandomStreams: symbolic random draws in the spirit of Theano's MRG_RandomStreams. Each
 * draw owns a state shared variable (an int32 vector: Philox key and 128-bit counter) whose
 * default update moves the counter past what the draw used, so every call of a compiled
 * function draws afresh; the same seed gives the same numbers on the js and native backends.
 *
 * The samples have no gradient wrt the distribution's parameters (disconnected). For a
 * reparameterized sample, draw the standard one and transform it in the graph:
 * `mu.add(sigma.mul(srng.normal(mu.shape)))` has gradients wrt mu and sigma.
 */
import { SharedVariable, Variable } from '../graph/variable.js';
import { TensorLike, asVariable } from '../graph/as_variable.js';
import { NDArray, array } from '../ndarray/ndarray.js';
import { DType, isFloat } from '../ndarray/dtype.js';
import { config } from '../config.js';
import { shared } from '../shared.js';
import { ShapeArg, shapeScalars } from '../ops/alloc.js';
import { Distribution, RandomAdvance, RandomDraw } from '../ops/random.js';
import { STATE_WORDS } from './philox.js';

/** A distribution parameter: a number or a Variable (broadcast to the size). */
export type ParamLike = number | Variable;

function checkSeed(seed: number, where: string): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`${where}: seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
}

/** Substream `index` of `seed`: Philox key (seed, index), counter 0. */
function initialState(seed: number, index: number): NDArray {
  const s = new Int32Array(STATE_WORDS);
  s[0] = seed | 0;
  s[1] = index | 0;
  return new NDArray(s, [STATE_WORDS], 'int32');
}

function param(v: ParamLike, what: string, where: string): Variable {
  if (typeof v === 'number') return asVariable(array(v, { dtype: 'float64' }));
  const x = asVariable(v as TensorLike, `${where} ${what}`);
  if (x.dtype === 'bool') throw new TypeError(`${where}: ${what} must be numeric, got ${x.type.describe()}`);
  return x;
}

function floatDType(dtype: DType | undefined, where: string): DType {
  const d = dtype ?? config.floatX;
  if (!isFloat(d)) throw new TypeError(`${where}: dtype must be float32 or float64, got ${d}`);
  return d;
}

/**
 * Symbolic random streams, like Theano's `MRG_RandomStreams(seed)`.
 * @example
 * ```ts
 * const srng = new random.RandomStreams(1234);
 * const mask = srng.binomial(h.shape, 1, 0.5, config.floatX);  // dropout
 * const f = fn([x], h.mul(mask));                               // a new mask each call
 * ```
 */
export class RandomStreams {
  /** Every draw's state variable, in draw order (draw k has Philox key (seed, k)). */
  readonly states: SharedVariable[] = [];
  private seedValue: number;

  constructor(seed = 0) {
    checkSeed(seed, 'RandomStreams');
    this.seedValue = seed;
  }

  /** Every draw's [state, advanced state] pair (what `fn` adds as default updates), like Theano's `updates()`. */
  updates(): [SharedVariable, Variable][] {
    return this.states.map((s) => [s, s.defaultUpdate!]);
  }

  /** Start every stream over from `seed`, as a new RandomStreams(seed) would. */
  seed(seed: number): void {
    checkSeed(seed, 'RandomStreams.seed');
    this.seedValue = seed;
    this.states.forEach((s, k) => s.setValue(initialState(seed, k)));
  }

  /** Uniform numbers in [low, high) of shape `size`; dtype default config.floatX. */
  uniform(size: ShapeArg, low: ParamLike = 0, high: ParamLike = 1, dtype?: DType): Variable {
    const where = 'RandomStreams.uniform';
    return this.draw('uniform', floatDType(dtype, where), 1, [param(low, 'low', where), param(high, 'high', where)], shapeScalars(size, where));
  }

  /** Normal numbers with mean `avg` and standard deviation `std` (Box-Muller); dtype default config.floatX. */
  normal(size: ShapeArg, avg: ParamLike = 0, std: ParamLike = 1, dtype?: DType): Variable {
    const where = 'RandomStreams.normal';
    return this.draw('normal', floatDType(dtype, where), 1, [param(avg, 'avg', where), param(std, 'std', where)], shapeScalars(size, where));
  }

  /**
   * Binomial(n, p) counts of shape `size`: the number of n uniforms below p. dtype default
   * int32 (Theano's MRG default is int64, which theanode stores as int32); pass config.floatX
   * for a dropout mask that keeps float32 activations float32.
   */
  binomial(size: ShapeArg, n = 1, p: ParamLike = 0.5, dtype: DType = 'int32'): Variable {
    const where = 'RandomStreams.binomial';
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${where}: n must be a non-negative integer, got ${n}`);
    if (typeof p === 'number' && !(p >= 0 && p <= 1)) throw new RangeError(`${where}: p must be in [0, 1], got ${p}`);
    return this.draw('binomial', dtype, n, [param(p, 'p', where)], shapeScalars(size, where));
  }

  /**
   * One multinomial draw of `n` per row of the matrix `pvals` (rows sum to 1): counts of the
   * same shape as pvals, each row summing to n. dtype default int32 (Theano's MRG: int64).
   */
  multinomial(pvals: Variable | NDArray | number[][], opts: { n?: number; dtype?: DType } = {}): Variable {
    const where = 'RandomStreams.multinomial';
    const n = opts.n ?? 1;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${where}: n must be a non-negative integer, got ${n}`);
    // Literal probabilities are doubles even when written as whole numbers ([[0, 1], [1, 0]]).
    const literal = pvals instanceof NDArray ? pvals.astype('float64') : Array.isArray(pvals) ? array(pvals, { dtype: 'float64' }) : pvals;
    const p = asVariable(literal as TensorLike, `${where} pvals`);
    if (!isFloat(p.dtype)) throw new TypeError(`${where}: pvals must be floats, got ${p.type.describe()}`);
    return this.draw('multinomial', opts.dtype ?? 'int32', n, [p], []);
  }

  private draw(dist: Distribution, dtype: DType, trials: number, params: Variable[], dims: Variable[]): Variable {
    const k = this.states.length;
    const state = shared(initialState(this.seedValue, k), `random_state_${k}`);
    this.states.push(state);
    const sample = new RandomDraw(dist, dtype, trials).makeNode(state, ...params, ...dims).outputs[0];
    state.defaultUpdate = new RandomAdvance(dist, dtype, trials).makeNode(state, sample).outputs[0];
    return sample;
  }
}
