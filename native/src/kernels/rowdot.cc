#include "rowdot.h"

namespace theanode {
namespace {

// Elements before p's next 64-byte boundary (all of them when f is shorter).
template <typename T>
inline int64_t peelOf(const T* p, int64_t f) {
  const int64_t bytes = (64 - static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) & 63)) & 63;
  const int64_t n = bytes % static_cast<int64_t>(sizeof(T)) ? 0 : bytes / static_cast<int64_t>(sizeof(T));
  return n < f ? n : f;
}

// Vectors of T of the target's register width (16, 32 or 64 bytes), loaded from any address.
typedef double F64x16 __attribute__((vector_size(16), aligned(8)));
typedef double F64x32 __attribute__((vector_size(32), aligned(8)));
typedef double F64x64 __attribute__((vector_size(64), aligned(8)));
typedef float F32x16 __attribute__((vector_size(16), aligned(4)));
typedef float F32x32 __attribute__((vector_size(32), aligned(4)));
typedef float F32x64 __attribute__((vector_size(64), aligned(4)));
template <typename T, int Bytes>
struct VecOf;
template <> struct VecOf<double, 16> { using type = F64x16; };
template <> struct VecOf<double, 32> { using type = F64x32; };
template <> struct VecOf<double, 64> { using type = F64x64; };
template <> struct VecOf<float, 16> { using type = F32x16; };
template <> struct VecOf<float, 32> { using type = F32x32; };
template <> struct VecOf<float, 64> { using type = F32x64; };
template <typename T, int Bytes>
using Vec = typename VecOf<T, Bytes>::type;

template <typename T, int Bytes>
inline const Vec<T, Bytes>& vecAt(const T* p) {
  return *reinterpret_cast<const Vec<T, Bytes>*>(p);
}

// The lanes of a partial sum, added pairwise in a fixed order.
template <typename T, int Bytes>
inline T addLanes(const Vec<T, Bytes>& v) {
  constexpr int L = Bytes / sizeof(T);
  T t[L];
  for (int j = 0; j < L; j++) t[j] = v[j];
  for (int w = L / 2; w > 0; w /= 2)
    for (int j = 0; j < w; j++) t[j] += t[j + w];
  return t[0];
}

// Rows are taken four at a time from the four quarters of the block (rows i, i+q, i+2q, i+3q),
// not four neighbours: each quarter is then one sequential stream that the prefetchers follow
// from row to row. Four neighbouring rows are four streams that restart every row group; on a
// 400 KiB block in L2 (Zen 5) dotRows ran at 139 GB/s that way and 195 GB/s by quarters.
// Bytes: the vector width of the build (the lanes of the partial sums).
template <typename T, int Bytes>
__attribute__((always_inline)) inline void dotRowsImpl(const T* x, int64_t ld, int64_t m, int64_t f, const T* __restrict w, T* __restrict z) {
  using V = Vec<T, Bytes>;
  constexpr int L = Bytes / sizeof(T);
  const int64_t body = f - f % L;
  const int64_t q = m / 4;
  for (int64_t i = 0; i < q; i++) {
    const T* a = x + i * ld;
    const T *b = a + q * ld, *c = b + q * ld, *d = c + q * ld;
    V sa = {}, sb = {}, sc = {}, sd = {};
    for (int64_t k = 0; k < body; k += L) {
      const V wk = vecAt<T, Bytes>(w + k);
      sa += vecAt<T, Bytes>(a + k) * wk;
      sb += vecAt<T, Bytes>(b + k) * wk;
      sc += vecAt<T, Bytes>(c + k) * wk;
      sd += vecAt<T, Bytes>(d + k) * wk;
    }
    T ta = addLanes<T, Bytes>(sa), tb = addLanes<T, Bytes>(sb), tc = addLanes<T, Bytes>(sc), td = addLanes<T, Bytes>(sd);
    for (int64_t k = body; k < f; k++) ta += a[k] * w[k], tb += b[k] * w[k], tc += c[k] * w[k], td += d[k] * w[k];
    z[i] = ta, z[i + q] = tb, z[i + 2 * q] = tc, z[i + 3 * q] = td;
  }
  for (int64_t i = 4 * q; i < m; i++) {
    const T* a = x + i * ld;
    V s = {};
    for (int64_t k = 0; k < body; k += L) s += vecAt<T, Bytes>(a + k) * vecAt<T, Bytes>(w + k);
    T t = addLanes<T, Bytes>(s);
    for (int64_t k = body; k < f; k++) t += a[k] * w[k];
    z[i] = t;
  }
}

// Bytes ahead of each stream that axpyRows asks the cache to load. Streaming X through the
// first-level cache evicts y from it; by quarters and with this prefetch, the updates ran at
// 185 GB/s from L2 instead of 115 (Zen 5; 512 B to 2 KiB ahead measured alike).
constexpr uintptr_t kAxpyPrefetchBytes = 1024;

// Asks for the line that far ahead of p; by address, as it may lie past the block's end (a
// prefetch never faults).
inline void prefetchAhead(const void* p) { __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) + kAxpyPrefetchBytes)); }

template <typename T>
__attribute__((always_inline)) inline void axpyRowsImpl(const T* x, int64_t ld, int64_t m, int64_t f, const T* __restrict g, T* __restrict y) {
  constexpr int64_t line = 64 / sizeof(T);
  const int64_t q = m / 4;
  for (int64_t i = 0; i < q; i++) {
    const T* __restrict a = x + i * ld;
    const T* __restrict b = a + q * ld;
    const T* __restrict c = b + q * ld;
    const T* __restrict d = c + q * ld;
    const T ga = g[i], gb = g[i + q], gc = g[i + 2 * q], gd = g[i + 3 * q];
    const int64_t p = peelOf(a, f);
    for (int64_t k = 0; k < p; k++) y[k] += ga * a[k] + gb * b[k] + gc * c[k] + gd * d[k];
    const int64_t lines = p + (f - p) / line * line;
    for (int64_t k0 = p; k0 < lines; k0 += line) {
      prefetchAhead(a + k0), prefetchAhead(b + k0), prefetchAhead(c + k0), prefetchAhead(d + k0);
#pragma omp simd
      for (int64_t j = 0; j < line; j++) {
        const int64_t k = k0 + j;
        y[k] += ga * a[k] + gb * b[k] + gc * c[k] + gd * d[k];
      }
    }
    for (int64_t k = lines; k < f; k++) y[k] += ga * a[k] + gb * b[k] + gc * c[k] + gd * d[k];
  }
  for (int64_t i = 4 * q; i < m; i++) {
    const T* __restrict a = x + i * ld;
    const T ga = g[i];
#pragma omp simd
    for (int64_t k = 0; k < f; k++) y[k] += ga * a[k];
  }
}

template <typename T>
void dotRowsBase(const T* x, int64_t ld, int64_t m, int64_t f, const T* w, T* z) { dotRowsImpl<T, 16>(x, ld, m, f, w, z); }
template <typename T>
void axpyRowsBase(const T* x, int64_t ld, int64_t m, int64_t f, const T* g, T* y) { axpyRowsImpl(x, ld, m, f, g, y); }
#ifdef THEANODE_HAS_CLONES
template <typename T>
THEANODE_TARGET_AVX2 void dotRowsAvx2(const T* x, int64_t ld, int64_t m, int64_t f, const T* w, T* z) { dotRowsImpl<T, 32>(x, ld, m, f, w, z); }
template <typename T>
THEANODE_TARGET_AVX2 void axpyRowsAvx2(const T* x, int64_t ld, int64_t m, int64_t f, const T* g, T* y) { axpyRowsImpl(x, ld, m, f, g, y); }
template <typename T>
THEANODE_TARGET_AVX512 void dotRowsAvx512(const T* x, int64_t ld, int64_t m, int64_t f, const T* w, T* z) { dotRowsImpl<T, 64>(x, ld, m, f, w, z); }
template <typename T>
THEANODE_TARGET_AVX512 void axpyRowsAvx512(const T* x, int64_t ld, int64_t m, int64_t f, const T* g, T* y) { axpyRowsImpl(x, ld, m, f, g, y); }
#endif

template <typename T>
RowKernels<T> choose() {
#ifdef THEANODE_HAS_CLONES
  switch (simdLevel()) {
    case SimdLevel::Avx512: return {dotRowsAvx512<T>, axpyRowsAvx512<T>};
    case SimdLevel::Avx2: return {dotRowsAvx2<T>, axpyRowsAvx2<T>};
    case SimdLevel::Base: break;
  }
#endif
  return {dotRowsBase<T>, axpyRowsBase<T>};
}

}  // namespace

template <typename T>
const RowKernels<T>& rowKernels() {
  static const RowKernels<T> k = choose<T>();
  return k;
}
template const RowKernels<float>& rowKernels<float>();
template const RowKernels<double>& rowKernels<double>();

}  // namespace theanode
