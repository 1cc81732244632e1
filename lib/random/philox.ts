/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
 * generator of random.RandomStreams.
 *
 * Why a counter-based generator: block b of a draw is philox(key, counter + b), a pure function
 * of its index, with no state carried from one block to the next. Any split of a draw over
 * threads therefore gives the bits one thread gives, and the TypeScript and the C++ versions
 * (native/src/kernels/random_bits.h) agree as long as both compute the same 32-bit integer
 * arithmetic, which leaves no room for differences.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO32 = 4294967296;

/**
 * The high 32 bits of the 64-bit product of two uint32 (the low ones are Math.imul), as an
 * int32 with those bits: every word is kept as int32 so that V8 keeps them in integer registers.
 */
function mulhi(a: number, b: number): number {
  // Schoolbook on 16-bit halves: every partial product and sum stays below 2^32.
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
}

/**
 * One Philox4x32-10 block: the four words for counter (c0 least significant .. c3) and key
 * (k0, k1), written to `out` as uint32.
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  let x0 = c0 | 0;
  let x1 = c1 | 0;
  let x2 = c2 | 0;
  let x3 = c3 | 0;
  let a = k0 | 0;
  let b = k1 | 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, x0);
    const lo0 = Math.imul(M0, x0);
    const hi1 = mulhi(M1, x2);
    const lo1 = Math.imul(M1, x2);
    x0 = hi1 ^ x1 ^ a;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ b;
    x3 = lo0;
    a = (a + W0) | 0;
    b = (b + W1) | 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

/**
 * A stream state: [key0, key1, counter0 .. counter3] as int32 words (the shared variable's
 * storage), read as uint32. The counter is a 128-bit number, word 0 least significant.
 */
export const STATE_WORDS = 6;

/** The 128-bit counter `state + blocks` (blocks a non-negative integer below 2^53). */
export function advancedCounter(state: ArrayLike<number>, blocks: number): [number, number, number, number] {
  const lo = blocks % TWO32;
  const hi = Math.floor(blocks / TWO32);
  const s0 = (state[2] >>> 0) + lo;
  const s1 = (state[3] >>> 0) + hi + (s0 >= TWO32 ? 1 : 0);
  const s2 = (state[4] >>> 0) + (s1 >= TWO32 ? 1 : 0);
  const s3 = (state[5] >>> 0) + (s2 >= TWO32 ? 1 : 0);
  return [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
}

/**
 * Calls `visit(b, words)` for blocks first .. first + count - 1 of the stream in `state`, with
 * the block's four words (the array is reused between calls).
 */
export function forEachBlock(state: ArrayLike<number>, first: number, count: number, visit: (b: number, w: Uint32Array) => void): void {
  const w = new Uint32Array(4);
  let [c0, c1, c2, c3] = advancedCounter(state, first);
  const k0 = state[0] >>> 0;
  const k1 = state[1] >>> 0;
  for (let i = 0; i < count; i++) {
    philox4x32(c0, c1, c2, c3, k0, k1, w);
    visit(first + i, w);
    // The next counter, carrying through the four words.
    c0 = (c0 + 1) >>> 0;
    if (c0 === 0) {
      c1 = (c1 + 1) >>> 0;
      if (c1 === 0) {
        c2 = (c2 + 1) >>> 0;
        if (c2 === 0) c3 = (c3 + 1) >>> 0;
      }
    }
  }
}
