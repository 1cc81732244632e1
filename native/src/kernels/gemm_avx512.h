// Matrix products on AVX-512, for CPUs whose 512-bit units do twice the multiply-adds of their
// 256-bit ones (AMD Zen 5, Intel server cores with two 512-bit FMA units). OpenBLAS is not always running its own AVX-512
// kernels there: environments where older builds misbehave hold it to its AVX2 ones
// (OPENBLAS_CORETYPE=Haswell), which leaves half of each core's multiply-adds unused. These
// kernels took 0.53-0.61 of the time of OpenBLAS 0.3.21's AVX2 kernels on a Zen 5 core for the
// benched networks' shapes, and 0.73-1.04 of its AVX-512 ones (bench/products.ts).
#pragma once
#include <cstdint>

namespace theanode {
namespace blas {

// Whether this CPU runs the products below (the build has the clones and the CPU has AVX-512,
// unless THEANODE_SIMD caps it or THEANODE_PRODUCTS=openblas declines them).
bool ownGemmAvailable();

// Row-major C (m x n) = alpha op(A) op(B) + beta C, as cblas_?gemm (beta 0 never reads C), in
// up to `parts` parts on the pool (pool.h; 1: on the calling thread). Each element's sum runs
// over k in blocks fixed by k alone, so the result is the same bits however it is cut.
void ownGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int parts = 1);
void ownGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc, int parts = 1);

}  // namespace blas
}  // namespace theanode
