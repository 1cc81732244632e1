// Special functions and numpy's integer division for the elementwise kernel: the algorithms of
// lib/ops/special.ts, step for step (its header states their accuracy), so the two backends
// differ only by the last bits of libm's exp, log, pow and sin.
#pragma once
#include <cmath>
#include <limits>

namespace theanode {
namespace special {

constexpr double kPi = 3.141592653589793;
constexpr double kSqrtPi = 1.7724538509055159;
constexpr double kTwoOverSqrtPi = 1.1283791670955126;
constexpr double kLogSqrt2Pi = 0.9189385332046728;
constexpr double kSqrt2Pi = 2.5066282746310002;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

inline bool isInteger(double x) { return std::isfinite(x) && std::floor(x) == x; }

// sin(pi x), the argument reduced exactly (fmod by 2 is exact).
inline double sinpi(double x) {
  if (!std::isfinite(x)) return kNaN;
  double r = std::fmod(x, 2.0);
  if (r < -1) r += 2;
  else if (r >= 1) r -= 2;
  if (r > 0.5) r = 1 - r;
  else if (r < -0.5) r = -1 - r;
  return std::sin(kPi * r);
}

inline double cotpi(double x) { return sinpi(std::fmod(x, 2.0) + 0.5) / sinpi(x); }

inline double erfSeries(double x) {
  const double x2 = x * x;
  double term = x, sum = x;
  for (int n = 1; n < 60; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (std::fabs(term) <= std::fabs(sum) * 1e-17) break;
  }
  return kTwoOverSqrtPi * std::exp(-x2) * sum;
}

// e^{-x^2} without the rounding of x^2: h = x rounded to float, h^2 exact, x^2 - h^2 = (x - h)(x + h).
inline double expMinusSquare(double x) {
  const double h = static_cast<float>(x);
  return std::exp(-h * h) * std::exp(-(x - h) * (x + h));
}

inline double erfcFraction(double x) {
  double f = x, c = x, d = 0;
  for (int k = 1; k < 400; k++) {
    const double a = k / 2.0;
    d = 1 / (x + a * d);
    c = x + a / c;
    const double delta = c * d;
    f *= delta;
    if (std::fabs(delta - 1) < 2e-16) break;
  }
  return expMinusSquare(x) / kSqrtPi / f;
}

inline double erf(double x) {
  if (x != x) return x;
  const double a = std::fabs(x);
  if (a < 1) return erfSeries(x);
  if (a > 6) return x > 0 ? 1 : -1;
  const double r = 1 - erfcFraction(a);
  return x > 0 ? r : -r;
}

inline double erfc(double x) {
  if (x != x) return x;
  if (std::fabs(x) < 1) return 1 - erfSeries(x);
  if (x > 27.3) return 0;
  if (x < -6) return 2;
  return x > 0 ? erfcFraction(x) : 2 - erfcFraction(-x);
}

inline double erfinv(double y) {
  if (y != y || y < -1 || y > 1) return kNaN;
  if (y == 1) return kInf;
  if (y == -1) return -kInf;
  if (y == 0) return y;
  const double s = y < 0 ? -1 : 1;
  const double a = std::fabs(y);
  const double oneMinus = 1 - a;
  const double l = std::log(oneMinus * (1 + a));
  const double k = 2 / (kPi * 0.147) + l / 2;
  double x = std::sqrt(std::sqrt(k * k - l / 0.147) - k);
  for (int i = 0; i < 3; i++) {
    const double g = a > 0.5 ? oneMinus - erfc(x) : erf(x) - a;
    const double t = g / (kTwoOverSqrtPi * std::exp(-x * x));
    x -= t / (1 + x * t);
  }
  return s * x;
}

constexpr double kLanczosG = 7;
constexpr double kLanczos[] = {0.99999999999980993, 676.5203681218851,     -1259.1392167224028,
                               771.32342877765313,  -176.61502916214059,   12.507343278686905,
                               -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

inline double lanczosSum(double z) {
  double a = kLanczos[0];
  for (int i = 1; i < 9; i++) a += kLanczos[i] / (z + i);
  return a;
}

inline double gammaStirling(double x) {
  const double f = 1 / (x * x);
  const double s = (1 / x) * (1.0 / 12 - f * (1.0 / 360 - f * (1.0 / 1260 - f * (1.0 / 1680 - f * (1.0 / 1188 - f * (691.0 / 360360 - f / 156))))));
  const double p = std::pow(x, (x - 0.5) / 2);
  return kSqrt2Pi * ((p * std::exp(-x)) * p) * std::exp(s);
}

inline double gamma(double x) {
  if (x != x || x == -kInf) return kNaN;
  if (x == kInf) return kInf;
  if (x == 0) return 1 / x;
  if (x < 0 && isInteger(x)) return kNaN;
  if (x < 0.5) return kPi / (sinpi(x) * gamma(1 - x));
  if (x > 171.7) return kInf;
  if (x >= 10) return gammaStirling(x);
  const double z = x - 1;
  const double t = z + kLanczosG + 0.5;
  const double p = std::pow(t, (z + 0.5) / 2);
  return kSqrt2Pi * lanczosSum(z) * (p * std::exp(-t)) * p;
}

inline double gammaln(double x) {
  if (x != x) return x;
  if (!std::isfinite(x)) return kInf;
  if (x <= 0 && isInteger(x)) return kInf;
  if (x < 0.5) return std::log(kPi / std::fabs(sinpi(x))) - gammaln(1 - x);
  const double z = x - 1;
  const double t = z + kLanczosG + 0.5;
  return kLogSqrt2Pi + (z + 0.5) * std::log(t) - t + std::log(lanczosSum(z));
}

inline double psi(double x) {
  if (x != x || x == -kInf) return kNaN;
  if (x == kInf) return kInf;
  if (x == 0) return -1 / x;
  if (x < 0) {
    if (isInteger(x)) return kNaN;
    return psi(1 - x) - kPi * cotpi(x);
  }
  double r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  const double tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))));
  return r + std::log(x) - 0.5 / x - tail;
}

inline double trigamma(double x) {
  if (x != x || x == -kInf) return kNaN;
  if (x == kInf) return 0;
  if (x <= 0 && isInteger(x)) return kInf;
  if (x < 0) {
    const double s = sinpi(x);
    return (kPi * kPi) / (s * s) - trigamma(1 - x);
  }
  double r = 0;
  while (x < 10) {
    r += 1 / (x * x);
    x += 1;
  }
  const double f = 1 / (x * x);
  const double series = 1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * (5.0 / 66 - f * (691.0 / 2730 - f * (7.0 / 6))))));
  return r + 1 / x + f / 2 + (f / x) * series;
}

inline double tetragamma(double x) {
  if (x != x || x == -kInf) return kNaN;
  if (x == kInf) return -0.0;
  if (x <= 0 && isInteger(x)) return kNaN;
  if (x < 0) {
    const double s = sinpi(x);
    return tetragamma(1 - x) - (2 * kPi * kPi * kPi * cotpi(x)) / (s * s);
  }
  double r = 0;
  while (x < 20) {
    r -= 2 / (x * x * x);
    x += 1;
  }
  const double f = 1 / (x * x);
  const double series = 1.0 / 2 - f * (1.0 / 6 - f * (1.0 / 6 - f * (3.0 / 10 - f * (5.0 / 6 - f * (691.0 / 210 - (f * 35) / 2)))));
  return r - (f + f / x + f * f * series);
}

inline double mod(double a, double b) {
  const double m = std::fmod(a, b);
  if (m != 0 || m != m) return ((m < 0) != (b < 0)) ? m + b : m;
  return b < 0 ? -0.0 : 0.0;
}

inline double intDiv(double a, double b) {
  if (b == 0) return a / b;
  double m = std::fmod(a, b);
  double div = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) {
    m += b;
    div -= 1;
  }
  if (div == 0) return a / b < 0 ? -0.0 : 0.0;
  const double fl = std::floor(div);
  return div - fl > 0.5 ? fl + 1 : fl;
}

}  // namespace special
}  // namespace theanode
