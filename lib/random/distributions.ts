/**
 * numpy's legacy sampling algorithms (the ones RandomState keeps for reproducibility):
 * polar Box-Muller with a cached second value, masked rejection for bounded integers,
 * inversion and BTPE for the binomial.
 */
import type { MT19937 } from './mt19937.js';
import { exp } from './precise.js';
import { libmLog as log } from './libm_log.js';

export interface GaussState {
  hasGauss: boolean;
  gauss: number;
}

export function legacyGauss(bg: MT19937, st: GaussState): number {
  if (st.hasGauss) {
    st.hasGauss = false;
    return st.gauss;
  }
  let x1: number, x2: number, r2: number;
  do {
    x1 = 2.0 * bg.nextDouble() - 1.0;
    x2 = 2.0 * bg.nextDouble() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 === 0.0);
  const f = Math.sqrt((-2.0 * log(r2)) / r2);
  st.gauss = f * x1;
  st.hasGauss = true;
  return f * x2;
}

/** The smallest 2^k - 1 that is >= max. */
function maskFor(max: number): number {
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

/** A uniform integer in [0, rng] by masked rejection on 32-bit draws (rng < 2^32). */
export function boundedMasked(bg: MT19937, rng: number): number {
  if (rng === 0) return 0;
  if (rng === 0xffffffff) return bg.nextUint32();
  const mask = maskFor(rng);
  let v: number;
  while ((v = (bg.nextUint32() & mask) >>> 0) > rng);
  return v;
}

/** numpy's random_interval, used by the legacy shuffle. */
export function randomInterval(bg: MT19937, max: number): number {
  return boundedMasked(bg, max);
}

export interface BinomialState {
  has: boolean;
  nsave: number;
  psave: number;
  // Cached constants of whichever algorithm ran last with (nsave, psave).
  r: number; q: number; fm: number; m: number; p1: number; xm: number; xl: number; xr: number;
  c: number; laml: number; lamr: number; p2: number; p3: number; p4: number;
}

export function newBinomialState(): BinomialState {
  return { has: false, nsave: 0, psave: 0, r: 0, q: 0, fm: 0, m: 0, p1: 0, xm: 0, xl: 0, xr: 0, c: 0, laml: 0, lamr: 0, p2: 0, p3: 0, p4: 0 };
}

function binomialInversion(bg: MT19937, n: number, p: number, st: BinomialState): number {
  let q: number, qn: number, bound: number;
  if (!st.has || st.nsave !== n || st.psave !== p) {
    st.nsave = n;
    st.psave = p;
    st.has = true;
    st.q = q = 1.0 - p;
    st.r = qn = exp(n * log(q));
    const np = n * p;
    st.c = np;
    st.m = bound = Math.trunc(Math.min(n, np + 10.0 * Math.sqrt(np * q + 1)));
  } else {
    q = st.q;
    qn = st.r;
    bound = st.m;
  }
  let x = 0;
  let px = qn;
  let u = bg.nextDouble();
  while (u > px) {
    x++;
    if (x > bound) {
      x = 0;
      px = qn;
      u = bg.nextDouble();
    } else {
      u -= px;
      px = ((n - x + 1) * p * px) / (x * q);
    }
  }
  return x;
}

const stirling = (f: number, f2: number) => (13680 - (462 - (132 - (99 - 140 / f2) / f2) / f2) / f2) / f / 166320;

function binomialBtpe(bg: MT19937, n: number, p: number, st: BinomialState): number {
  if (!st.has || st.nsave !== n || st.psave !== p) {
    st.nsave = n;
    st.psave = p;
    st.has = true;
    st.r = Math.min(p, 1.0 - p);
    st.q = 1.0 - st.r;
    st.fm = n * st.r + st.r;
    st.m = Math.floor(st.fm);
    st.p1 = Math.floor(2.195 * Math.sqrt(n * st.r * st.q) - 4.6 * st.q) + 0.5;
    st.xm = st.m + 0.5;
    st.xl = st.xm - st.p1;
    st.xr = st.xm + st.p1;
    st.c = 0.134 + 20.5 / (15.3 + st.m);
    let a = (st.fm - st.xl) / (st.fm - st.xl * st.r);
    st.laml = a * (1.0 + a / 2.0);
    a = (st.xr - st.fm) / (st.xr * st.q);
    st.lamr = a * (1.0 + a / 2.0);
    st.p2 = st.p1 * (1.0 + 2.0 * st.c);
    st.p3 = st.p2 + st.c / st.laml;
    st.p4 = st.p3 + st.c / st.lamr;
  }
  const { r, q, m, p1, xm, xl, xr, c, laml, lamr, p2, p3, p4 } = st;
  const nrq = n * r * q;
  for (;;) {
    const u = bg.nextDouble() * p4;
    let v = bg.nextDouble();
    let y: number;
    if (u <= p1) {
      y = Math.floor(xm - p1 * v + u);
      return p > 0.5 ? n - y : y;
    }
    if (u <= p2) {
      const x = xl + (u - p1) / c;
      v = v * c + 1.0 - Math.abs(m - x + 0.5) / p1;
      if (v > 1.0) continue;
      y = Math.floor(x);
    } else if (u <= p3) {
      y = Math.floor(xl + log(v) / laml);
      if (y < 0 || v === 0.0) continue;
      v = v * (u - p2) * laml;
    } else {
      y = Math.floor(xr - log(v) / lamr);
      if (y > n || v === 0.0) continue;
      v = v * (u - p3) * lamr;
    }
    const k = Math.abs(y - m);
    if (!(k > 20 && k < nrq / 2.0 - 1)) {
      // Evaluate the ratio f(y)/f(m) by recursion.
      const s = r / q;
      const a = s * (n + 1);
      let F = 1.0;
      if (m < y) for (let i = m + 1; i <= y; i++) F *= a / i - s;
      else if (m > y) for (let i = y + 1; i <= m; i++) F /= a / i - s;
      if (v > F) continue;
      return p > 0.5 ? n - y : y;
    }
    // Squeeze with Stirling's formula.
    const rho = (k / nrq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5);
    const t = (-k * k) / (2 * nrq);
    const A = log(v);
    if (A < t - rho) return p > 0.5 ? n - y : y;
    if (A > t + rho) continue;
    const x1 = y + 1, f1 = m + 1, z = n + 1 - m, w = n - y + 1;
    const bound =
      xm * log(f1 / x1) + (n - m + 0.5) * log(z / w) + (y - m) * log((w * r) / (x1 * q)) +
      stirling(f1, f1 * f1) + stirling(z, z * z) + stirling(x1, x1 * x1) + stirling(w, w * w);
    if (A > bound) continue;
    return p > 0.5 ? n - y : y;
  }
}

export function legacyBinomial(bg: MT19937, n: number, p: number, st: BinomialState): number {
  if (n === 0 || p === 0.0) return 0;
  if (p <= 0.5) return p * n <= 30.0 ? binomialInversion(bg, n, p, st) : binomialBtpe(bg, n, p, st);
  const q = 1.0 - p;
  return q * n <= 30.0 ? n - binomialInversion(bg, n, q, st) : binomialBtpe(bg, n, p, st);
}
