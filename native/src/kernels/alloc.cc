// `alloc` (a value broadcast to a shape) and `eye`, as lib/ops/alloc.ts. Shapes come from the plan.
#include <algorithm>
#include <vector>
#include <stdexcept>

#include "registry.h"

namespace theanode {
namespace {

class Alloc : public Kernel {
 public:
  explicit Alloc(const KernelArgs& a) : v_(a.in[0]), o_(a.out[0]), vt_(a.inTypes[0]), ot_(a.outTypes[0]), out_(a.outShapes[0]) {
    const auto& s = a.inShapes[0];
    if (s.size() > out_.size()) throw std::runtime_error("alloc: value of higher rank than the result");
    scalar_ = sizeOf(s) == 1;
    strides_ = broadcastStrides(s, out_);  // 0 along stretched axes
    // The value is repeated in whole copies of its last `tail` elements (a row broadcast down).
    const auto os = stridesOf(out_);
    int d = 0;
    while (d < static_cast<int>(out_.size()) && strides_[d] == 0) d++;
    rowCopies_ = true;
    for (size_t ax = d; ax < out_.size(); ax++) rowCopies_ = rowCopies_ && strides_[ax] == os[ax];
    period_ = sizeOf(s);
  }
  void run(Frame& f) override {
    const void* v = f.ptr[v_];
    void* o = f.ptr[o_];
    const int64_t n = sizeOf(out_);
    if (n == 0) return;
    if (scalar_) {
      const double x = load(vt_, v, 0);
      for (int64_t k = 0; k < n; k++) store(ot_, o, k, x);
      return;
    }
    if (rowCopies_) {
      for (int64_t k = 0; k < n; k++) store(ot_, o, k, load(vt_, v, k % period_));
      return;
    }
    // Anything else: an odometer over the result, the value's offset moved by its strides.
    std::vector<int64_t> idx(out_.size(), 0);
    int64_t src = 0;
    for (int64_t k = 0; k < n; k++) {
      store(ot_, o, k, load(vt_, v, src));
      for (size_t ax = out_.size(); ax-- > 0;) {
        idx[ax]++;
        src += strides_[ax];
        if (idx[ax] < out_[ax]) break;
        src -= strides_[ax] * out_[ax];
        idx[ax] = 0;
      }
    }
  }

 private:
  int v_, o_;
  DType vt_, ot_;
  std::vector<int64_t> out_, strides_;
  int64_t period_ = 1;
  bool scalar_ = false, rowCopies_ = false;
};

class Eye : public Kernel {
 public:
  explicit Eye(const KernelArgs& a) : k_(a.in[2]), kt_(a.inTypes[2]), o_(a.out[0]), ot_(a.outTypes[0]) {
    rows_ = a.outShapes[0][0];
    cols_ = a.outShapes[0][1];
  }
  void run(Frame& f) override {
    void* o = f.ptr[o_];
    const int64_t k = static_cast<int64_t>(load(kt_, f.ptr[k_], 0));
    for (int64_t i = 0; i < rows_ * cols_; i++) store(ot_, o, i, 0);
    for (int64_t r = std::max<int64_t>(0, -k); r < rows_ && r + k < cols_; r++) store(ot_, o, r * cols_ + r + k, 1);
  }

 private:
  int k_;
  DType kt_;
  int o_;
  DType ot_;
  int64_t rows_ = 0, cols_ = 0;
};

}  // namespace

void registerAlloc() {
  registerKernel("alloc", [](const KernelArgs& a) { return std::make_unique<Alloc>(a); });
  registerKernel("eye", [](const KernelArgs& a) { return std::make_unique<Eye>(a); });
}

}  // namespace theanode
