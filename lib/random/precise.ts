/**
 * A correctly rounded exp. numpy's binomial sampler calls the C library's exp, which is
 * correctly rounded in practice; V8's Math.exp is faithful but can be one unit off in the last
 * place. This refines the result with double-double arithmetic (Dekker's exact products).
 */

const SPLITTER = 134217729; // 2^27 + 1

/** a*b as an exact sum hi + lo. */
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b), bl = b - bh;
  return [p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)];
}

function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}

/** (ah + al) * (bh + bl) as double-double. */
function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e] = twoProd(ah, bh);
  return twoSum(p, e + (ah * bl + al * bh));
}

function ddAdd(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [s, e] = twoSum(ah, bh);
  return twoSum(s, e + al + bl);
}

const LN2_HI = 6.93147180369123816490e-1; // low 32 bits zero: k * LN2_HI is exact
const LN2_LO = 1.90821492927058770002e-10;
const LN2_LO2 = 1.1612227229362532e-26; // ln 2 - LN2_HI - LN2_LO

/** exp(x) as a double-double [hi, lo], relative error far below 2^-80 for |x| < 700. */
export function expDD(x: number): [number, number] {
  const k = Math.round(x / Math.LN2);
  // r = x - k ln2 in double-double; x - k*LN2_HI is exact (the two are within a factor of 2).
  const [p, pe] = twoProd(k, LN2_LO);
  const [rh, r0] = twoSum(x - k * LN2_HI, -p);
  const rl = r0 - pe - k * LN2_LO2;
  // Taylor series of exp(r), |r| <= ln2/2: 27 terms are more than enough.
  let sh = 1, sl = 0;
  let th = 1, tl = 0;
  for (let i = 1; i <= 27; i++) {
    [th, tl] = ddMul(th, tl, rh, rl);
    th /= i;
    tl /= i;
    [sh, sl] = ddAdd(sh, sl, th, tl);
    if (Math.abs(th) < 1e-40) break;
  }
  const scale = 2 ** k;
  return [sh * scale, sl * scale];
}

/** exp(x), correctly rounded except in astronomically rare ties. */
export function exp(x: number): number {
  if (!(Math.abs(x) < 700)) return Math.exp(x);
  const [h, l] = expDD(x);
  return h + l;
}
