// `softmax` (attr log: logSoftmax) along the last axis, max subtracted first, in double, from the
// rows' exponentials (row_exp.h).
#include <cmath>

#include "registry.h"
#include "row_exp.h"

namespace theanode {
namespace {

class Softmax : public Kernel {
 public:
  explicit Softmax(const KernelArgs& a) : x_(a.in[0]), o_(a.out[0]), xt_(a.inTypes[0]), ot_(a.outTypes[0]), log_(a.attrs["log"].truthy()) {
    const auto& s = a.inShapes[0];
    n_ = s.empty() ? 1 : s.back();
    rows_ = n_ == 0 ? 0 : sizeOf(s) / n_;
  }
  void run(Frame& f) override {
    const void* x = f.ptr[x_];
    void* o = f.ptr[o_];
    exps_.compute(xt_, x, rows_, n_);
    for (int64_t r = 0; r < rows_; r++) {
      const int64_t b = r * n_;
      if (log_) {
        const double m = exps_.max[r], ls = std::log(exps_.sum[r]);
        for (int64_t j = 0; j < n_; j++) store(ot_, o, b + j, load(xt_, x, b + j) - m - ls);
      } else {
        for (int64_t j = 0; j < n_; j++) store(ot_, o, b + j, exps_.e[b + j] / exps_.sum[r]);
      }
    }
  }

 private:
  int x_, o_;
  DType xt_, ot_;
  bool log_;
  int64_t n_ = 1, rows_ = 0;
  RowExps exps_;
};

}  // namespace

void registerSoftmax() {
  registerKernel("softmax", [](const KernelArgs& a) { return std::make_unique<Softmax>(a); });
}

}  // namespace theanode
