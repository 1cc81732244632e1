// Matrix products on AVX-512, for CPUs whose 512-bit units do twice the multiply-adds of their
// 256-bit ones (AMD Zen 5, Intel server cores). The system OpenBLAS is often held to its AVX2
// kernels there (its AVX-512 ones are missing or wrong for the CPU: Debian's 0.3.21 on Zen 5
// gives wrong products with OPENBLAS_CORETYPE=SkylakeX), which leaves half the machine idle.
// Measured on a Zen 5 core: see gemm_avx512.cc.
#pragma once
#include <cstdint>

namespace theanode {
namespace blas {

// Whether this CPU runs the products below (the build has the clones and the CPU has AVX-512,
// unless THEANODE_SIMD caps it).
bool ownGemmAvailable();

// Row-major C (m x n) = alpha op(A) op(B) + beta C, as cblas_?gemm (beta 0 never reads C), in
// up to `parts` parts on the pool (pool.h; 1: on the calling thread). Each element's sum runs
// over k in blocks fixed by k alone, so the result is the same bits however it is cut.
void ownGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int parts = 1);
void ownGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc, int parts = 1);

}  // namespace blas
}  // namespace theanode
