// Products by element type: CBLAS, or the addon's AVX-512 kernels where the CPU has them; those
// big enough to share are split over the kernel threads, each part computing a band of the
// output with a single-threaded call (see pool.h).
#pragma once
#include <cblas.h>

#include <algorithm>
#include <cstdint>

#include "../pool.h"
#include "gemm_avx512.h"

namespace theanode {
namespace blas {

// Products of at least one vector (64 bytes) of columns go to the AVX-512 kernels where the CPU
// has them (gemm_avx512.h); narrower ones would mostly multiply padding there and stay with
// OpenBLAS.
template <typename T>
inline bool useOwnGemm(int64_t n) {
  return n >= static_cast<int64_t>(64 / sizeof(T)) && ownGemmAvailable();
}

inline void gemmCall(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b, int ldb, double beta, double* c, int ldc) {
  if (useOwnGemm<double>(n)) return ownGemm(ta == CblasTrans, tb == CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemmCall(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, const float* a, int lda, const float* b, int ldb, double beta, float* c, int ldc) {
  if (useOwnGemm<float>(n)) return ownGemm(ta == CblasTrans, tb == CblasTrans, m, n, k, static_cast<float>(alpha), a, lda, b, ldb, static_cast<float>(beta), c, ldc);
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, static_cast<float>(alpha), a, lda, b, ldb, static_cast<float>(beta), c, ldc);
}
inline void gemvCall(CBLAS_TRANSPOSE t, int rows, int cols, double alpha, const double* a, int lda, const double* x, double beta, double* y) {
  cblas_dgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, 1, beta, y, 1);
}
inline void gemvCall(CBLAS_TRANSPOSE t, int rows, int cols, double alpha, const float* a, int lda, const float* x, double beta, float* y) {
  cblas_sgemv(CblasRowMajor, t, rows, cols, static_cast<float>(alpha), a, lda, x, 1, static_cast<float>(beta), y, 1);
}
inline double dot(int n, const double* x, const double* y) { return cblas_ddot(n, x, 1, y, 1); }
inline float dot(int n, const float* x, const float* y) { return cblas_sdot(n, x, 1, y, 1); }

// [begin, end) of part p when `total` is cut into `parts` bands of whole multiples of `grain`.
inline void band(int64_t total, int parts, int p, int64_t grain, int64_t& begin, int64_t& end) {
  const int64_t units = (total + grain - 1) / grain;
  begin = std::min(total, units * p / parts * grain);
  end = std::min(total, units * (p + 1) / parts * grain);
}

// Bands per thread of a product: each band's BLAS call packs the whole other operand again (at
// 8 bands of the MLP's 128x784 · 784x256, copying A costs an estimated third of the band's
// multiply-adds), so fewer than the pool's default, which is for work that costs nothing to cut.
constexpr int kBandsPerThread = 2;

// C (m x n, row stride ldc) = alpha op(A) op(B) + beta C, split by rows of C (or by columns when
// C is wide and short).
template <typename T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, double alpha, const T* a, int64_t lda, const T* b, int64_t ldb, double beta, T* c, int64_t ldc) {
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  // The AVX-512 kernels: one part per thread (why: gemmParts in gemm_avx512.cc).
  if (useOwnGemm<T>(n)) return ownGemm(transA, transB, m, n, k, static_cast<T>(alpha), a, lda, b, ldb, static_cast<T>(beta), c, ldc, parallelParts(work, 1));
  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans;
  const int parts = std::min<int64_t>(parallelParts(work, kBandsPerThread), std::max(m, n) / 8 + 1);
  const bool byRows = m >= n;
  parallelRun(parts, [&](int p) {
    int64_t lo, hi;
    band(byRows ? m : n, parts, p, 8, lo, hi);
    if (lo >= hi) return;
    if (byRows) gemmCall(ta, tb, static_cast<int>(hi - lo), static_cast<int>(n), static_cast<int>(k), alpha, a + (transA ? lo : lo * lda), static_cast<int>(lda), b, static_cast<int>(ldb), beta, c + lo * ldc, static_cast<int>(ldc));
    else gemmCall(ta, tb, static_cast<int>(m), static_cast<int>(hi - lo), static_cast<int>(k), alpha, a, static_cast<int>(lda), b + (transB ? lo * ldb : lo), static_cast<int>(ldb), beta, c + lo, static_cast<int>(ldc));
  });
}

// y = alpha op(A) x + beta y for A (rows x cols, row stride lda), split along y.
template <typename T>
void gemv(bool trans, int64_t rows, int64_t cols, double alpha, const T* a, int64_t lda, const T* x, double beta, T* y) {
  const CBLAS_TRANSPOSE t = trans ? CblasTrans : CblasNoTrans;
  const int64_t len = trans ? cols : rows;
  const int parts = std::min<int64_t>(parallelParts(static_cast<double>(rows) * static_cast<double>(cols), kBandsPerThread), len / 16 + 1);
  parallelRun(parts, [&](int p) {
    int64_t lo, hi;
    band(len, parts, p, 16, lo, hi);
    if (lo >= hi) return;
    if (trans) gemvCall(t, static_cast<int>(rows), static_cast<int>(hi - lo), alpha, a + lo, static_cast<int>(lda), x, beta, y + lo);
    else gemvCall(t, static_cast<int>(hi - lo), static_cast<int>(cols), alpha, a + lo * lda, static_cast<int>(lda), x, beta, y + lo);
  });
}

}  // namespace blas
}  // namespace theanode
