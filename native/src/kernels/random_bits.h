// Philox4x32-10 and the transforms from random words to numbers, the same operations in the
// same order as lib/random/philox.ts and lib/random/unit_math.ts, so both backends give the
// same bits. Only IEEE + - * / and sqrt on doubles; random.cc, the one file including this,
// is compiled with -ffp-contract=off (no FMA) and without target clones (CMakeLists.txt).
#pragma once
#include <cmath>
#include <cstdint>

namespace theanode {
namespace rng {

// Counter-based: block b of a stream is philox(key, counter + b), a pure function of b, so a
// draw split over threads gives the bits a single thread gives.
inline void philox(const uint32_t ctr[4], uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t x0 = ctr[0], x1 = ctr[1], x2 = ctr[2], x3 = ctr[3];
  for (int r = 0; r < 10; r++) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * x0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * x2;
    const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ k0;
    const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ k1;
    x0 = y0;
    x1 = static_cast<uint32_t>(p1);
    x2 = y2;
    x3 = static_cast<uint32_t>(p0);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

// A 128-bit counter, word 0 least significant.
struct Counter {
  uint32_t w[4];
  void add(uint64_t n) {
    uint64_t s = static_cast<uint64_t>(w[0]) + (n & 0xffffffffu);
    w[0] = static_cast<uint32_t>(s);
    s = static_cast<uint64_t>(w[1]) + (n >> 32) + (s >> 32);
    w[1] = static_cast<uint32_t>(s);
    s = static_cast<uint64_t>(w[2]) + (s >> 32);
    w[2] = static_cast<uint32_t>(s);
    w[3] += static_cast<uint32_t>(s >> 32);
  }
  void inc() {
    if (++w[0] == 0 && ++w[1] == 0 && ++w[2] == 0) ++w[3];
  }
};

// The state's counter moved on by `blocks` (state: key0, key1, counter0..3 as int32 words).
inline Counter counterAt(const int32_t* state, uint64_t blocks) {
  Counter c{{static_cast<uint32_t>(state[2]), static_cast<uint32_t>(state[3]), static_cast<uint32_t>(state[4]), static_cast<uint32_t>(state[5])}};
  c.add(blocks);
  return c;
}

// 2^-k for k = 0 .. 64, each exact (halving is exact); a table, not ldexp calls, in the loops.
struct Pow2Neg {
  double v[65];
  constexpr Pow2Neg() : v() {
    v[0] = 1;
    for (int k = 1; k <= 64; k++) v[k] = v[k - 1] * 0.5;
  }
};
inline constexpr Pow2Neg kPow2Neg{};

inline uint64_t int53(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a >> 5) << 26) | (b >> 6); }
inline double unit53(uint32_t a, uint32_t b) { return static_cast<double>(int53(a, b)) * kPow2Neg.v[53]; }
inline double unit24(uint32_t w) { return static_cast<double>(w >> 8) * kPow2Neg.v[24]; }

// ln(m 2^-k) for 1 <= m <= 2^53 (see lnScaled in unit_math.ts).
inline double lnScaled(uint64_t m, int k) {
  int e = 63 - __builtin_clzll(m);
  double f = static_cast<double>(m) * kPow2Neg.v[e];
  if (f > 1.4142135623730951) {
    f *= 0.5;
    e += 1;
  }
  const double s = (f - 1) / (f + 1);
  const double z = s * s;
  const double p =
      0.66666666666666663 +
      z * (0.40000000000000002 + z * (0.2857142857142857 + z * (0.22222222222222221 + z * (0.18181818181818182 + z * (0.15384615384615385 + z * (0.13333333333333333 + z * (0.11764705882352941 + z * (0.10526315789473684 + z * 0.095238095238095233))))))));
  const double lnf = s * 2 + s * (z * p);
  const double x = static_cast<double>(e - k);
  return x * 6.93147180369123816490e-1 + (x * 1.90821492927058770002e-10 + lnf);
}

// cos and sin of 2π m 2^-k for 0 <= m < 2^k (see cosSinTurn in unit_math.ts).
inline void cosSinTurn(uint64_t m, int k, double out[2]) {
  const int64_t quarter = static_cast<int64_t>(1) << (k - 2);
  int64_t q = static_cast<int64_t>(m >> (k - 2));
  int64_t t = static_cast<int64_t>(m) - q * quarter;
  if (t >= quarter / 2) {
    t -= quarter;
    q = (q + 1) & 3;
  }
  const double phi = static_cast<double>(t) * (6.2831853071795862 * kPow2Neg.v[k]);
  const double z = phi * phi;
  const double sinP =
      -0.16666666666666666 +
      z * (0.0083333333333333332 + z * (-0.00019841269841269841 + z * (0.0000027557319223985893 + z * (-2.505210838544172e-8 + z * (1.6059043836821613e-10 + z * (-7.6471637318198164e-13 + z * 2.8114572543455206e-15))))));
  const double cosP =
      -0.5 +
      z * (0.041666666666666664 + z * (-0.0013888888888888889 + z * (0.000024801587301587302 + z * (-2.7557319223985888e-7 + z * (2.08767569878681e-9 + z * (-1.1470745597729725e-11 + z * (4.7794773323873853e-14 + z * -1.5619206968586225e-16)))))));
  const double s = phi + phi * (z * sinP);
  const double c = 1 + z * cosP;
  if (q == 0) {
    out[0] = c;
    out[1] = s;
  } else if (q == 1) {
    out[0] = -s;
    out[1] = c;
  } else if (q == 2) {
    out[0] = -c;
    out[1] = -s;
  } else {
    out[0] = s;
    out[1] = -c;
  }
}

inline void boxMuller(uint64_t m1, uint64_t m2, int k, double out[2]) {
  const double r = std::sqrt(-2 * lnScaled(m1, k));
  cosSinTurn(m2, k, out);
  out[0] = r * out[0];
  out[1] = r * out[1];
}

}  // namespace rng
}  // namespace theanode
