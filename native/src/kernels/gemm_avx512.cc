// AVX-512 products (see gemm_avx512.h), blocked as BLIS does: op(B) is packed a block of
// KC x NC at a time into panels of NR columns, op(A) a block of MC x KC into panels of MR rows,
// and a micro-kernel keeps an MR x NR tile of C in 28 of the 32 vector registers while it runs
// over the block's k. A B panel (KC x NR) stays in L1 while the A panels stream from L2.
//
// Shapes: panels of at most MR = 14 rows, of nearly equal heights, each height its own kernel
// (no multiply-adds on padding rows), and of NR = two vectors of columns; a last panel of
// columns is padded with zeros (or read through a mask) and stored through a mask, with one
// vector's kernel when it is that narrow. Narrow products (fewer than one vector of columns)
// stay with OpenBLAS (blas.h).

#include "gemm_avx512.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

#include "../cpu.h"
#include "../pool.h"

#ifdef THEANODE_HAS_CLONES
#include <immintrin.h>
#endif

namespace theanode {
namespace blas {

#ifdef THEANODE_HAS_CLONES
namespace {

constexpr int MR = 14;
// Up to this many rows of C, B is read in place rather than packed.
constexpr int64_t kDirectRows = 2 * MR;

// The vector type of each element type, and the few operations the kernel needs.
template <typename T>
struct Lanes;
template <>
struct Lanes<float> {
  using V = __m512;
  static constexpr int L = 16;
  // Blocks: B's panel of KC x 32 floats is 32 KiB (L1 holds 48); A's block of MC x KC, 112 KiB,
  // and B's of KC x NC, 1 MiB (L2).
  static constexpr int KC = 256, MC = 112, NC = 1024;
  THEANODE_TARGET_AVX512 static V zero() { return _mm512_setzero_ps(); }
  THEANODE_TARGET_AVX512 static V load(const float* p) { return _mm512_load_ps(p); }
  THEANODE_TARGET_AVX512 static V set1(float v) { return _mm512_set1_ps(v); }
  THEANODE_TARGET_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  THEANODE_TARGET_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  THEANODE_TARGET_AVX512 static V loadu(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
  THEANODE_TARGET_AVX512 static void storeu(float* p, V v, __mmask16 m) { _mm512_mask_storeu_ps(p, m, v); }
  static __mmask16 mask(int n) { return n >= L ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1); }
  THEANODE_TARGET_AVX512 static void store(float* p, V v) { _mm512_store_ps(p, v); }
  // r[j][i] = r[i][j] for a 16 x 16 block: pairs of rows interleaved, then pairs of pairs (as
  // doubles), then 128-bit quarters gathered across the four groups of four rows.
  THEANODE_TARGET_AVX512 static void transpose(V* r) {
    V t[16], u[16];
    for (int i = 0; i < 8; i++) t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]), t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    for (int i = 0; i < 4; i++)
      for (int h = 0; h < 2; h++) {
        const __m512d a = _mm512_castps_pd(t[4 * i + h]), b = _mm512_castps_pd(t[4 * i + 2 + h]);
        u[4 * i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));  // column 4k + 2h, rows 4i..4i+3
        u[4 * i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));  // column 4k + 2h + 1
      }
    for (int c = 0; c < 4; c++) {
      const V x = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), y = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
      const V x2 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE), y2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
      r[c] = _mm512_shuffle_f32x4(x, y, 0x88), r[4 + c] = _mm512_shuffle_f32x4(x, y, 0xDD);
      r[8 + c] = _mm512_shuffle_f32x4(x2, y2, 0x88), r[12 + c] = _mm512_shuffle_f32x4(x2, y2, 0xDD);
    }
  }
};
template <>
struct Lanes<double> {
  using V = __m512d;
  static constexpr int L = 8;
  // Same bytes per block as for float.
  static constexpr int KC = 256, MC = 56, NC = 512;
  THEANODE_TARGET_AVX512 static V zero() { return _mm512_setzero_pd(); }
  THEANODE_TARGET_AVX512 static V load(const double* p) { return _mm512_load_pd(p); }
  THEANODE_TARGET_AVX512 static V set1(double v) { return _mm512_set1_pd(v); }
  THEANODE_TARGET_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  THEANODE_TARGET_AVX512 static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  THEANODE_TARGET_AVX512 static V loadu(const double* p, __mmask8 m) { return _mm512_maskz_loadu_pd(m, p); }
  THEANODE_TARGET_AVX512 static void storeu(double* p, V v, __mmask8 m) { _mm512_mask_storeu_pd(p, m, v); }
  static __mmask8 mask(int n) { return n >= L ? static_cast<__mmask8>(0xFF) : n <= 0 ? 0 : static_cast<__mmask8>((1u << n) - 1); }
  THEANODE_TARGET_AVX512 static void store(double* p, V v) { _mm512_store_pd(p, v); }
  // r[j][i] = r[i][j] for an 8 x 8 block: pairs of rows interleaved, then 128-bit quarters
  // gathered across the four pairs.
  THEANODE_TARGET_AVX512 static void transpose(V* r) {
    V t[8];
    for (int i = 0; i < 4; i++) t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]), t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    for (int c = 0; c < 2; c++) {
      const V x = _mm512_shuffle_f64x2(t[c], t[2 + c], 0x44), y = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0x44);
      const V x2 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0xEE), y2 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0xEE);
      r[c] = _mm512_shuffle_f64x2(x, y, 0x88), r[2 + c] = _mm512_shuffle_f64x2(x, y, 0xDD);
      r[4 + c] = _mm512_shuffle_f64x2(x2, y2, 0x88), r[6 + c] = _mm512_shuffle_f64x2(x2, y2, 0xDD);
    }
  }
};

// C tile (R rows, the first `cols` of NR columns, or of L when not Wide) = alpha * sum_k ap[k]
// bp[k] + (accumulate ? C : beta C), where ap holds R values per k and bp's rows lie bs apart:
// a packed panel (aligned, zero-padded), or B itself (Direct: loads masked to its columns).
template <typename T, int R, bool Wide, bool Direct>
THEANODE_TARGET_AVX512 void microKernel(int64_t kc, const T* __restrict ap, const T* __restrict bp, int64_t bs, T* c, int64_t ldc, int cols, T alpha, T beta, bool accumulate) {
  using S = Lanes<T>;
  using V = typename S::V;
  constexpr int L = S::L;
  const auto m0 = S::mask(cols), m1 = S::mask(cols - L);
  V c0[R], c1[R];
#pragma GCC unroll 14
  for (int i = 0; i < R; i++) c0[i] = S::zero(), c1[i] = S::zero();
  for (int64_t k = 0; k < kc; k++) {
    const V b0 = Direct ? S::loadu(bp, m0) : S::load(bp);
    const V b1 = !Wide ? S::zero() : Direct ? S::loadu(bp + L, m1) : S::load(bp + L);
#pragma GCC unroll 14
    for (int i = 0; i < R; i++) {
      const V a = S::set1(ap[i]);
      c0[i] = S::fma(a, b0, c0[i]);
      if (Wide) c1[i] = S::fma(a, b1, c1[i]);
    }
    ap += R;
    bp += bs;
  }
  const V va = S::set1(alpha);
  const bool scale = !accumulate && beta != T(0);
  const V vb = S::set1(accumulate ? T(1) : beta);
#pragma GCC unroll 14
  for (int i = 0; i < R; i++) {
    T* row = c + i * ldc;
    V r0 = S::mul(va, c0[i]);
    if (accumulate || scale) r0 = S::fma(vb, S::loadu(row, m0), r0);
    S::storeu(row, r0, m0);
    if (Wide && cols > L) {
      V r1 = S::mul(va, c1[i]);
      if (accumulate || scale) r1 = S::fma(vb, S::loadu(row + L, m1), r1);
      S::storeu(row + L, r1, m1);
    }
  }
}

template <typename T>
using MicroKernel = void (*)(int64_t, const T*, const T*, int64_t, T*, int64_t, int, T, T, bool);

template <typename T, bool Wide, bool Direct, int... R>
constexpr std::array<MicroKernel<T>, sizeof...(R)> kernelsFor(std::integer_sequence<int, R...>) {
  return {microKernel<T, R + 1, Wide, Direct>...};
}

// Kernels by row count (1 .. MR): two vectors of columns or one, from a packed panel or from B.
template <typename T, bool Wide, bool Direct>
const MicroKernel<T>* microKernels() {
  static constexpr auto table = kernelsFor<T, Wide, Direct>(std::make_integer_sequence<int, MR>{});
  return table.data();
}

// op(B)[p0 .. p0+kc, j0 .. j0+nc] into panels of NR columns, k-major in each, zero-padded.
template <typename T>
THEANODE_TARGET_AVX512 void packB(bool trans, const T* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* out) {
  using S = Lanes<T>;
  using V = typename S::V;
  constexpr int L = S::L, NR = 2 * L;
  for (int64_t j = 0; j < nc; j += NR) {
    const int w = static_cast<int>(std::min<int64_t>(NR, nc - j));
    T* panel = out + j * kc;
    if (!trans) {
      const auto m0 = S::mask(w), m1 = S::mask(w - L);
      for (int64_t p = 0; p < kc; p++) {
        const T* src = b + (p0 + p) * ldb + j0 + j;
        S::store(panel + p * NR, S::loadu(src, m0));
        S::store(panel + p * NR + L, S::loadu(src + L, m1));
      }
    } else {
      // Each column of the panel is a row of B: blocks of L rows by L of their columns,
      // transposed in registers.
      for (int64_t p = 0; p < kc; p += L) {
        const int len = static_cast<int>(std::min<int64_t>(L, kc - p));
        const auto m = S::mask(len);
        for (int half = 0; half < 2; half++) {
          V r[L];
          for (int i = 0; i < L; i++) {
            const int q = half * L + i;
            r[i] = q < w ? S::loadu(b + (j0 + j + q) * ldb + p0 + p, m) : S::zero();
          }
          S::transpose(r);
          for (int i = 0; i < len; i++) S::store(panel + (p + i) * NR + half * L, r[i]);
        }
      }
    }
  }
}

// The panels of a block of mc rows: as few as MR allows, of heights that differ by at most one
// (128 rows are 8 panels of 13 and 2 of 12, not 9 of 14 and one of 2, which would run at a
// fraction of the speed).
struct Panels {
  int64_t count, base, extra;
  explicit Panels(int64_t mc) : count((mc + MR - 1) / MR), base(mc / count), extra(mc % count) {}
  int64_t start(int64_t q) const { return q * base + std::min(q, extra); }
  int rows(int64_t q) const { return static_cast<int>(base + (q < extra ? 1 : 0)); }
};

// op(A)[i0 .. i0+mc, p0 .. p0+kc] into the block's panels, k-major in each.
template <typename T>
THEANODE_TARGET_AVX512 void packA(bool trans, const T* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* out) {
  using S = Lanes<T>;
  using V = typename S::V;
  constexpr int L = S::L;
  const Panels panels(mc);
  for (int64_t q = 0; q < panels.count; q++) {
    const int64_t i = panels.start(q);
    const int h = panels.rows(q);
    T* panel = out + i * kc;
    // The panel's rows in groups of L (one group for float, two for double).
    for (int g = 0; g < h; g += L) {
      const auto rows = S::mask(h - g);
      if (trans) {
        for (int64_t p = 0; p < kc; p++) S::storeu(panel + p * h + g, S::loadu(a + (p0 + p) * lda + i0 + i + g, rows), rows);
      } else {
        for (int64_t p = 0; p < kc; p += L) {
          const int len = static_cast<int>(std::min<int64_t>(L, kc - p));
          const auto m = S::mask(len);
          V r[L];
          for (int e = 0; e < L; e++) r[e] = g + e < h ? S::loadu(a + (i0 + i + g + e) * lda + p0 + p, m) : S::zero();
          S::transpose(r);
          for (int e = 0; e < len; e++) S::storeu(panel + (p + e) * h + g, r[e], rows);
        }
      }
    }
  }
}

// Packing space of one thread, kept between calls (the pool's threads live as long as the addon).
template <typename T>
struct Workspace {
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> a, b;
  size_t aSize = 0, bSize = 0;
  static T* grow(std::unique_ptr<T, Free>& p, size_t& have, size_t need) {
    if (have < need) {
      const size_t bytes = (need * sizeof(T) + 63) / 64 * 64;
      T* q = static_cast<T*>(std::aligned_alloc(64, bytes));
      if (!q) throw std::bad_alloc();
      p.reset(q);
      have = need;
    }
    return p.get();
  }
};

// k in equal blocks of at most KC (a short last block would cost a pass over C for little).
template <typename T>
int64_t blockLength(int64_t k) {
  const int64_t blocks = std::max<int64_t>(1, (k + Lanes<T>::KC - 1) / Lanes<T>::KC);
  return std::max<int64_t>(1, (k + blocks - 1) / blocks);
}

// One call's operands and its cut of k (the same for every part of the call, so the parts'
// results are the bits of the whole computed at once).
template <typename T>
struct Product {
  static constexpr int L = Lanes<T>::L, NR = 2 * L, KC = Lanes<T>::KC, MC = Lanes<T>::MC, NC = Lanes<T>::NC;
  bool transA, transB;
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T beta;
  T* c;
  int64_t ldc;
  int64_t kcStep = blockLength<T>(k);
  // B read in place (no packing) when it is not transposed and few A panels share each of its
  // panels: packing costs a pass over B per block of C's rows.
  bool direct = !transB && m <= kDirectRows;
  int64_t panelsN = (n + NR - 1) / NR;

  // C's rows [i0, i1) by columns [j0, j1) (j0 a multiple of NR), op(B) packed here a block at a
  // time or read in place.
  void multiply(int64_t i0, int64_t i1, int64_t j0, int64_t j1) const {
    thread_local Workspace<T> ws;
    const int64_t rows = i1 - i0, mBlocks = (rows + MC - 1) / MC, mcStep = (rows + mBlocks - 1) / mBlocks;
    T* ap = Workspace<T>::grow(ws.a, ws.aSize, static_cast<size_t>(kcStep * mcStep));
    T* bp = direct ? nullptr : Workspace<T>::grow(ws.b, ws.bSize, static_cast<size_t>(kcStep * std::min<int64_t>(NC, (j1 - j0 + NR - 1) / NR * NR)));
    const MicroKernel<T>* kernels[2][2] = {{microKernels<T, false, false>(), microKernels<T, true, false>()}, {microKernels<T, false, true>(), microKernels<T, true, true>()}};
    for (int64_t jb = j0; jb < j1; jb += NC) {
      const int64_t nc = std::min<int64_t>(NC, j1 - jb);
      for (int64_t p0 = 0; p0 < k; p0 += kcStep) {
        const int64_t kc = std::min(kcStep, k - p0);
        if (bp) packB(transB, b, ldb, p0, kc, jb, nc, bp);
        for (int64_t ib = i0; ib < i1; ib += mcStep) {
          const int64_t mc = std::min(mcStep, i1 - ib);
          const Panels panels(mc);
          packA(transA, a, lda, ib, mc, p0, kc, ap);
          for (int64_t j = 0; j < nc; j += NR) {
            const int cols = static_cast<int>(std::min<int64_t>(NR, nc - j));
            const MicroKernel<T>* kern = kernels[direct][cols > L];
            const T* panel = direct ? b + p0 * ldb + jb + j : bp + j * kc;
            const int64_t bs = direct ? ldb : NR;
            for (int64_t q = 0; q < panels.count; q++) {
              const int64_t i = panels.start(q);
              kern[panels.rows(q) - 1](kc, ap + i * kc, panel, bs, c + (ib + i) * ldc + jb + j, ldc, cols, alpha, beta, p0 > 0);
            }
          }
        }
      }
    }
  }
};

// C = beta C when there is nothing to multiply (beta 0 writes zeros whatever C held); false
// when there is.
template <typename T>
bool noProducts(int64_t m, int64_t n, int64_t k, T alpha, T beta, T* c, int64_t ldc) {
  if (m > 0 && n > 0 && k > 0 && alpha != T(0)) return false;
  for (int64_t i = 0; i < m && n > 0; i++) {
    T* row = c + i * ldc;
    if (beta == T(0)) std::fill_n(row, n, T(0));
    else if (beta != T(1))
      for (int64_t j = 0; j < n; j++) row[j] *= beta;
  }
  return true;
}

// The product in `parts` bands on the pool, one per thread: each band packs what it reads, so
// the operand that all bands read is packed by each (rows of C when B is the smaller operand,
// else columns; columns when B is read in place). Measured on 2 cores of a Zen 5 (MLP shapes,
// 128x256x784 and 784x256x128): 2 bands 1.65-1.95x one; sharing one packing of B among bands
// of rows, 2 bands ran as fast but 4 or 8 (fewer rows, each streaming all of B) 1.3x slower
// than 2, and the extra job to pack B waited on a sleeping worker's wake-up (25-50 us here).
template <typename T>
void gemmParts(const Product<T>& g, int parts) {
  if (noProducts(g.m, g.n, g.k, g.alpha, g.beta, g.c, g.ldc)) return;
  if (parts <= 1) return g.multiply(0, g.m, 0, g.n);
  if (g.direct || g.n > g.m) {
    const int bands = static_cast<int>(std::min<int64_t>(parts, g.panelsN));
    return parallelRun(bands, [&](int p) {
      const int64_t lo = g.panelsN * p / bands * g.NR, hi = std::min(g.n, g.panelsN * (p + 1) / bands * g.NR);
      if (lo < hi) g.multiply(0, g.m, lo, hi);
    });
  }
  // Bands of whole panels of the rows, so that each keeps panels of nearly MR rows.
  const Panels rows(g.m);
  const int bands = static_cast<int>(std::min<int64_t>(parts, rows.count));
  parallelRun(bands, [&](int p) {
    const int64_t i0 = rows.start(rows.count * p / bands), i1 = rows.start(rows.count * (p + 1) / bands);
    if (i0 < i1) g.multiply(i0, i1, 0, g.n);
  });
}

}  // namespace
#endif

bool ownGemmAvailable() {
#ifdef THEANODE_HAS_CLONES
  // THEANODE_PRODUCTS=openblas sends every product to OpenBLAS (a BLAS tuned for the machine).
  static const bool available = [] {
    const char* choice = std::getenv("THEANODE_PRODUCTS");
    return simdLevel() == SimdLevel::Avx512 && !(choice && std::strcmp(choice, "openblas") == 0);
  }();
  return available;
#else
  return false;
#endif
}

void ownGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int parts) {
#ifdef THEANODE_HAS_CLONES
  gemmParts(Product<float>{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}, parts);
#else
  throw std::logic_error("ownGemm: this build has no AVX-512 products");
#endif
}

void ownGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc, int parts) {
#ifdef THEANODE_HAS_CLONES
  gemmParts(Product<double>{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}, parts);
#else
  throw std::logic_error("ownGemm: this build has no AVX-512 products");
#endif
}

}  // namespace blas
}  // namespace theanode
