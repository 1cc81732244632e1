/**
 * The sampling loops of random.RandomStreams' kernels (lib/ops/random.ts), over typed arrays.
 * native/src/kernels/random.cc runs the same loops; both map element i of a draw to the same
 * Philox block and words, so any split of a draw gives the same numbers:
 *   uniform, normal  float64: element i uses block floor(i / 2) (two words each);
 *                    float32: element i uses block floor(i / 4) (one word each; normals pair
 *                    words 0,1 and 2,3 of a block);
 *   binomial, multinomial: uniform t (trial k of element i is t = k * count + i) uses block
 *                    floor(t / 2), as a 53-bit double.
 * A draw moves the stream's counter past the blocks it used (blocksUsed).
 */
import type { TypedArray } from '../ndarray/dtype.js';
import { forEachBlock, philox4x32, advancedCounter } from './philox.js';
import { boxMuller, int53, unit24, unit53 } from './unit_math.js';

/** How many elements one Philox block gives: 4 from 24- or 32-bit words, 2 from 53-bit doubles. */
export const perBlock = (float32: boolean): number => (float32 ? 4 : 2);

/** Blocks a draw of `uniforms` numbers takes, `per` to a block. */
export const blocksUsed = (uniforms: number, per: number): number => Math.ceil(uniforms / per);

/** The state after a draw: the same key, the counter moved on by `blocks`. */
export function advanceState(state: TypedArray, blocks: number, out: TypedArray): void {
  const c = advancedCounter(state, blocks);
  out[0] = state[0];
  out[1] = state[1];
  for (let i = 0; i < 4; i++) out[2 + i] = c[i] | 0;
}

/** The offsets into a parameter broadcast (numpy style, right-aligned) over the output, in C order. */
export class Cursor {
  private readonly idx: number[];
  private readonly strides: number[];
  private readonly scalar: boolean;
  offset = 0;

  constructor(param: readonly number[], private readonly out: readonly number[]) {
    const lead = out.length - param.length;
    this.strides = out.map(() => 0);
    let acc = 1;
    for (let ax = param.length - 1; ax >= 0; ax--) {
      this.strides[lead + ax] = param[ax] === 1 ? 0 : acc;
      acc *= param[ax];
    }
    this.scalar = this.strides.every((s) => s === 0);
    this.idx = out.map(() => 0);
  }

  /** Back to element 0. */
  reset(): void {
    this.idx.fill(0);
    this.offset = 0;
  }

  /** On to the next element. */
  step(): void {
    if (this.scalar) return;
    for (let ax = this.out.length - 1; ax >= 0; ax--) {
      this.idx[ax]++;
      this.offset += this.strides[ax];
      if (this.idx[ax] < this.out[ax]) return;
      this.offset -= this.strides[ax] * this.out[ax];
      this.idx[ax] = 0;
    }
  }
}

/** Uniform 53-bit doubles t, t + 1, ... of a stream, computed a block at a time. */
class Unit53Stream {
  private readonly w = new Uint32Array(4);
  private c: [number, number, number, number];
  private lane: number;

  constructor(private readonly state: TypedArray, t: number) {
    this.c = advancedCounter(state, Math.floor(t / 2));
    this.lane = t % 2;
    this.fill();
  }

  private fill(): void {
    philox4x32(this.c[0], this.c[1], this.c[2], this.c[3], this.state[0], this.state[1], this.w);
  }

  next(): number {
    if (this.lane === 2) {
      const c = this.c;
      c[0] = (c[0] + 1) >>> 0;
      if (c[0] === 0 && (c[1] = (c[1] + 1) >>> 0) === 0 && (c[2] = (c[2] + 1) >>> 0) === 0) c[3] = (c[3] + 1) >>> 0;
      this.fill();
      this.lane = 0;
    }
    const u = unit53(this.w[2 * this.lane], this.w[2 * this.lane + 1]);
    this.lane++;
    return u;
  }
}

export interface Param {
  data: TypedArray;
  shape: readonly number[];
}

/** out[i] = low + (high - low) * u_i, u_i uniform in [0, 1). */
export function drawUniform(state: TypedArray, low: Param, high: Param, out: TypedArray, shape: readonly number[], float32: boolean): void {
  const n = out.length;
  const lo = new Cursor(low.shape, shape);
  const hi = new Cursor(high.shape, shape);
  const per = perBlock(float32);
  forEachBlock(state, 0, blocksUsed(n, per), (b, w) => {
    for (let l = 0; l < per; l++) {
      const i = b * per + l;
      if (i >= n) return;
      const u = float32 ? unit24(w[l]) : unit53(w[2 * l], w[2 * l + 1]);
      const a = low.data[lo.offset];
      out[i] = a + (high.data[hi.offset] - a) * u;
      lo.step();
      hi.step();
    }
  });
}

/** out[i] = avg + std * z_i, z_i standard normal (Box-Muller pairs). */
export function drawNormal(state: TypedArray, avg: Param, std: Param, out: TypedArray, shape: readonly number[], float32: boolean): void {
  const n = out.length;
  const mu = new Cursor(avg.shape, shape);
  const sd = new Cursor(std.shape, shape);
  const per = perBlock(float32);
  const z = new Float64Array(2);
  const put = (i: number, v: number) => {
    if (i >= n) return;
    out[i] = avg.data[mu.offset] + std.data[sd.offset] * v;
    mu.step();
    sd.step();
  };
  forEachBlock(state, 0, blocksUsed(n, per), (b, w) => {
    if (float32) {
      for (let pair = 0; pair < 2; pair++) {
        boxMuller(w[2 * pair] + 1, w[2 * pair + 1], 32, z);
        put(b * 4 + 2 * pair, z[0]);
        put(b * 4 + 2 * pair + 1, z[1]);
      }
    } else {
      boxMuller(int53(w[0], w[1]) + 1, int53(w[2], w[3]), 53, z);
      put(b * 2, z[0]);
      put(b * 2 + 1, z[1]);
    }
  });
}

/** out[i] = the number of k < trials with u_{k n + i} < p_i. */
export function drawBinomial(state: TypedArray, p: Param, trials: number, out: TypedArray, shape: readonly number[]): void {
  const n = out.length;
  const counts = new Float64Array(n);
  const cur = new Cursor(p.shape, shape);
  const s = new Unit53Stream(state, 0);
  for (let k = 0; k < trials; k++) {
    cur.reset();
    for (let i = 0; i < n; i++) {
      if (s.next() < p.data[cur.offset]) counts[i] += 1;
      cur.step();
    }
  }
  for (let i = 0; i < n; i++) out[i] = counts[i];
}

/**
 * Row r of pvals (rows x cols) gets `trials` draws: draw k takes u = u_{k rows + r} and counts
 * one for the first column whose running sum of probabilities exceeds u (the last column with a
 * non-zero probability when rounding leaves the sum at or below u).
 */
export function drawMultinomial(state: TypedArray, pvals: TypedArray, rows: number, cols: number, trials: number, out: TypedArray): void {
  const counts = new Float64Array(rows * cols);
  const s = new Unit53Stream(state, 0);
  for (let k = 0; k < trials; k++) {
    for (let r = 0; r < rows; r++) {
      const u = s.next();
      counts[r * cols + pick(pvals, r * cols, cols, u)] += 1;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = counts[i];
}

function pick(p: TypedArray, row: number, cols: number, u: number): number {
  let sum = 0;
  let last = cols - 1;
  for (let c = 0; c < cols; c++) {
    const pc = p[row + c];
    sum += pc;
    if (u < sum) return c;
    if (pc > 0) last = c;
  }
  return last;
}
