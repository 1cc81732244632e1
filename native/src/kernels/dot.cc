// The `dot` opcode: vector and matrix products through CBLAS (transposes as BLAS flags, never a
// transposed copy); integer and boolean operands use plain loops with double accumulation.
#include <cstring>

#include "blas.h"
#include "registry.h"

namespace theanode {
namespace {

class Dot : public Kernel {
 public:
  explicit Dot(const KernelArgs& a) : a_(a.in[0]), b_(a.in[1]), c_(a.out[0]), ta_(a.attrs["transA"].truthy()), tb_(a.attrs["transB"].truthy()) {
    const auto& sa = a.inShapes[0];
    const auto& sb = a.inShapes[1];
    aMat_ = sa.size() == 2;
    bMat_ = sb.size() == 2;
    m_ = aMat_ ? (ta_ ? sa[1] : sa[0]) : 1;
    k_ = aMat_ ? (ta_ ? sa[0] : sa[1]) : sa[0];
    int64_t kb = bMat_ ? (tb_ ? sb[1] : sb[0]) : sb[0];
    n_ = bMat_ ? (tb_ ? sb[0] : sb[1]) : 1;
    if (k_ != kb) throw std::runtime_error("dot: operand shapes are not aligned");
    lda_ = aMat_ ? sa[1] : k_;
    ldb_ = bMat_ ? sb[1] : 1;
    ta0_ = a.inTypes[0];
    tb0_ = a.inTypes[1];
    tc_ = a.outTypes[0];
    if (tc_ == DType::F64 && ta0_ == DType::F64 && tb0_ == DType::F64) mode_ = F64;
    else if (tc_ == DType::F32 && ta0_ == DType::F32 && tb0_ == DType::F32) mode_ = F32;
    else mode_ = Generic;
  }

  void run(Frame& f) override {
    void* C = f.ptr[c_];
    const void* A = f.ptr[a_];
    const void* Bp = f.ptr[b_];
    if (m_ == 0 || n_ == 0) return;
    if (k_ == 0 || mode_ == Generic) return generic(A, Bp, C);
    if (mode_ == F64) products(static_cast<const double*>(A), static_cast<const double*>(Bp), static_cast<double*>(C));
    else products(static_cast<const float*>(A), static_cast<const float*>(Bp), static_cast<float*>(C));
  }

 private:
  template <typename T>
  void products(const T* a, const T* b, T* c) {
    const int64_t lda = std::max<int64_t>(lda_, 1), ldb = std::max<int64_t>(ldb_, 1);
    if (!aMat_ && !bMat_) c[0] = blas::dot(static_cast<int>(k_), a, b);
    else if (aMat_ && !bMat_) blas::gemv(ta_, ta_ ? k_ : m_, ta_ ? m_ : k_, 1.0, a, lda, b, 0.0, c);
    // vector · matrix is (matrix^T) · vector.
    else if (!aMat_ && bMat_) blas::gemv(!tb_, tb_ ? n_ : k_, tb_ ? k_ : n_, 1.0, b, ldb, a, 0.0, c);
    else blas::gemm(ta_, tb_, m_, n_, k_, 1.0, a, lda, b, ldb, 0.0, c, n_);
  }

  // Any dtypes (and k == 0): double accumulation, stored with typed-array semantics.
  void generic(const void* A, const void* Bp, void* C) {
    for (int64_t i = 0; i < m_; i++)
      for (int64_t j = 0; j < n_; j++) {
        double s = 0;
        for (int64_t p = 0; p < k_; p++) {
          double av = aMat_ ? load(ta0_, A, ta_ ? p * lda_ + i : i * lda_ + p) : load(ta0_, A, p);
          double bv = bMat_ ? load(tb0_, Bp, tb_ ? j * ldb_ + p : p * ldb_ + j) : load(tb0_, Bp, p);
          s += av * bv;
        }
        store(tc_, C, i * n_ + j, s);
      }
  }

  int a_, b_, c_;
  bool ta_, tb_, aMat_ = false, bMat_ = false;
  int64_t m_ = 0, n_ = 0, k_ = 0, lda_ = 0, ldb_ = 0;
  DType ta0_, tb0_, tc_;
  enum { F64, F32, Generic } mode_;
};

}  // namespace

void registerDot() {
  registerKernel("dot", [](const KernelArgs& a) { return std::make_unique<Dot>(a); });
}

}  // namespace theanode
