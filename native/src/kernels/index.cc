// `index` and `index_update`: numpy basic and advanced indexing, resolved to flat offsets by the
// same rules as lib/ops/index.ts. Every index is bounds-checked before any element is touched.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "registry.h"

namespace theanode {
namespace {

struct Bound {
  bool present = false;
  bool dynamic = false;
  double value = 0;
  int in = -1;
};

struct Entry {
  enum { Int, Slice, Array } kind;
  Bound v, start, stop, step;
  int in = -1;
};

Bound parseBound(const Json& j) {
  Bound b;
  if (j.isNull()) return b;
  b.present = true;
  if (j.type == Json::Object) {
    b.dynamic = true;
    b.in = static_cast<int>(j["in"].number());
  } else b.value = j.number();
  return b;
}

std::vector<Entry> parseSpec(const Json& spec) {
  std::vector<Entry> out;
  for (size_t i = 0; i < spec.size(); i++) {
    const Json& e = spec[i];
    Entry en{};
    const std::string& k = e["k"].str;
    if (k == "int") { en.kind = Entry::Int; en.v = parseBound(e["v"]); }
    else if (k == "slice") { en.kind = Entry::Slice; en.start = parseBound(e["start"]); en.stop = parseBound(e["stop"]); en.step = parseBound(e["step"]); }
    else if (k == "array") { en.kind = Entry::Array; en.in = static_cast<int>(e["in"].number()); }
    else throw std::runtime_error("index: unknown entry kind " + k);
    out.push_back(en);
  }
  return out;
}

int64_t checkIndex(double v, int64_t n, size_t axis) {
  if (!(v == std::floor(v)) || v < -static_cast<double>(n) || v >= static_cast<double>(n))
    throw std::runtime_error("get: index " + std::to_string(static_cast<long long>(v)) + " is out of bounds for axis " + std::to_string(axis) + " with size " + std::to_string(n));
  int64_t i = static_cast<int64_t>(v);
  return i < 0 ? i + n : i;
}

// Resolves a spec against x's shape and the index inputs of one call into flat offsets.
class Resolver {
 public:
  Resolver(const KernelArgs& a, std::vector<int64_t> xs) : spec_(parseSpec(a.attrs["spec"])), xs_(std::move(xs)), in_(a.in), inTypes_(a.inTypes), inShapes_(a.inShapes) {
    for (auto& e : spec_) {
      for (const Bound* b : {&e.v, &e.start, &e.stop, &e.step})
        if (b->dynamic && (b->in <= 0 || b->in >= static_cast<int>(in_.size()))) throw std::runtime_error("index: bad input reference");
      if (e.kind == Entry::Array && (e.in <= 0 || e.in >= static_cast<int>(in_.size()))) throw std::runtime_error("index: bad input reference");
    }
  }

  // Fills `out` with offsets into x, one per selected element; `shape` receives the selection's
  // shape. With `fixed`, the selection must have out's current size (the plan's).
  void offsets(Frame& f, std::vector<int64_t>& out, std::vector<int64_t>& shape, bool fixed) {
    const auto st = stridesOf(xs_);
    const bool adv = std::any_of(spec_.begin(), spec_.end(), [](const Entry& e) { return e.kind == Entry::Array; });
    std::vector<size_t> advAxes;
    for (size_t i = 0; i < spec_.size(); i++)
      if (spec_[i].kind == Entry::Array || (adv && spec_[i].kind == Entry::Int)) advAxes.push_back(i);
    // Broadcast shape of the index arrays.
    std::vector<int64_t> advShape;
    for (size_t ax : advAxes) {
      if (spec_[ax].kind != Entry::Array) continue;
      const auto& s = inShapes_[spec_[ax].in];
      if (s.size() > advShape.size()) advShape.insert(advShape.begin(), s.size() - advShape.size(), 1);
      size_t off = advShape.size() - s.size();
      for (size_t i = 0; i < s.size(); i++) {
        int64_t& d = advShape[off + i];
        if (s[i] == d || s[i] == 1) continue;
        if (d == 1) d = s[i];
        else throw std::runtime_error("get (index arrays): shapes cannot be broadcast together");
      }
    }
    const auto advStrides = stridesOf(advShape);
    bool contiguous = true;
    for (size_t i = 1; i < advAxes.size(); i++) contiguous &= advAxes[i] == advAxes[i - 1] + 1;
    std::vector<int64_t> outShape, xStep, advStep;
    auto pushAdv = [&] {
      for (size_t i = 0; i < advShape.size(); i++) { outShape.push_back(advShape[i]); xStep.push_back(0); advStep.push_back(advStrides[i]); }
    };
    int64_t base = 0;
    if (adv && !contiguous) pushAdv();
    for (size_t ax = 0; ax < spec_.size(); ax++) {
      const Entry& e = spec_[ax];
      if (adv && contiguous && ax == advAxes[0]) pushAdv();
      if (e.kind == Entry::Int && !adv) base += checkIndex(value(f, e.v), xs_[ax], ax) * st[ax];
      else if (e.kind == Entry::Slice) {
        int64_t first, step, len;
        resolveSlice(f, e, xs_[ax], first, step, len);
        if (len > 0) base += first * st[ax];
        outShape.push_back(len);
        xStep.push_back(step * st[ax]);
        advStep.push_back(0);
      }
    }
    for (size_t ax = spec_.size(); ax < xs_.size(); ax++) { outShape.push_back(xs_[ax]); xStep.push_back(st[ax]); advStep.push_back(0); }
    if (fixed && sizeOf(outShape) != static_cast<int64_t>(out.size())) throw std::runtime_error("index: the selection's size differs from the plan");
    out.resize(static_cast<size_t>(sizeOf(outShape)));
    shape = outShape;

    std::vector<int64_t> advOff(static_cast<size_t>(sizeOf(advShape)), 0);
    for (size_t ax : advAxes) {
      const Entry& e = spec_[ax];
      if (e.kind == Entry::Array) {
        const auto src = offsetsOf(advShape, broadcastStrides(inShapes_[e.in], advShape));
        for (size_t p = 0; p < advOff.size(); p++) advOff[p] += checkIndex(load(inTypes_[e.in], f.ptr[in_[e.in]], src[p]), xs_[ax], ax) * st[ax];
      } else {
        int64_t v = checkIndex(value(f, e.v), xs_[ax], ax);
        for (auto& a : advOff) a += v * st[ax];
      }
    }
    const size_t nd = outShape.size();
    std::vector<int64_t> i(nd, 0);
    int64_t xo = base, ao = 0;
    const bool hasAdv = !advAxes.empty();
    for (size_t k = 0; k < out.size(); k++) {
      out[k] = hasAdv ? xo + advOff[ao] : xo;
      for (size_t ax = nd; ax-- > 0;) {
        i[ax]++;
        xo += xStep[ax];
        ao += advStep[ax];
        if (i[ax] < outShape[ax]) break;
        xo -= xStep[ax] * outShape[ax];
        ao -= advStep[ax] * outShape[ax];
        i[ax] = 0;
      }
    }
  }

 private:
  double value(Frame& f, const Bound& b) const { return b.dynamic ? load(inTypes_[b.in], f.ptr[in_[b.in]], 0) : b.value; }

  // Python slice semantics, as resolveSlice in lib/ops/index.ts.
  void resolveSlice(Frame& f, const Entry& e, int64_t n, int64_t& first, int64_t& step, int64_t& len) const {
    double st = e.step.present ? value(f, e.step) : 1;
    if (st == 0) throw std::runtime_error("get: slice step cannot be zero");
    auto clamp = [](double v, double lo, double hi) { return std::min(std::max(v, lo), hi); };
    double a, b, dn = static_cast<double>(n);
    if (st > 0) {
      a = e.start.present ? clamp(value(f, e.start) < 0 ? value(f, e.start) + dn : value(f, e.start), 0, dn) : 0;
      b = e.stop.present ? clamp(value(f, e.stop) < 0 ? value(f, e.stop) + dn : value(f, e.stop), 0, dn) : dn;
      len = static_cast<int64_t>(std::max(0.0, std::ceil((b - a) / st)));
    } else {
      a = e.start.present ? clamp(value(f, e.start) < 0 ? value(f, e.start) + dn : value(f, e.start), -1, dn - 1) : dn - 1;
      b = e.stop.present ? clamp(value(f, e.stop) < 0 ? value(f, e.stop) + dn : value(f, e.stop), -1, dn - 1) : -1;
      len = static_cast<int64_t>(std::max(0.0, std::ceil((a - b) / -st)));
    }
    first = static_cast<int64_t>(a);
    step = static_cast<int64_t>(st);
  }

  std::vector<Entry> spec_;
  std::vector<int64_t> xs_;
  std::vector<int> in_;
  std::vector<DType> inTypes_;
  std::vector<std::vector<int64_t>> inShapes_;
};

class Index : public Kernel {
 public:
  explicit Index(const KernelArgs& a) : r_(a, a.inShapes[0]), x_(a.in[0]), o_(a.out[0]), bytes_(bytesOf(a.outTypes[0])), offsets_(static_cast<size_t>(sizeOf(a.outShapes[0]))) {}
  void run(Frame& f) override {
    r_.offsets(f, offsets_, shape_, true);
    auto x = static_cast<const uint8_t*>(f.ptr[x_]);
    auto o = static_cast<uint8_t*>(f.ptr[o_]);
    for (size_t k = 0; k < offsets_.size(); k++) std::memcpy(o + k * bytes_, x + offsets_[k] * bytes_, bytes_);
  }

 private:
  Resolver r_;
  int x_, o_;
  size_t bytes_;
  std::vector<int64_t> offsets_, shape_;
};

// Output: a copy of x with the selection set to (or incremented by) v broadcast to it.
class IndexUpdate : public Kernel {
 public:
  explicit IndexUpdate(const KernelArgs& a)
      : r_(a, a.inShapes[0]), x_(a.in[0]), v_(a.in.back()), o_(a.out[0]), xt_(a.inTypes[0]), vt_(a.inTypes.back()), inc_(a.attrs["mode"].str == "inc"),
        size_(sizeOf(a.inShapes[0])), vShape_(a.inShapes.back()) {}

  void run(Frame& f) override {
    r_.offsets(f, offsets_, selShape_, false);
    if (selShape_ != lastSel_) broadcastV();
    void* out = f.ptr[o_];
    if (out != f.ptr[x_]) std::memmove(out, f.ptr[x_], static_cast<size_t>(size_) * bytesOf(xt_));
    const void* v = f.ptr[v_];
    for (size_t k = 0; k < offsets_.size(); k++) {
      double val = load(vt_, v, vOff_[k]);
      store(xt_, out, offsets_[k], inc_ ? load(xt_, out, offsets_[k]) + val : val);
    }
  }

 private:
  // Offsets into v for each selected element: v broadcast to the selection's shape.
  void broadcastV() {
    lastSel_ = selShape_;
    if (vShape_.size() > selShape_.size()) throw std::runtime_error("index update: the value has more dimensions than the selection");
    size_t off = selShape_.size() - vShape_.size();
    for (size_t i = 0; i < vShape_.size(); i++)
      if (vShape_[i] != 1 && vShape_[i] != selShape_[off + i]) throw std::runtime_error("index update: the value cannot be broadcast to the selection");
    vOff_ = offsetsOf(selShape_, broadcastStrides(vShape_, selShape_));
  }

  Resolver r_;
  int x_, v_, o_;
  DType xt_, vt_;
  bool inc_;
  int64_t size_;
  std::vector<int64_t> vShape_, selShape_, lastSel_ = {-1}, offsets_, vOff_;
};

}  // namespace

void registerIndex() {
  registerKernel("index", [](const KernelArgs& a) { return std::make_unique<Index>(a); });
  registerKernel("index_update", [](const KernelArgs& a) { return std::make_unique<IndexUpdate>(a); });
}

}  // namespace theanode
