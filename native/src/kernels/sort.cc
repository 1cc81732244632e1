// `sort` along one axis, as lib/ops/sort.ts: a stable ascending order with NaN last (the same
// comparison as the TypeScript kernel, so the same permutation), in four modes: the sorted
// values, the indices, and the scatter and gather by the permutation that the gradients use.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "registry.h"

namespace theanode {
namespace {

inline bool lessNanLast(double a, double b) {
  if (a < b) return true;
  if (a > b) return false;
  return a == a && b != b;  // a number before NaN
}

class Sort : public Kernel {
 public:
  explicit Sort(const KernelArgs& a) : in_(a.in), o_(a.out[0]), types_(a.inTypes), ot_(a.outTypes[0]) {
    const auto& s = a.inShapes[0];
    const int axis = static_cast<int>(a.attrs["axis"].number());
    if (axis < 0 || axis >= static_cast<int>(s.size())) throw std::runtime_error("sort: axis out of range");
    for (int i = 0; i < axis; i++) outer_ *= s[i];
    n_ = s[axis];
    for (size_t i = axis + 1; i < s.size(); i++) inner_ *= s[i];
    const std::string& m = a.attrs["mode"].str;
    mode_ = m == "values" ? Values : m == "indices" ? Indices : m == "scatter" ? Scatter : m == "gather" ? Gather : throw std::runtime_error("sort: unknown mode " + m);
    if ((mode_ == Scatter || mode_ == Gather) && a.in.size() != 2) throw std::runtime_error("sort: scatter and gather take two inputs");
    perm_.resize(static_cast<size_t>(n_));
    vals_.resize(static_cast<size_t>(n_));
  }
  void run(Frame& f) override {
    const void* x = f.ptr[in_[0]];
    const void* g = in_.size() > 1 ? f.ptr[in_[1]] : nullptr;
    void* o = f.ptr[o_];
    for (int64_t p = 0; p < outer_; p++)
      for (int64_t q = 0; q < inner_; q++) {
        const int64_t base = p * n_ * inner_ + q;
        for (int64_t j = 0; j < n_; j++) vals_[j] = load(types_[0], x, base + j * inner_);
        std::iota(perm_.begin(), perm_.end(), 0);
        std::stable_sort(perm_.begin(), perm_.end(), [this](int64_t a, int64_t b) { return lessNanLast(vals_[a], vals_[b]); });
        for (int64_t j = 0; j < n_; j++) {
          const int64_t at = base + j * inner_, from = base + perm_[j] * inner_;
          switch (mode_) {
            case Values: store(ot_, o, at, vals_[perm_[j]]); break;
            case Indices: store(ot_, o, at, static_cast<double>(perm_[j])); break;
            case Scatter: store(ot_, o, from, load(types_[1], g, at)); break;
            case Gather: store(ot_, o, at, load(types_[1], g, from)); break;
          }
        }
      }
  }

 private:
  enum Mode { Values, Indices, Scatter, Gather } mode_;
  std::vector<int> in_;
  int o_;
  std::vector<DType> types_;
  DType ot_;
  int64_t outer_ = 1, n_ = 0, inner_ = 1;
  std::vector<int64_t> perm_;
  std::vector<double> vals_;
};

}  // namespace

void registerSort() {
  registerKernel("sort", [](const KernelArgs& a) { return std::make_unique<Sort>(a); });
}

}  // namespace theanode
