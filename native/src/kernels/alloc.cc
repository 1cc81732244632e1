// `alloc` (a value broadcast to a shape) and `eye`, as lib/ops/alloc.ts. Shapes come from the plan.
#include <algorithm>
#include <stdexcept>

#include "registry.h"

namespace theanode {
namespace {

class Alloc : public Kernel {
 public:
  explicit Alloc(const KernelArgs& a) : v_(a.in[0]), o_(a.out[0]), vt_(a.inTypes[0]), ot_(a.outTypes[0]), out_(a.outShapes[0]) {
    const auto& s = a.inShapes[0];
    if (s.size() > out_.size()) throw std::runtime_error("alloc: value of higher rank than the result");
    // Offsets of the value for every element of the result, in C order (0 stride where stretched).
    scalar_ = sizeOf(s) == 1;
    if (!scalar_) offsets_ = offsetsOf(out_, broadcastStrides(s, out_));
  }
  void run(Frame& f) override {
    const void* v = f.ptr[v_];
    void* o = f.ptr[o_];
    const int64_t n = sizeOf(out_);
    if (scalar_) {
      const double x = n > 0 ? load(vt_, v, 0) : 0;
      for (int64_t k = 0; k < n; k++) store(ot_, o, k, x);
      return;
    }
    for (int64_t k = 0; k < n; k++) store(ot_, o, k, load(vt_, v, offsets_[k]));
  }

 private:
  int v_, o_;
  DType vt_, ot_;
  std::vector<int64_t> out_, offsets_;
  bool scalar_ = false;
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
