// `index` and `index_update`: execute the index plan made in TypeScript (lib/ops/index_plan.ts).
// numpy's rules were applied when the plan was made; here the runtime scalars (integer indices,
// slice starts) and the index arrays are read, checked, and turned into offsets. Every index is
// checked before any element is touched, and every offset is checked against x's size, so a
// wrong plan cannot make the kernel read or write outside its buffers.
#include <algorithm>
#include <cstring>
#include <string>

#include "registry.h"

namespace theanode {
namespace {

std::vector<int64_t> ints(const Json& j) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < j.size(); i++) out.push_back(static_cast<int64_t>(j[i].number()));
  return out;
}

[[noreturn]] void outOfBounds(double v, size_t axis, int64_t n) {
  throw std::runtime_error("get: index " + std::to_string(static_cast<long long>(v)) + " is out of bounds for axis " + std::to_string(axis) + " with size " + std::to_string(n));
}

int64_t checkIndex(double v, int64_t n, size_t axis) {
  if (!(v == static_cast<double>(static_cast<int64_t>(v))) || v < -static_cast<double>(n) || v >= static_cast<double>(n)) outOfBounds(v, axis, n);
  int64_t i = static_cast<int64_t>(v);
  return i < 0 ? i + n : i;
}

class IndexPlan {
 public:
  IndexPlan(const KernelArgs& a) : in_(a.in), inTypes_(a.inTypes), xsize_(sizeOf(a.inShapes[0])) {
    if (!a.decision) throw std::runtime_error("index: the plan carries no index decision");
    const Json& d = *a.decision;
    outShape_ = ints(d["outShape"]);
    xStep_ = ints(d["xStep"]);
    advStep_ = ints(d["advStep"]);
    advShape_ = ints(d["advShape"]);
    base_ = static_cast<int64_t>(d["base"].number());
    contiguous_ = d["contiguous"].truthy();
    if (xStep_.size() != outShape_.size() || advStep_.size() != outShape_.size()) throw std::runtime_error("index: malformed plan");
    auto input = [&](const Json& j) {
      int i = static_cast<int>(j.number());
      if (i <= 0 || i >= static_cast<int>(in_.size())) throw std::runtime_error("index: bad input reference");
      return i;
    };
    for (size_t i = 0; i < d["terms"].size(); i++) {
      const Json& t = d["terms"][i];
      terms_.push_back({t["mode"].str == "start", input(t["in"]), static_cast<size_t>(t["axis"].number()), static_cast<int64_t>(t["n"].number()),
                        static_cast<int64_t>(t["stride"].number()), static_cast<int64_t>(t["lo"].number()), static_cast<int64_t>(t["hi"].number())});
    }
    for (size_t i = 0; i < d["arrays"].size(); i++) {
      const Json& t = d["arrays"][i];
      Array arr{input(t["in"]), static_cast<size_t>(t["axis"].number()), static_cast<int64_t>(t["n"].number()), static_cast<int64_t>(t["stride"].number()), {}};
      const auto bs = ints(t["bstrides"]);
      if (bs.size() != advShape_.size()) throw std::runtime_error("index: malformed plan");
      arr.src = offsetsOf(advShape_, bs);
      const int64_t len = sizeOf(a.inShapes[arr.in]);
      for (int64_t s : arr.src)
        if (s < 0 || s >= len) throw std::runtime_error("index: the plan reads outside an index array");
      arrays_.push_back(std::move(arr));
    }
    size_ = sizeOf(outShape_);
    advOff_.resize(static_cast<size_t>(sizeOf(advShape_)));
    offsets_.resize(static_cast<size_t>(size_));
    fixed_ = terms_.empty() && arrays_.empty();
    if (fixed_) fill(nullptr);
  }

  bool contiguous() const { return contiguous_; }
  int64_t size() const { return size_; }

  // The first element's offset for this call (contiguous selections).
  int64_t base(const Frame& f) const {
    int64_t b = base_;
    for (const Term& t : terms_) {
      double v = load(inTypes_[t.in], f.ptr[in_[t.in]], 0);
      if (!t.start) b += checkIndex(v, t.n, t.axis) * t.stride;
      else {
        int64_t i = static_cast<int64_t>(v);
        if (i < 0) i += t.n;
        b += std::min(std::max(i, t.lo), t.hi) * t.stride;
      }
    }
    if (size_ > 0 && (b < 0 || (contiguous_ && b + size_ > xsize_))) throw std::runtime_error("index: the selection lies outside the array");
    return b;
  }

  // Offsets of every selected element for this call, checked against x's size.
  const std::vector<int64_t>& offsets(const Frame& f) {
    if (!fixed_) fill(&f);
    return offsets_;
  }

 private:
  struct Term {
    bool start;
    int in;
    size_t axis;
    int64_t n, stride, lo, hi;
  };
  struct Array {
    int in;
    size_t axis;
    int64_t n, stride;
    std::vector<int64_t> src;
  };

  void fill(const Frame* f) {
    if (size_ == 0) return;
    const int64_t b = f ? base(*f) : base_;
    const bool adv = !arrays_.empty();
    if (adv) {
      std::fill(advOff_.begin(), advOff_.end(), 0);
      for (const Array& arr : arrays_) {
        const void* idx = f->ptr[in_[arr.in]];
        for (size_t p = 0; p < advOff_.size(); p++) advOff_[p] += checkIndex(load(inTypes_[arr.in], idx, arr.src[p]), arr.n, arr.axis) * arr.stride;
      }
    }
    const size_t nd = outShape_.size();
    std::vector<int64_t> i(nd, 0);
    int64_t xo = b, ao = 0;
    for (size_t k = 0; k < offsets_.size(); k++) {
      const int64_t o = adv ? xo + advOff_[ao] : xo;
      if (o < 0 || o >= xsize_) throw std::runtime_error("index: the selection lies outside the array");
      offsets_[k] = o;
      for (size_t ax = nd; ax-- > 0;) {
        i[ax]++;
        xo += xStep_[ax];
        ao += advStep_[ax];
        if (i[ax] < outShape_[ax]) break;
        xo -= xStep_[ax] * outShape_[ax];
        ao -= advStep_[ax] * outShape_[ax];
        i[ax] = 0;
      }
    }
  }

  std::vector<int> in_;
  std::vector<DType> inTypes_;
  int64_t xsize_, base_ = 0, size_ = 0;
  bool contiguous_ = false, fixed_ = false;
  std::vector<int64_t> outShape_, xStep_, advStep_, advShape_, advOff_, offsets_;
  std::vector<Term> terms_;
  std::vector<Array> arrays_;
};

class Index : public Kernel {
 public:
  explicit Index(const KernelArgs& a) : plan_(a), x_(a.in[0]), o_(a.out[0]), bytes_(bytesOf(a.outTypes[0])) {
    if (sizeOf(a.outShapes[0]) != plan_.size()) throw std::runtime_error("index: the plan's selection does not match the output");
    view_ = a.decision->has("view") && (*a.decision)["view"].truthy();
    if (view_ && !plan_.contiguous()) throw std::runtime_error("index: a view of a selection that is not contiguous");
  }
  void run(Frame& f) override {
    auto x = static_cast<const uint8_t*>(f.ptr[x_]);
    if (view_) {
      // The plan made the output a view of x: point it at this call's first element.
      f.ptr[o_] = const_cast<uint8_t*>(x) + plan_.base(f) * bytes_;
      return;
    }
    auto o = static_cast<uint8_t*>(f.ptr[o_]);
    if (plan_.contiguous()) {
      const int64_t b = plan_.base(f);
      if (plan_.size() > 0) std::memcpy(o, x + b * bytes_, static_cast<size_t>(plan_.size()) * bytes_);
      return;
    }
    const auto& off = plan_.offsets(f);
    for (size_t k = 0; k < off.size(); k++) std::memcpy(o + k * bytes_, x + off[k] * bytes_, bytes_);
  }

 private:
  IndexPlan plan_;
  int x_, o_;
  size_t bytes_;
  bool view_ = false;
};

// Output: a copy of x with the selection set to (or incremented by) v broadcast to it.
class IndexUpdate : public Kernel {
 public:
  explicit IndexUpdate(const KernelArgs& a)
      : plan_(a), x_(a.in[0]), v_(a.in.back()), o_(a.out[0]), xt_(a.inTypes[0]), vt_(a.inTypes.back()), inc_(a.attrs["mode"].str == "inc"), size_(sizeOf(a.inShapes[0])) {
    const auto& vs = a.inShapes.back();
    // The selection's shape is the plan's; v must broadcast to it (checked by the shape rule too).
    const auto sel = ints((*a.decision)["outShape"]);
    if (vs.size() > sel.size()) throw std::runtime_error("index update: the value has more dimensions than the selection");
    for (size_t i = 0; i < vs.size(); i++)
      if (vs[i] != 1 && vs[i] != sel[sel.size() - vs.size() + i]) throw std::runtime_error("index update: the value cannot be broadcast to the selection");
    vOff_ = offsetsOf(sel, broadcastStrides(vs, sel));
    // A block of consecutive elements set or incremented by a whole v of the same float type:
    // one typed loop instead of an offset list (a gate's rows of a gradient, rows of a batch).
    bool whole = true;
    for (size_t k = 0; k < vOff_.size() && whole; k++) whole = vOff_[k] == static_cast<int64_t>(k);
    block_ = whole && plan_.contiguous() && xt_ == vt_ && (xt_ == DType::F32 || xt_ == DType::F64);
  }

  void run(Frame& f) override {
    if (block_) return runBlock(f);
    // Offsets first: a bad index throws before anything is written.
    const auto& off = plan_.offsets(f);
    void* out = f.ptr[o_];
    if (out != f.ptr[x_]) std::memmove(out, f.ptr[x_], static_cast<size_t>(size_) * bytesOf(xt_));
    const void* v = f.ptr[v_];
    for (size_t k = 0; k < off.size(); k++) {
      double val = load(vt_, v, vOff_[k]);
      store(xt_, out, off[k], inc_ ? load(xt_, out, off[k]) + val : val);
    }
  }

 private:
  template <class T>
  void blockLoop(T* o, const T* v, int64_t n) {
    if (inc_) for (int64_t k = 0; k < n; k++) o[k] += v[k];
    else std::memmove(o, v, static_cast<size_t>(n) * sizeof(T));
  }
  void runBlock(Frame& f) {
    const int64_t n = plan_.size();
    const int64_t b = plan_.base(f);
    if (n > 0 && (b < 0 || b + n > size_)) throw std::runtime_error("index update: the selection lies outside the array");
    void* out = f.ptr[o_];
    if (out != f.ptr[x_]) std::memmove(out, f.ptr[x_], static_cast<size_t>(size_) * bytesOf(xt_));
    if (n == 0) return;
    if (xt_ == DType::F32) blockLoop(static_cast<float*>(out) + b, static_cast<const float*>(f.ptr[v_]), n);
    else blockLoop(static_cast<double*>(out) + b, static_cast<const double*>(f.ptr[v_]), n);
  }

  IndexPlan plan_;
  int x_, v_, o_;
  DType xt_, vt_;
  bool inc_, block_ = false;
  int64_t size_;
  std::vector<int64_t> vOff_;
};

}  // namespace

void registerIndex() {
  registerKernel("index", [](const KernelArgs& a) { return std::make_unique<Index>(a); });
  registerKernel("index_update", [](const KernelArgs& a) { return std::make_unique<IndexUpdate>(a); });
}

}  // namespace theanode
