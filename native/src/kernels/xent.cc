// `xent_softmax` and `xent_softmax_grad` (see lib/ops/xent.ts): softmax cross-entropy of integer
// labels and its gradient, in double, from the rows' exponentials (row_exp.h): the gradient
// divides them by their row's sum instead of taking them again. Labels are checked before
// anything is written.
#include <cmath>
#include <string>

#include "registry.h"
#include "row_exp.h"

namespace theanode {
namespace {

class XentBase : public Kernel {
 protected:
  XentBase(const KernelArgs& a, int zi, int yi) : z_(a.in[zi]), y_(a.in[yi]), o_(a.out[0]), zt_(a.inTypes[zi]), yt_(a.inTypes[yi]), ot_(a.outTypes[0]) {
    const auto& zs = a.inShapes[zi];
    const auto& ys = a.inShapes[yi];
    if (zs.size() != 2 || ys.size() != 1) throw std::runtime_error("crossentropy: expected a matrix of logits and a vector of labels");
    n_ = zs[0];
    k_ = zs[1];
    yBroadcast_ = ys[0] == 1;
    if (ys[0] != n_ && !yBroadcast_) throw std::runtime_error("crossentropy: " + std::to_string(ys[0]) + " labels for " + std::to_string(n_) + " rows of logits");
    if (k_ == 0 && n_ > 0) throw std::runtime_error("crossentropy: no classes to pick labels from");
  }

  // Every row's label as a column index; throws for one out of range.
  void labels(const Frame& f) {
    cols_.resize(static_cast<size_t>(n_));
    const void* y = f.ptr[y_];
    for (int64_t r = 0; r < n_; r++) {
      const double v = load(yt_, y, yBroadcast_ ? 0 : r);
      if (!(v >= -static_cast<double>(k_) && v < static_cast<double>(k_)))
        throw std::runtime_error("crossentropy: label " + std::to_string(static_cast<long long>(v)) + " of row " + std::to_string(r) + " is out of range for " + std::to_string(k_) + " classes");
      cols_[r] = static_cast<int64_t>(v < 0 ? v + static_cast<double>(k_) : v);
    }
  }

  int z_, y_, o_;
  DType zt_, yt_, ot_;
  int64_t n_ = 0, k_ = 0;
  bool yBroadcast_ = false;
  std::vector<int64_t> cols_;
  RowExps exps_;
};

class Xent : public XentBase {
 public:
  explicit Xent(const KernelArgs& a) : XentBase(a, 0, 1) {}
  void run(Frame& f) override {
    labels(f);
    const void* z = f.ptr[z_];
    exps_.compute(zt_, z, n_, k_);
    for (int64_t r = 0; r < n_; r++) store(ot_, f.ptr[o_], r, exps_.max[r] + std::log(exps_.sum[r]) - load(zt_, z, r * k_ + cols_[r]));
  }
};

class XentGrad : public XentBase {
 public:
  explicit XentGrad(const KernelArgs& a) : XentBase(a, 1, 2), g_(a.in[0]), gt_(a.inTypes[0]), gBroadcast_(a.inShapes[0].size() == 1 && a.inShapes[0][0] == 1) {}
  void run(Frame& f) override {
    labels(f);
    exps_.compute(zt_, f.ptr[z_], n_, k_);
    void* o = f.ptr[o_];
    for (int64_t r = 0; r < n_; r++) {
      const int64_t b = r * k_;
      const double gr = load(gt_, f.ptr[g_], gBroadcast_ ? 0 : r), sum = exps_.sum[r];
      for (int64_t j = 0; j < k_; j++) store(ot_, o, b + j, gr * (exps_.e[b + j] / sum - (j == cols_[r] ? 1.0 : 0.0)));
    }
  }

 private:
  int g_;
  DType gt_;
  bool gBroadcast_;
};

}  // namespace

void registerXent() {
  registerKernel("xent_softmax", [](const KernelArgs& a) { return std::make_unique<Xent>(a); });
  registerKernel("xent_softmax_grad", [](const KernelArgs& a) { return std::make_unique<XentGrad>(a); });
}

}  // namespace theanode
