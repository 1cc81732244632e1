// Branch-free exp, log, log1p and tanh for the elementwise loops.
//
// Why not libm: a libm call per element keeps a loop scalar, and the seed's chain (two sigmoids
// and two softpluses a row) spent most of its time there. These are plain arithmetic on
// doubles and their bits, with every special case chosen by select rather than by branch, so
// GCC turns the loops that call them into AVX2/AVX-512 code. Accuracy: within 2 ulp (tanh 3) of the
// correctly rounded result over the whole range (test/backend/native/vmath.test.ts checks it
// against Math.exp / Math.log / Math.log1p), subnormal results included.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace theanode {
namespace vmath {

// Forced inline: a call left in a loop keeps it scalar, and GCC's size limits stop inlining
// once a switch of loops calls these several times.
#define VMATH_INLINE inline __attribute__((always_inline))

inline uint64_t bitsOf(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline double fromBits(uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
inline double abs(double x) { return fromBits(bitsOf(x) & 0x7fffffffffffffffULL); }
// c ? x : y without a branch.
inline double select(bool c, double x, double y) {
  const uint64_t m = -static_cast<uint64_t>(c);
  return fromBits((bitsOf(x) & m) | (bitsOf(y) & ~m));
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLog2e = 1.4426950408889634;
// ln 2 split so that n * kLn2Hi is exact for |n| < 2^21.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
// Adding then subtracting 1.5 * 2^52 rounds a double of magnitude < 2^51 to an integer.
constexpr double kRoundShift = 6755399441055744.0;

// c[0] t^(N-1) + ... + c[N-1], by Horner's rule (the loop unrolls: N is a constant).
template <size_t N>
inline double horner(double t, const double (&c)[N]) {
  double p = c[0];
  // Unrolled whatever N is: a loop left inside keeps the caller's loop from vectorising.
#pragma GCC unroll 32
  for (size_t i = 1; i < N; i++) p = p * t + c[i];
  return p;
}
// 1/13!, 1/12!, ..., 1/2!: exp(r) = 1 + r + r^2 (1/2! + r/3! + ...).
constexpr double kExpTaylor[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
                                 1.0 / 5040.0,       1.0 / 720.0,       1.0 / 120.0,      1.0 / 24.0,      1.0 / 6.0,      0.5};
// 1/19!, 1/18!, ..., 1/2!: expm1(y) = y + y^2 (1/2! + y/3! + ...); for |y| <= 1 the remainder
// is below 2^-61.
constexpr double kExpm1Taylor[] = {1.0 / 121645100408832000.0, 1.0 / 6402373705728000.0, 1.0 / 355687428096000.0, 1.0 / 20922789888000.0,
                                   1.0 / 1307674368000.0,      1.0 / 87178291200.0,      1.0 / 6227020800.0,      1.0 / 479001600.0,
                                   1.0 / 39916800.0,           1.0 / 3628800.0,          1.0 / 362880.0,          1.0 / 40320.0,
                                   1.0 / 5040.0,               1.0 / 720.0,              1.0 / 120.0,             1.0 / 24.0,
                                   1.0 / 6.0,                  0.5};
// 2/21, 2/19, ..., 2/3: the series of (2 atanh(s) - 2s) / (s z), z = s^2.
constexpr double kAtanhSeries[] = {2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0, 2.0 / 11.0, 2.0 / 9.0, 2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0};

// e^x. Inputs are clamped to [-746, 710], beyond which the result is 0 or inf anyway; 2^n is
// applied as two factors so that subnormal and near-overflow results round once.
VMATH_INLINE double exp(double x) {
  const double xc = select(x < -746.0, -746.0, select(x > 710.0, 710.0, x));
  const double t = xc * kLog2e + kRoundShift;
  const double n = t - kRoundShift;
  const int64_t ni = static_cast<int64_t>(bitsOf(t) - bitsOf(kRoundShift));  // n as an integer
  const double r = (xc - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ln2 / 2
  // Taylor series to r^13: the remainder is below 2^-58 for |r| <= ln2 / 2.
  double p = horner(r, kExpTaylor);
  p = r + r * r * p;
  p = 1.0 + p;
  const uint64_t n1 = ((static_cast<uint64_t>(ni) + 2048) >> 1) - 1024;  // floor(n / 2)
  const uint64_t n2 = static_cast<uint64_t>(ni) - n1;
  const double s1 = fromBits((n1 + 1023) << 52), s2 = fromBits((n2 + 1023) << 52);
  return select(x != x, x + x, p * s1 * s2);
}

// ln(x) for x > 0 finite: x = 2^e * m with m in [sqrt(1/2), sqrt(2)), f = m - 1 exactly, and
// ln(1 + f) = 2 atanh(s), s = f / (2 + f), summed as f - (f^2/2 - s (f^2/2 + R)) so that the
// exact f carries the leading bits.
VMATH_INLINE double logPositive(double x) {
  const bool sub = x < 2.2250738585072014e-308;
  const double xs = select(sub, x * 18014398509481984.0, x);  // 2^54 lifts subnormals
  const uint64_t b = bitsOf(xs);
  // The biased exponent as a double by the same shift trick (no int64 -> double instruction
  // before AVX-512DQ).
  double e = (fromBits(bitsOf(kRoundShift) | ((b >> 52) & 0x7ff)) - kRoundShift) - select(sub, 1077.0, 1023.0);
  double m = fromBits((b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  const bool big = m > 1.4142135623730951;
  m = select(big, m * 0.5, m);
  e = e + select(big, 1.0, 0.0);
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  // 2 atanh(s) = 2s + s R(z), R = sum 2 z^k / (2k + 1); |s| < 0.1716, so ten terms suffice.
  double R = horner(z, kAtanhSeries);
  R = R * z;
  const double hfsq = 0.5 * f * f;
  return e * kLn2Hi + (f - (hfsq - (s * (hfsq + R) + e * kLn2Lo)));
}

VMATH_INLINE double log(double x) {
  double r = logPositive(x);
  r = select(x == 0, -kInf, r);
  r = select(x == kInf, kInf, r);
  return select((x < 0) | (x != x), kNaN, r);
}

// ln(1 + x): ln(u) for u = fl(1 + x), plus c / u where c = x - (u - 1) is the part of x that the
// addition rounded away.
VMATH_INLINE double log1p(double x) {
  const double u = 1.0 + x;
  const double c = x - (u - 1.0);
  double r = logPositive(u) + c / u;
  r = select(u == 1.0, x, r);  // |x| < 2^-53: ln(1 + x) = x to within rounding
  r = select(x == -1.0, -kInf, r);
  r = select(x == kInf, kInf, r);
  return select((x < -1.0) | (x != x), select(x != x, x, kNaN), r);
}

// 1 / (1 + e^-x) from e^-|x|, which never overflows.
VMATH_INLINE double sigmoid(double x) {
  const double e = vmath::exp(-abs(x));
  const double p = 1.0 / (1.0 + e);
  return select(x >= 0, p, e * p);
}

// tanh(x) = u / (u + 2) = 1 - 2 / (u + 2) with u = e^(2|x|) - 1, the sign put back. u comes from the same
// reduction as exp: e^a - 1 = 2^n (e^r - 1) + (2^n - 1), where e^r - 1 = r + r^2 P(r) keeps the
// small-|x| bits that 1 - 2 / (e^2x + 1) would cancel. Past |x| = 22, tanh rounds to +-1.
VMATH_INLINE double tanh(double x) {
  const double ax = abs(x);
  const double a = select(ax > 22.0, 44.0, ax + ax);
  const double t = a * kLog2e + kRoundShift;
  const double n = t - kRoundShift;
  const int64_t ni = static_cast<int64_t>(bitsOf(t) - bitsOf(kRoundShift));
  const double r = (a - n * kLn2Hi) - n * kLn2Lo;
  double p = horner(r, kExpTaylor);
  p = r + r * r * p;
  const double s = fromBits(static_cast<uint64_t>(ni + 1023) << 52);  // 2^n, 0 <= n <= 64
  const double u = s * p + (s - 1.0);
  // Below tanh = 0.5, u / (u + 2) with the rounding of u + 2 (found exactly, as u < 2) taken
  // back out; above, 1 - 2 / (u + 2), whose subtraction is exact.
  const double d = u + 2.0;
  const double dLost = (2.0 - d) + u;
  const double q = u / d;
  const double y = select(a > 1.0986, 1.0 - 2.0 / d, q - q * (dLost / d));
  return select(x != x, x, fromBits(bitsOf(y) | (bitsOf(x) & 0x8000000000000000ULL)));
}

// ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|).
VMATH_INLINE double softplus(double x) {
  const double l = vmath::log1p(vmath::exp(-abs(x)));
  return select(x > 0, x + l, l + select(x != x, x, 0.0));
}

#undef VMATH_INLINE

}  // namespace vmath
}  // namespace theanode
