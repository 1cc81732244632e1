// `xent_softmax` and `xent_softmax_grad` (see lib/ops/xent.ts): softmax cross-entropy of integer
// labels and its gradient, one pass over each row, in double. Labels are checked before
// anything is written.
#include <cmath>
#include <string>

#include "registry.h"

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

  // max_j z_rj and log sum_j exp(z_rj - max).
  void logSumExp(const void* z, int64_t base, double& m, double& ls) const {
    m = -HUGE_VAL;
    for (int64_t j = 0; j < k_; j++) {
      const double v = load(zt_, z, base + j);
      if (v > m || v != v) m = v;
    }
    if (m == -HUGE_VAL) m = 0;
    double sum = 0;
    for (int64_t j = 0; j < k_; j++) sum += std::exp(load(zt_, z, base + j) - m);
    ls = std::log(sum);
  }

  int z_, y_, o_;
  DType zt_, yt_, ot_;
  int64_t n_ = 0, k_ = 0;
  bool yBroadcast_ = false;
  std::vector<int64_t> cols_;
};

class Xent : public XentBase {
 public:
  explicit Xent(const KernelArgs& a) : XentBase(a, 0, 1) {}
  void run(Frame& f) override {
    labels(f);
    const void* z = f.ptr[z_];
    for (int64_t r = 0; r < n_; r++) {
      double m, ls;
      logSumExp(z, r * k_, m, ls);
      store(ot_, f.ptr[o_], r, m + ls - load(zt_, z, r * k_ + cols_[r]));
    }
  }
};

class XentGrad : public XentBase {
 public:
  explicit XentGrad(const KernelArgs& a) : XentBase(a, 1, 2), g_(a.in[0]), gt_(a.inTypes[0]), gBroadcast_(a.inShapes[0].size() == 1 && a.inShapes[0][0] == 1) {}
  void run(Frame& f) override {
    labels(f);
    const void* z = f.ptr[z_];
    void* o = f.ptr[o_];
    for (int64_t r = 0; r < n_; r++) {
      double m, ls;
      const int64_t b = r * k_;
      logSumExp(z, b, m, ls);
      const double gr = load(gt_, f.ptr[g_], gBroadcast_ ? 0 : r);
      for (int64_t j = 0; j < k_; j++) store(ot_, o, b + j, gr * (std::exp(load(zt_, z, b + j) - m - ls) - (j == cols_[r] ? 1.0 : 0.0)));
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
