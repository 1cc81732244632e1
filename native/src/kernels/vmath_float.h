// Branch-free exp, log, log1p, tanh, sigmoid and softplus on floats, for elementwise chains that
// run in float32 lanes (elemwise.cc).
//
// Why not the double versions rounded: a float32 chain computed in doubles moves twice the
// bytes and runs half the lanes, and the double polynomials carry twice the terms a float
// result needs; the LSTM's gates spent most of their time there. The algorithms are those of
// vmath.h (the same reductions, special values chosen by select), with series cut to float
// precision. Accuracy: within 2 float ulp of the exact result (worst seen: exp 0.9, log 0.8,
// log1p 1.4, tanh 1.7, sigmoid 2.0, softplus 1.6), checked against Math.* by
// test/backend/native/vmath.test.ts. The native and js backends then agree to a few float ulp
// (DESIGN: allclose, rtol 1e-4 for float32), not bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace theanode {
namespace vmathf {

#define VMATHF_INLINE inline __attribute__((always_inline))

inline uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline float fromBits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
inline float abs(float x) { return fromBits(bitsOf(x) & 0x7fffffffU); }
// c ? x : y without a branch.
inline float select(bool c, float x, float y) {
  const uint32_t m = -static_cast<uint32_t>(c);
  return fromBits((bitsOf(x) & m) | (bitsOf(y) & ~m));
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kLog2e = 1.44269504f;
// ln 2 split so that n * kLn2Hi is exact for |n| < 2^8 (kLn2Hi has 16 significant bits).
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.42860682e-06f;
// Adding then subtracting 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer.
constexpr float kRoundShift = 12582912.0f;

template <size_t N>
inline float horner(float t, const float (&c)[N]) {
  float p = c[0];
#pragma GCC unroll 16
  for (size_t i = 1; i < N; i++) p = p * t + c[i];
  return p;
}
// 1/8!, ..., 1/2!: e^r - 1 = r + r^2 (1/2! + r/3! + ...); for |r| <= ln2 / 2 the remainder is
// below 2^-32 relative.
constexpr float kExpTaylor[] = {1.0f / 40320.0f, 1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f};
// 2/11, ..., 2/3: the series of (2 atanh(s) - 2s) / (s z), z = s^2, for |s| < 0.1716.
constexpr float kAtanhSeries[] = {2.0f / 11.0f, 2.0f / 9.0f, 2.0f / 7.0f, 2.0f / 5.0f, 2.0f / 3.0f};

// x = n ln2 + r with |r| <= ln2 / 2 (about); n returned as a float and as an integer.
VMATHF_INLINE float reduce(float x, float& n, int32_t& ni) {
  const float t = x * kLog2e + kRoundShift;
  n = t - kRoundShift;
  ni = static_cast<int32_t>(bitsOf(t) - bitsOf(kRoundShift));
  return (x - n * kLn2Hi) - n * kLn2Lo;
}

// e^x. Inputs are clamped to [-104, 89], beyond which the float result is 0 or inf anyway; 2^n
// is applied as two factors so that subnormal and near-overflow results round once.
VMATHF_INLINE float exp(float x) {
  const float xc = select(x < -104.0f, -104.0f, select(x > 89.0f, 89.0f, x));
  float n;
  int32_t ni;
  const float r = reduce(xc, n, ni);
  float p = horner(r, kExpTaylor);
  p = 1.0f + (r + r * r * p);
  const int32_t n1 = ni >> 1;  // floor(n / 2)
  const int32_t n2 = ni - n1;
  const float s1 = fromBits(static_cast<uint32_t>(n1 + 127) << 23), s2 = fromBits(static_cast<uint32_t>(n2 + 127) << 23);
  return select(x != x, x + x, p * s1 * s2);
}

// ln(x) for x > 0 finite, as vmath::logPositive: x = 2^e m, m in [sqrt(1/2), sqrt(2)), f = m - 1
// exactly, ln(1 + f) = 2 atanh(f / (2 + f)) summed so that the exact f carries the leading bits.
VMATHF_INLINE float logPositive(float x) {
  const bool sub = x < 1.17549435e-38f;
  const float xs = select(sub, x * 33554432.0f, x);  // 2^25 lifts subnormals
  const uint32_t b = bitsOf(xs);
  float e = static_cast<float>(static_cast<int32_t>((b >> 23) & 0xff)) - select(sub, 152.0f, 127.0f);
  float m = fromBits((b & 0x007fffffU) | 0x3f800000U);
  const bool big = m > 1.41421356f;
  m = select(big, m * 0.5f, m);
  e = e + select(big, 1.0f, 0.0f);
  const float f = m - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  const float R = horner(z, kAtanhSeries) * z;
  const float hfsq = 0.5f * f * f;
  return e * kLn2Hi + (f - (hfsq - (s * (hfsq + R) + e * kLn2Lo)));
}

VMATHF_INLINE float log(float x) {
  float r = logPositive(x);
  r = select(x == 0, -kInf, r);
  r = select(x == kInf, kInf, r);
  return select((x < 0) | (x != x), kNaN, r);
}

// ln(1 + x): ln(u) for u = fl(1 + x), plus the part of x that the addition rounded away, over u.
VMATHF_INLINE float log1p(float x) {
  const float u = 1.0f + x;
  const float c = x - (u - 1.0f);
  float r = logPositive(u) + c / u;
  r = select(u == 1.0f, x, r);
  r = select(x == -1.0f, -kInf, r);
  r = select(x == kInf, kInf, r);
  return select((x < -1.0f) | (x != x), select(x != x, x, kNaN), r);
}

// 1 / (1 + e^-x) or e^x / (1 + e^x), from e^-|x| (which never overflows): one division, one rounding.
VMATHF_INLINE float sigmoid(float x) {
  const float e = vmathf::exp(-abs(x));
  return select(x >= 0, 1.0f, e) / (1.0f + e);
}

// As vmath::tanh: u = e^(2|x|) - 1 from the exp reduction, then u / (u + 2) below tanh = 0.5 and
// 1 - 2 / (u + 2) above. Past |x| = 10, tanh rounds to +-1 in float.
VMATHF_INLINE float tanh(float x) {
  const float ax = abs(x);
  const float a = select(ax > 10.0f, 20.0f, ax + ax);
  float n;
  int32_t ni;
  const float r = reduce(a, n, ni);
  float p = horner(r, kExpTaylor);
  p = r + r * r * p;
  const float s = fromBits(static_cast<uint32_t>(ni + 127) << 23);  // 2^n, 0 <= n <= 29
  const float u = s * p + (s - 1.0f);
  const float d = u + 2.0f;
  const float dLost = (2.0f - d) + u;
  const float q = u / d;
  const float y = select(a > 1.0986f, 1.0f - 2.0f / d, q - q * (dLost / d));
  return select(x != x, x, fromBits(bitsOf(y) | (bitsOf(x) & 0x80000000U)));
}

VMATHF_INLINE float softplus(float x) {
  const float l = vmathf::log1p(vmathf::exp(-abs(x)));
  return select(x > 0, x + l, l + select(x != x, x, 0.0f));
}

#undef VMATHF_INLINE

}  // namespace vmathf
}  // namespace theanode
