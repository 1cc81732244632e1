/**
 * From random words to numbers, computed the same way, operation for operation, in
 * native/src/kernels/random_bits.h, so that both backends give the same bits: only IEEE
 * + - * / and sqrt on doubles (both languages round each of them the same way; the C++ file is
 * built without FMA contraction), and integer steps that are exact in a double.
 *
 * The logarithm and the sine/cosine are written here rather than taken from Math, whose results
 * V8 does not promise to match the C library's. Both take their argument as an integer scaled
 * by a power of two (what random bits give), which makes the argument reduction exact.
 * Accuracy (test/random/unit_math.test.ts): lnScaled within 2 ulp of Math.log, cosSinTurn within
 * 2e-16 (absolute) of Math.cos/Math.sin of the same angle.
 */

const TWO26 = 67108864;
/** 2^-k for k = 0 .. 64, each exact (halving is exact). */
const POW2NEG: number[] = (() => {
  const t = [1];
  for (let k = 1; k <= 64; k++) t.push(t[k - 1] * 0.5);
  return t;
})();
const TWO_PI = 6.2831853071795862;
const SQRT2 = 1.4142135623730951;
const LN2_HI = 6.93147180369123816490e-1; // ln 2 to 32 bits: (integer) * LN2_HI is exact
const LN2_LO = 1.90821492927058770002e-10; // the rest of ln 2

/** A double in [0, 1) from 53 random bits: 27 of word a and 26 of word b. */
export const unit53 = (a: number, b: number): number => ((a >>> 5) * TWO26 + (b >>> 6)) * POW2NEG[53];
/** The integer of those 53 bits (0 .. 2^53 - 1). */
export const int53 = (a: number, b: number): number => (a >>> 5) * TWO26 + (b >>> 6);
/** A number in [0, 1) with 24 random bits (exact in float32). */
export const unit24 = (w: number): number => (w >>> 8) * POW2NEG[24];

/** floor(log2 m) for an integer 1 <= m <= 2^53. */
function log2Floor(m: number): number {
  if (m >= 4294967296) return 63 - Math.clz32(Math.floor(m / 4294967296));
  return 31 - Math.clz32(m);
}

/**
 * ln(m * 2^-k) for an integer 1 <= m <= 2^53: m = f * 2^e with f in [sqrt(1/2), sqrt(2)) found
 * exactly, then ln f = 2 atanh(s), s = (f - 1) / (f + 1), |s| < 0.172, by its series to s^21.
 */
export function lnScaled(m: number, k: number): number {
  let e = log2Floor(m);
  let f = m * POW2NEG[e];
  if (f > SQRT2) {
    f *= 0.5;
    e += 1;
  }
  const s = (f - 1) / (f + 1);
  const z = s * s;
  const p =
    0.66666666666666663 +
    z * (0.40000000000000002 + z * (0.2857142857142857 + z * (0.22222222222222221 + z * (0.18181818181818182 + z * (0.15384615384615385 + z * (0.13333333333333333 + z * (0.11764705882352941 + z * (0.10526315789473684 + z * 0.095238095238095233))))))));
  const lnf = s * 2 + s * (z * p);
  const x = e - k;
  return x * LN2_HI + (x * LN2_LO + lnf);
}

/**
 * [cos, sin] of the angle 2π m 2^-k for an integer 0 <= m < 2^k (k <= 53): the quadrant comes
 * from m's integer bits, what is left is an angle in [-π/4, π/4) (one rounding), and Taylor
 * series to degree 17/18 give its sine and cosine.
 */
export function cosSinTurn(m: number, k: number, out: Float64Array): void {
  const quarter = 1 / POW2NEG[k - 2];
  let q = Math.floor(m * POW2NEG[k - 2]);
  let t = m - q * quarter;
  if (t >= quarter * 0.5) {
    t -= quarter;
    q = (q + 1) & 3;
  }
  const phi = t * (TWO_PI * POW2NEG[k]);
  const z = phi * phi;
  const sinP =
    -0.16666666666666666 +
    z * (0.0083333333333333332 + z * (-0.00019841269841269841 + z * (0.0000027557319223985893 + z * (-2.505210838544172e-8 + z * (1.6059043836821613e-10 + z * (-7.6471637318198164e-13 + z * 2.8114572543455206e-15))))));
  const cosP =
    -0.5 +
    z * (0.041666666666666664 + z * (-0.0013888888888888889 + z * (0.000024801587301587302 + z * (-2.7557319223985888e-7 + z * (2.08767569878681e-9 + z * (-1.1470745597729725e-11 + z * (4.7794773323873853e-14 + z * -1.5619206968586225e-16)))))));
  const s = phi + phi * (z * sinP);
  const c = 1 + z * cosP;
  // Rotating by q quarter turns swaps and negates exactly.
  if (q === 0) {
    out[0] = c;
    out[1] = s;
  } else if (q === 1) {
    out[0] = -s;
    out[1] = c;
  } else if (q === 2) {
    out[0] = -c;
    out[1] = -s;
  } else {
    out[0] = s;
    out[1] = -c;
  }
}

/**
 * A pair of standard normals by Box-Muller from a radius integer m1 in [1, 2^k] and an angle
 * integer m2 in [0, 2^k): r = sqrt(-2 ln(m1 2^-k)), then (r cos θ, r sin θ).
 */
export function boxMuller(m1: number, m2: number, k: number, out: Float64Array): void {
  const r = Math.sqrt(-2 * lnScaled(m1, k));
  cosSinTurn(m2, k, out);
  out[0] = r * out[0];
  out[1] = r * out[1];
}
