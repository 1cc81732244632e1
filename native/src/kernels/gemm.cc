// The `gemm` opcode: out = beta·C + alpha·op(A)·op(B) in one BLAS call (gemv when B is a
// vector), then max(out, 0) with the relu attribute. C (its shape, or one row to repeat) is
// copied to out first unless the plan put out in C's storage (in place).
#include <cstring>

#include "blas.h"
#include "registry.h"

namespace theanode {
namespace {

class Gemm : public Kernel {
 public:
  explicit Gemm(const KernelArgs& a)
      : c_(a.in[0]), a_(a.in[1]), b_(a.in[2]), o_(a.out[0]), alpha_(a.attrs["alpha"].number()), beta_(a.attrs["beta"].number()),
        ta_(a.attrs["transA"].truthy()), tb_(a.attrs["transB"].truthy()), relu_(a.attrs["relu"].truthy()), f32_(a.outTypes[0] == DType::F32) {
    for (DType t : a.inTypes)
      if (t != a.outTypes[0] || (t != DType::F64 && t != DType::F32)) throw std::runtime_error("gemm: operands must share one float dtype");
    const auto& sa = a.inShapes[1];
    const auto& sb = a.inShapes[2];
    if (sa.size() != 2 || sb.size() < 1 || sb.size() > 2) throw std::runtime_error("gemm: bad operand ranks");
    rowsA_ = sa[0];
    colsA_ = sa[1];
    m_ = ta_ ? sa[1] : sa[0];
    k_ = ta_ ? sa[0] : sa[1];
    vec_ = sb.size() == 1;
    n_ = vec_ ? 1 : (tb_ ? sb[0] : sb[1]);
    ldb_ = vec_ ? 1 : sb[1];
    const int64_t kb = vec_ ? sb[0] : (tb_ ? sb[1] : sb[0]);
    if (kb != k_ || sizeOf(a.outShapes[0]) != m_ * n_) throw std::runtime_error("gemm: operand shapes are not aligned");
    const int64_t cSize = sizeOf(a.inShapes[0]);
    cRow_ = !vec_ && cSize == n_ && m_ != 1;
    if (cSize != m_ * n_ && !cRow_) throw std::runtime_error("gemm: C fits neither the result nor one row of it");
  }

  void run(Frame& f) override {
    if (f32_) run<float>(f);
    else run<double>(f);
  }

 private:
  template <typename T>
  void run(Frame& f) {
    T* out = static_cast<T*>(f.ptr[o_]);
    const T* c = static_cast<const T*>(f.ptr[c_]);
    const int64_t size = m_ * n_;
    if (size == 0) return;
    if (cRow_)
      for (int64_t i = 0; i < m_; i++) std::memcpy(out + i * n_, c, static_cast<size_t>(n_) * sizeof(T));
    else if (out != c)
      std::memcpy(out, c, static_cast<size_t>(size) * sizeof(T));
    const T* a = static_cast<const T*>(f.ptr[a_]);
    const T* b = static_cast<const T*>(f.ptr[b_]);
    if (k_ == 0)
      for (int64_t i = 0; i < size; i++) out[i] = static_cast<T>(beta_ * out[i]);
    else if (vec_)
      blas::gemv(ta_, rowsA_, colsA_, alpha_, a, colsA_, b, beta_, out);
    else
      blas::gemm(ta_, tb_, m_, n_, k_, alpha_, a, colsA_, b, ldb_, beta_, out, n_);
    if (relu_)
      for (int64_t i = 0; i < size; i++) out[i] = out[i] > 0 ? out[i] : T(0);  // NaN -> 0, as relu
  }

  int c_, a_, b_, o_;
  double alpha_, beta_;
  bool ta_, tb_, relu_, f32_, vec_ = false, cRow_ = false;
  int64_t rowsA_ = 0, colsA_ = 0, m_ = 0, n_ = 0, k_ = 0, ldb_ = 1;
};

}  // namespace

void registerGemm() {
  registerKernel("gemm", [](const KernelArgs& a) { return std::make_unique<Gemm>(a); });
}

}  // namespace theanode
