/**
 * Special functions for the scalar-op table: erf, erfc, erfinv, gamma, gammaln, psi (digamma),
 * trigamma and tetragamma (psi's first and second derivatives). native/src/kernels/special.h implements the same algorithms
 * step for step, so the backends differ only by the last bits of exp, log, pow and sin.
 *
 * Accuracy against mpmath at 40 digits (test/ops/tensor_ops.test.ts measures it over wide
 * ranges; the worst measured error is in brackets):
 *   erf, erfc: relative error below 1e-14 where the result is above 1e-290 [erf 6e-16, erfc
 *     3e-15]; erfc keeps subnormal results, where scipy flushes to 0.
 *   erfinv: relative error below 1e-14 [1e-15] (three Halley steps on erf or erfc from an estimate).
 *   gamma: relative error below 1e-14 up to its overflow at 171.6 [5e-15].
 *   gammaln, psi: relative error below 1e-14 where |result| >= 1, absolute below 1e-14 where it
 *     is smaller (near their zeros: gammaln at 1 and 2, psi at 1.4616...) [3.5e-15, 1e-15].
 *   trigamma, tetragamma: relative error below 1e-14 [6e-16, 7e-16].
 * The native kernels follow the same steps; test/backend/native/libm.test.ts bounds the
 * difference in ulps.
 */

const SQRT_PI = 1.7724538509055159;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const LOG_SQRT_2PI = 0.9189385332046728;
const SQRT_2PI = 2.5066282746310002;

/** sin(pi x), with the argument reduced exactly (x mod 2 is exact in binary floating point). */
export function sinpi(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  let r = x % 2;
  if (r < -1) r += 2;
  else if (r >= 1) r -= 2;
  if (r > 0.5) r = 1 - r;
  else if (r < -0.5) r = -1 - r;
  return Math.sin(Math.PI * r);
}

/** cot(pi x) from sin(pi x) and cos(pi x) = sin(pi (x + 1/2)), both reduced exactly: tan(pi x) loses digits near its poles. */
function cotpi(x: number): number {
  return sinpi((x % 2) + 0.5) / sinpi(x);
}

/** erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)): terms of one sign, no cancellation. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * e^{-x^2} without the rounding of x^2 (half an ulp of x^2 is 6e-14 relative at x = 25): with
 * h = x rounded to float32, h^2 is exact, and x^2 - h^2 = (x - h)(x + h) is small.
 */
function expMinusSquare(x: number): number {
  const h = Math.fround(x);
  return Math.exp(-h * h) * Math.exp(-(x - h) * (x + h));
}

/** erfc(x) for x >= 1: e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by Lentz's method. */
function erfcFraction(x: number): number {
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 400; k++) {
    const a = k / 2;
    d = 1 / (x + a * d);
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 2e-16) break;
  }
  return expMinusSquare(x) / SQRT_PI / f;
}

export function erf(x: number): number {
  if (x !== x) return x;
  const a = Math.abs(x);
  if (a < 1) return erfSeries(x);
  if (a > 6) return x > 0 ? 1 : -1;
  const r = 1 - erfcFraction(a);
  return x > 0 ? r : -r;
}

export function erfc(x: number): number {
  if (x !== x) return x;
  if (Math.abs(x) < 1) return 1 - erfSeries(x);
  if (x > 27.3) return 0; // below the smallest subnormal
  if (x < -6) return 2;
  return x > 0 ? erfcFraction(x) : 2 - erfcFraction(-x);
}

/**
 * erfinv(y): Winitzki's closed-form estimate (relative error about 2e-3), then Halley steps on
 * g(x) = erf(x) - y, written as (1 - y) - erfc(x) when |y| > 0.5 so that y near 1 keeps its
 * digits. g'' / g' = -2x makes each step x -= t / (1 + x t) with t = g / g'.
 */
export function erfinv(y: number): number {
  if (y !== y || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  if (y === 0) return y;
  const s = y < 0 ? -1 : 1;
  const a = Math.abs(y);
  const oneMinus = 1 - a; // exact for a >= 0.5
  const l = Math.log(oneMinus * (1 + a));
  const k = 2 / (Math.PI * 0.147) + l / 2;
  let x = Math.sqrt(Math.sqrt(k * k - l / 0.147) - k);
  for (let i = 0; i < 3; i++) {
    const g = a > 0.5 ? oneMinus - erfc(x) : erf(x) - a;
    const t = g / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
    x -= t / (1 + x * t);
  }
  return s * x;
}

// Lanczos' approximation with g = 7 and nine terms (relative error about 1e-15 for x > 0.5).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** The Lanczos sum A(z) for Gamma(z + 1) = sqrt(2 pi) t^{z + 1/2} e^{-t} A(z), t = z + g + 1/2. */
function lanczosSum(z: number): number {
  let a = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i);
  return a;
}

/**
 * Stirling's series for x >= 10: Gamma(x) = sqrt(2 pi) x^{x - 1/2} e^{-x} e^{S(x)}, S the sum of
 * B_2k / (2k (2k - 1) x^{2k - 1}) to k = 7 (the next term is below 1e-16 at x = 10). Lanczos'
 * nine-term sum drifts there (its own relative error reaches 1e-13 near 170).
 */
function gammaStirling(x: number): number {
  const f = 1 / (x * x);
  const s = (1 / x) * (1 / 12 - f * (1 / 360 - f * (1 / 1260 - f * (1 / 1680 - f * (1 / 1188 - f * (691 / 360360 - f / 156))))));
  // x^{x - 1/2} as two halves: each stays finite up to the overflow of the result.
  const p = Math.pow(x, (x - 0.5) / 2);
  return SQRT_2PI * ((p * Math.exp(-x)) * p) * Math.exp(s);
}

export function gamma(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return 1 / x; // +inf or -inf, by the sign of zero, as scipy
  if (x < 0 && Number.isInteger(x)) return NaN;
  if (x < 0.5) return Math.PI / (sinpi(x) * gamma(1 - x));
  if (x > 171.7) return Infinity;
  if (x >= 10) return gammaStirling(x);
  const z = x - 1;
  const t = z + LANCZOS_G + 0.5;
  // t^{z+1/2} as two halves: each stays finite up to the overflow of the result.
  const p = Math.pow(t, (z + 0.5) / 2);
  return SQRT_2PI * lanczosSum(z) * (p * Math.exp(-t)) * p;
}

/** log |Gamma(x)|, as scipy's gammaln. */
export function gammaln(x: number): number {
  if (x !== x) return x;
  if (!Number.isFinite(x)) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(sinpi(x))) - gammaln(1 - x);
  const z = x - 1;
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(lanczosSum(z));
}

/** Recurrence up to x >= 10, then the asymptotic series with Bernoulli numbers B2 ... B14. */
export function psi(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return -1 / x;
  if (x < 0) {
    if (Number.isInteger(x)) return NaN;
    // psi(1 - x) - psi(x) = pi cot(pi x).
    return psi(1 - x) - Math.PI * cotpi(x);
  }
  let r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  const tail = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132 - f * (691 / 32760 - f / 12))))));
  return r + Math.log(x) - 0.5 / x - tail;
}

/** psi'(x): recurrence up to x >= 10, then 1/x + 1/(2x^2) + sum B_2k / x^{2k+1}. */
export function trigamma(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === Infinity) return 0;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0) {
    const s = sinpi(x);
    return (Math.PI * Math.PI) / (s * s) - trigamma(1 - x);
  }
  let r = 0;
  while (x < 10) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  const series = 1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30 - f * (5 / 66 - f * (691 / 2730 - f * (7 / 6))))));
  return r + 1 / x + f / 2 + (f / x) * series;
}

/**
 * psi''(x): recurrence up to x >= 20, then -(1/x^2 + 1/x^3 + sum B_2k (2k + 1) / x^{2k+2}) to
 * k = 7; for x < 0, psi''(1 - x) - psi''(x) = 2 pi^3 cot(pi x) / sin^2(pi x).
 */
export function tetragamma(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === Infinity) return -0;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0) {
    const s = sinpi(x);
    return tetragamma(1 - x) - (2 * Math.PI * Math.PI * Math.PI * cotpi(x)) / (s * s);
  }
  let r = 0;
  while (x < 20) {
    r -= 2 / (x * x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  const series = 1 / 2 - f * (1 / 6 - f * (1 / 6 - f * (3 / 10 - f * (5 / 6 - f * (691 / 210 - (f * 35) / 2)))));
  return r - (f + f / x + f * f * series);
}

/** numpy's remainder: the sign of the divisor (fmod, then moved by one divisor when the signs differ). */
export function mod(a: number, b: number): number {
  const m = a % b;
  if (m !== 0) return (m < 0) !== (b < 0) ? m + b : m;
  return b < 0 ? -0 : 0;
}

/**
 * numpy's floor_divide: the quotient that goes with `mod` (a - mod) / b, rounded to the nearest
 * integer, so 1 // 0.1 is 9 as in numpy (floor(1 / 0.1) would be 10). b == 0 gives a / b; for
 * integers the step's int32 rounding then turns inf and NaN into 0, as numpy does.
 */
export function intDiv(a: number, b: number): number {
  if (b === 0) return a / b;
  let m = a % b;
  let div = (a - m) / b;
  if (m !== 0 && (b < 0) !== (m < 0)) {
    m += b;
    div -= 1;
  }
  if (div === 0) return a / b < 0 ? -0 : 0;
  const fl = Math.floor(div);
  return div - fl > 0.5 ? fl + 1 : fl;
}
