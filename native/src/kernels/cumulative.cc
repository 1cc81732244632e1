// `cumulative` (cumsum, cumprod along one axis, optionally from the end), as lib/ops/cumulative.ts:
// the running value rounded to the output dtype at every step (numpy's), int32 products exact in
// int64 before they wrap.
#include <algorithm>
#include <stdexcept>

#include "registry.h"

namespace theanode {
namespace {

class Cumulative : public Kernel {
 public:
  explicit Cumulative(const KernelArgs& a) : x_(a.in[0]), o_(a.out[0]), xt_(a.inTypes[0]), ot_(a.outTypes[0]) {
    const auto& s = a.inShapes[0];
    const int axis = static_cast<int>(a.attrs["axis"].number());
    if (axis < 0 || axis >= static_cast<int>(s.size())) throw std::runtime_error("cumulative: axis out of range");
    for (int i = 0; i < axis; i++) outer_ *= s[i];
    n_ = s[axis];
    for (size_t i = axis + 1; i < s.size(); i++) inner_ *= s[i];
    prod_ = a.attrs["op"].str == "prod";
    reverse_ = a.attrs["reverse"].truthy();
  }
  void run(Frame& f) override {
    const void* x = f.ptr[x_];
    void* o = f.ptr[o_];
    for (int64_t p = 0; p < outer_; p++)
      for (int64_t q = 0; q < inner_; q++) {
        double acc = prod_ ? 1 : 0;
        for (int64_t t = 0; t < n_; t++) {
          const int64_t j = reverse_ ? n_ - 1 - t : t;
          const int64_t k = (p * n_ + j) * inner_ + q;
          const double v = load(xt_, x, k);
          if (prod_ && ot_ == DType::I32)
            acc = static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(acc) * static_cast<int64_t>(v)));
          else
            acc = roundTo(ot_, prod_ ? acc * v : acc + v);
          store(ot_, o, k, acc);
        }
      }
  }

 private:
  int x_, o_;
  DType xt_, ot_;
  int64_t outer_ = 1, n_ = 0, inner_ = 1;
  bool prod_ = false, reverse_ = false;
};

}  // namespace

void registerCumulative() {
  registerKernel("cumulative", [](const KernelArgs& a) { return std::make_unique<Cumulative>(a); });
}

}  // namespace theanode
