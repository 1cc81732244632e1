// Shape opcodes: dimshuffle (strided copy when not a view), reshape (copy when not a view),
// shape, join, split_part, arange.
#include <cstring>

#include "registry.h"

namespace theanode {
namespace {

// `count` elements of `bytes` size read `stride` elements apart, written contiguously.
void gather(uint8_t* dst, const uint8_t* src, int64_t count, int64_t stride, size_t bytes) {
  switch (bytes) {
    case 8: { auto d = reinterpret_cast<uint64_t*>(dst); for (int64_t j = 0; j < count; j++) std::memcpy(d + j, src + j * stride * 8, 8); break; }
    case 4: { auto d = reinterpret_cast<uint32_t*>(dst); for (int64_t j = 0; j < count; j++) std::memcpy(d + j, src + j * stride * 4, 4); break; }
    default: for (int64_t j = 0; j < count; j++) std::memcpy(dst + j * bytes, src + j * stride * bytes, bytes);
  }
}

// Copy elements of `bytes` size from src (read with strides) into contiguous dst of `shape`.
// The trailing axes that are contiguous in src go as one block per memcpy; when there are none,
// the last axis is a typed gather. Only the axes before those are walked one by one.
void stridedCopy(const uint8_t* src, uint8_t* dst, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, size_t bytes) {
  const int64_t n = sizeOf(shape);
  if (n == 0) return;
  size_t nd = shape.size();
  int64_t run = 1;
  while (nd > 0 && (shape[nd - 1] == 1 || strides[nd - 1] == run)) run *= shape[--nd];
  if (nd == 0) {
    std::memcpy(dst, src, static_cast<size_t>(n) * bytes);
    return;
  }
  const bool block = run > 1;
  const int64_t inner = block ? run : shape[nd - 1];
  const int64_t innerStride = block ? 1 : strides[nd - 1];
  const size_t outer = block ? nd : nd - 1;
  const size_t innerBytes = static_cast<size_t>(inner) * bytes;
  std::vector<int64_t> idx(outer, 0);
  int64_t off = 0;
  for (int64_t k = 0, pieces = n / inner; k < pieces; k++) {
    if (block) std::memcpy(dst, src + off * static_cast<int64_t>(bytes), innerBytes);
    else gather(dst, src + off * static_cast<int64_t>(bytes), inner, innerStride, bytes);
    dst += innerBytes;
    for (size_t ax = outer; ax-- > 0;) {
      idx[ax]++;
      off += strides[ax];
      if (idx[ax] < shape[ax]) break;
      off -= strides[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}

class DimShuffle : public Kernel {
 public:
  explicit DimShuffle(const KernelArgs& a) : x_(a.in[0]), o_(a.out[0]), bytes_(bytesOf(a.inTypes[0])), shape_(a.outShapes[0]) {
    auto st = stridesOf(a.inShapes[0]);
    const Json& p = a.attrs["pattern"];
    for (size_t i = 0; i < p.size(); i++) {
      if (p[i].type == Json::String) strides_.push_back(0);
      else {
        int ax = static_cast<int>(p[i].number());
        if (ax < 0 || ax >= static_cast<int>(st.size())) throw std::runtime_error("dimshuffle: axis out of range");
        strides_.push_back(st[ax]);
      }
    }
    if (strides_.size() != shape_.size()) throw std::runtime_error("dimshuffle: pattern does not match the output");
  }
  void run(Frame& f) override { stridedCopy(static_cast<const uint8_t*>(f.ptr[x_]), static_cast<uint8_t*>(f.ptr[o_]), shape_, strides_, bytes_); }

 private:
  int x_, o_;
  size_t bytes_;
  std::vector<int64_t> shape_, strides_;
};

class Copy : public Kernel {
 public:
  explicit Copy(const KernelArgs& a) : x_(a.in[0]), o_(a.out[0]), bytes_(static_cast<size_t>(sizeOf(a.outShapes[0])) * bytesOf(a.outTypes[0])) {}
  void run(Frame& f) override {
    if (f.ptr[o_] != f.ptr[x_] && bytes_) std::memmove(f.ptr[o_], f.ptr[x_], bytes_);
  }

 private:
  int x_, o_;
  size_t bytes_;
};

class ShapeOf : public Kernel {
 public:
  explicit ShapeOf(const KernelArgs& a) : o_(a.out[0]) {
    const auto& s = a.inShapes[0];
    if (a.attrs.has("axis")) vals_.push_back(static_cast<int32_t>(s.at(static_cast<size_t>(a.attrs["axis"].number()))));
    else for (auto d : s) vals_.push_back(static_cast<int32_t>(d));
    ot_ = a.outTypes[0];
  }
  void run(Frame& f) override {
    for (size_t i = 0; i < vals_.size(); i++) store(ot_, f.ptr[o_], static_cast<int64_t>(i), vals_[i]);
  }

 private:
  int o_;
  DType ot_;
  std::vector<int32_t> vals_;
};

// Rows of the output along `axis`: outer = product of axes before it.
class Join : public Kernel {
 public:
  explicit Join(const KernelArgs& a) : in_(a.in), o_(a.out[0]), bytes_(bytesOf(a.outTypes[0])) {
    int axis = static_cast<int>(a.attrs["axis"].number());
    const auto& os = a.outShapes[0];
    outer_ = 1;
    for (int i = 0; i < axis; i++) outer_ *= os[i];
    for (auto& s : a.inShapes) {
      int64_t len = 1;
      for (size_t i = axis; i < s.size(); i++) len *= s[i];
      lens_.push_back(len);
      rowLen_ += len;
    }
    for (size_t i = 0; i < a.inTypes.size(); i++)
      if (a.inTypes[i] != a.outTypes[0]) throw std::runtime_error("join: inputs must share the output dtype");
  }
  void run(Frame& f) override {
    auto out = static_cast<uint8_t*>(f.ptr[o_]);
    for (int64_t r = 0; r < outer_; r++) {
      int64_t off = r * rowLen_;
      for (size_t i = 0; i < in_.size(); i++) {
        // An empty input may have no storage at all (a null pointer): memcpy must not see it.
        if (lens_[i] > 0) std::memcpy(out + off * bytes_, static_cast<const uint8_t*>(f.ptr[in_[i]]) + r * lens_[i] * bytes_, lens_[i] * bytes_);
        off += lens_[i];
      }
    }
  }

 private:
  std::vector<int> in_;
  int o_;
  size_t bytes_;
  int64_t outer_ = 1, rowLen_ = 0;
  std::vector<int64_t> lens_;
};

class SplitPart : public Kernel {
 public:
  explicit SplitPart(const KernelArgs& a) : g_(a.in[0]), o_(a.out[0]), bytes_(bytesOf(a.outTypes[0])) {
    int axis = static_cast<int>(a.attrs["axis"].number());
    int part = static_cast<int>(a.attrs["part"].number());
    const auto& g = a.inShapes[0];
    for (int i = 0; i < axis; i++) outer_ *= g[i];
    for (size_t i = axis; i < g.size(); i++) rowLen_ *= g[i];
    for (int p = 0; p <= part; p++) {
      const auto& s = a.inShapes.at(1 + p);
      int64_t len = 1;
      for (size_t i = axis; i < s.size(); i++) len *= s[i];
      if (p < part) start_ += len;
      else len_ = len;
    }
  }
  void run(Frame& f) override {
    auto src = static_cast<const uint8_t*>(f.ptr[g_]);
    auto dst = static_cast<uint8_t*>(f.ptr[o_]);
    if (len_ == 0) return;  // empty parts may have null storage
    for (int64_t r = 0; r < outer_; r++) std::memcpy(dst + r * len_ * bytes_, src + (r * rowLen_ + start_) * bytes_, len_ * bytes_);
  }

 private:
  int g_, o_;
  size_t bytes_;
  int64_t outer_ = 1, rowLen_ = 1, start_ = 0, len_ = 0;
};

class ARange : public Kernel {
 public:
  explicit ARange(const KernelArgs& a) : start_(a.in[0]), step_(a.in[2]), o_(a.out[0]), st_(a.inTypes[0]), pt_(a.inTypes[2]), ot_(a.outTypes[0]), n_(sizeOf(a.outShapes[0])) {}
  void run(Frame& f) override {
    double start = load(st_, f.ptr[start_], 0), step = load(pt_, f.ptr[step_], 0);
    for (int64_t i = 0; i < n_; i++) store(ot_, f.ptr[o_], i, start + static_cast<double>(i) * step);
  }

 private:
  int start_, step_, o_;
  DType st_, pt_, ot_;
  int64_t n_;
};

}  // namespace

void registerShapeOps() {
  registerKernel("dimshuffle", [](const KernelArgs& a) { return std::make_unique<DimShuffle>(a); });
  registerKernel("reshape", [](const KernelArgs& a) { return std::make_unique<Copy>(a); });
  registerKernel("shape", [](const KernelArgs& a) { return std::make_unique<ShapeOf>(a); });
  registerKernel("join", [](const KernelArgs& a) { return std::make_unique<Join>(a); });
  registerKernel("split_part", [](const KernelArgs& a) { return std::make_unique<SplitPart>(a); });
  registerKernel("arange", [](const KernelArgs& a) { return std::make_unique<ARange>(a); });
}

}  // namespace theanode
