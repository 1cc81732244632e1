/**
 * log(x) computed the way the C library on x86-64 Linux computes it (glibc 2.28+ with FMA: a
 * 128-entry table of 1/c and log c, then a degree-6 polynomial of r = z/c - 1), so that
 * numpy's samplers, which call it, can be reproduced bit for bit. Only the one fused
 * multiply-adds (the library is built with contraction) are emulated with Dekker's product.
 */
import { A, B, LN2_HI, LN2_LO, TABLE } from './log_table.js';

const view = new DataView(new ArrayBuffer(8));
const SPLITTER = 134217729; // 2^27 + 1

/** a*b + c with the product kept exact (the rounding of the sum is single in all but rare ties). */
function fma(a: number, b: number, c: number): number {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b), bl = b - bh;
  const e = al * bl - (((p - ah * bh) - al * bh) - ah * bl);
  const s = p + c;
  const v = s - p;
  const err = (p - (s - v)) + (c - v);
  return s + (err + e);
}

export function libmLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x); // NaN, ±0, negatives, +inf: the same answers
  view.setFloat64(0, x);
  let hi = view.getUint32(0);
  const lo = view.getUint32(4);
  // Close to 1: a separate polynomial in r = x - 1 (1 - 2^-4 <= x < 1 + 0x1.09p-4).
  if (x >= 0.9375 && x < 1.064697265625) {
    if (x === 1) return 0;
    const r = x - 1.0;
    const r2 = r * r;
    const r3 = r * r2;
    const inner = fma(r3, B[10], fma(r2, B[9], fma(r, B[8], B[7])));
    const mid = fma(r3, inner, fma(r2, B[6], fma(r, B[5], B[4])));
    const poly = fma(r3, mid, fma(r2, B[3], fma(r, B[2], B[1])));
    let w = r * 134217728; // 0x1p27
    const rhi = r + w - w;
    const rlo = r - rhi;
    w = rhi * rhi * B[0];
    const h = r + w;
    let l = r - h + w;
    l = fma(B[0] * rlo, rhi + r, l);
    return fma(r3, poly, l) + h;
  }
  let k0 = 0;
  if (hi < 0x00100000) {
    // Subnormal: scale into the normal range first.
    view.setFloat64(0, x * 4503599627370496); // 2^52
    hi = view.getUint32(0);
    k0 = -52;
    return libmLogNormal(hi, view.getUint32(4), k0);
  }
  return libmLogNormal(hi, lo, k0);
}

function libmLogNormal(hi: number, lo: number, k0: number): number {
  // x = 2^k z with z in [0x1.6p-1, 0x1.6p0); the top bits of z pick the subinterval.
  const tmpHi = (hi - 0x3fe60000) | 0;
  const i = (tmpHi >>> 13) & 127;
  const k = (tmpHi >> 20) + k0;
  view.setUint32(0, (hi - (tmpHi & 0xfff00000)) >>> 0);
  view.setUint32(4, lo);
  const z = view.getFloat64(0);
  const invc = TABLE[2 * i];
  const logc = TABLE[2 * i + 1];
  // z * invc is within a factor of two of 1, so the sum with -1 is exact and fma rounds once.
  const r = fma(z, invc, -1);
  const kd = k;
  const w = kd * LN2_HI + logc;
  const h = w + r;
  // The library is compiled with multiply-adds contracted into FMAs; so is this.
  const l = fma(kd, LN2_LO, w - h + r);
  const r2 = r * r;
  const p = fma(r2, fma(r, A[4], A[3]), fma(r, A[2], A[1]));
  return fma(r * r2, p, fma(r2, A[0], l)) + h;
}
