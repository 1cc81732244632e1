// The `rowpass` opcode (see lib/ops/rowpass.ts): z = X·w, an elementwise chain on z's rows,
// and X^T·g in one pass over X, by blocks of rows that stay in cache between the two products.
// Each block: one gemv for its slice of z, the chain on the slice, one gemv (beta = 1) adding
// its share of X^T·g. When the chain's inputs are not all row vectors or scalars, or when
// OpenBLAS runs several threads (whole-matrix products parallelise better than blocks), the
// three parts run one after the other over all rows.
#include <cblas.h>

#include <cstring>

#include "registry.h"

namespace theanode {
namespace {

class RowPass : public Kernel {
 public:
  explicit RowPass(const KernelArgs& a) : nIn_(a.in.size()) {
    for (int b : a.in) ids_.push_back(b);
    for (int b : a.out) ids_.push_back(b);
    types_ = a.inTypes;
    types_.insert(types_.end(), a.outTypes.begin(), a.outTypes.end());
    shapes_ = a.inShapes;
    shapes_.insert(shapes_.end(), a.outShapes.begin(), a.outShapes.end());
    n_ = shapes_[0][0];
    f_ = shapes_[0][1];
    f32_ = types_[0] == DType::F32;
    for (size_t i = 1; i < types_.size(); i++)
      if ((i < 2 || i == nIn_ || i == types_.size() - 1) && types_[i] != types_[0]) throw std::runtime_error("rowpass: products need one float dtype");
    if (types_[0] != DType::F64 && types_[0] != DType::F32) throw std::runtime_error("rowpass: products need float data");
    const Json& inner = a.attrs["inner"];
    rowLocal_ = true;
    for (size_t k = 0; k < inner.size(); k++) {
      Inner in;
      const Json& args = inner[k]["args"];
      for (size_t i = 0; i < args.size(); i++) in.args.push_back(static_cast<int>(args[i].number()));
      in.out = static_cast<int>(inner[k]["out"].number());
      for (int r : in.args)
        if (r < 0 || static_cast<size_t>(r) >= ids_.size()) throw std::runtime_error("rowpass: bad reference");
      if (in.out < static_cast<int>(nIn_) || static_cast<size_t>(in.out) >= ids_.size()) throw std::runtime_error("rowpass: bad reference");
      for (int r : in.args) rowLocal_ = rowLocal_ && (isRow(r) || sizeOf(shapes_[r]) == 1);
      rowLocal_ = rowLocal_ && isRow(in.out);
      in.attrs = &inner[k];
      inners_.push_back(std::move(in));
    }
    g_ = inners_.empty() ? static_cast<int>(nIn_) : inners_.back().out;
    block_ = rowLocal_ ? std::max<int64_t>(8, 512 * 1024 / std::max<int64_t>(1, f_ * (f32_ ? 4 : 8))) : std::max<int64_t>(n_, 1);
    // Elementwise kernels over local slots 0..all-1, for a full block and for the last one.
    for (auto& in : inners_) {
      in.spec = std::make_unique<Json>(*in.attrs);
      in.full = makeInner(*in.spec, in, block_);
      in.rest = n_ % block_ ? makeInner(*in.spec, in, n_ % block_) : nullptr;
      in.attrs = nullptr;
    }
    local_.ptr.resize(ids_.size());
  }

  void run(Frame& f) override {
    const int64_t lda = f_;
    void* gw = f.ptr[ids_.back()];
    if (n_ == 0 || f_ == 0) {
      std::memset(gw, 0, static_cast<size_t>(f_) * (f32_ ? 4 : 8));
      return;
    }
    // With several BLAS threads, whole-matrix products parallelise better than blocks.
    const int64_t block = openblas_get_num_threads() > 1 ? n_ : block_;
    for (int64_t r0 = 0; r0 < n_; r0 += block) {
      const int64_t len = std::min(block, n_ - r0);
      for (size_t i = 0; i < ids_.size(); i++) {
        auto base = static_cast<uint8_t*>(f.ptr[ids_[i]]);
        local_.ptr[i] = rowLocal_ && isRow(static_cast<int>(i)) ? base + r0 * static_cast<int64_t>(bytesOf(types_[i])) : base;
      }
      const int m = static_cast<int>(len), k = static_cast<int>(f_);
      if (f32_) {
        auto x = static_cast<const float*>(f.ptr[ids_[0]]) + r0 * lda;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0f, x, static_cast<int>(lda), static_cast<const float*>(f.ptr[ids_[1]]), 1, 0.0f, static_cast<float*>(local_.ptr[nIn_]), 1);
      } else {
        auto x = static_cast<const double*>(f.ptr[ids_[0]]) + r0 * lda;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0, x, static_cast<int>(lda), static_cast<const double*>(f.ptr[ids_[1]]), 1, 0.0, static_cast<double*>(local_.ptr[nIn_]), 1);
      }
      for (auto& in : inners_) {
        if (block != block_ && !in.whole) in.whole = makeInner(*in.spec, in, n_);
        (block != block_ ? in.whole : len == block_ ? in.full : in.rest)->run(local_);
      }
      if (f32_) {
        auto x = static_cast<const float*>(f.ptr[ids_[0]]) + r0 * lda;
        cblas_sgemv(CblasRowMajor, CblasTrans, m, k, 1.0f, x, static_cast<int>(lda), static_cast<const float*>(local_.ptr[g_]), 1, r0 ? 1.0f : 0.0f, static_cast<float*>(gw), 1);
      } else {
        auto x = static_cast<const double*>(f.ptr[ids_[0]]) + r0 * lda;
        cblas_dgemv(CblasRowMajor, CblasTrans, m, k, 1.0, x, static_cast<int>(lda), static_cast<const double*>(local_.ptr[g_]), 1, r0 ? 1.0 : 0.0, static_cast<double*>(gw), 1);
      }
    }
  }

 private:
  struct Inner {
    std::vector<int> args;
    int out = 0;
    const Json* attrs = nullptr;
    std::unique_ptr<Json> spec;  // kept to build the whole-matrix variant on demand
    std::unique_ptr<Kernel> full, rest, whole;
  };

  bool isRow(int r) const { return shapes_[r].size() == 1 && shapes_[r][0] == n_ && n_ != 1; }

  std::unique_ptr<Kernel> makeInner(const Json& attrs, const Inner& in, int64_t len) {
    KernelArgs args{attrs, in.args, {in.out}, {}, {in.out < static_cast<int>(types_.size()) ? types_[in.out] : DType::F64}, {}, {}};
    for (int r : in.args) {
      args.inTypes.push_back(types_[r]);
      args.inShapes.push_back(rowLocal_ && isRow(r) ? std::vector<int64_t>{len} : shapes_[r]);
    }
    args.outShapes.push_back(rowLocal_ ? std::vector<int64_t>{len} : shapes_[in.out]);
    return makeKernel("elemwise", args);
  }

  size_t nIn_;
  std::vector<int> ids_;
  std::vector<DType> types_;
  std::vector<std::vector<int64_t>> shapes_;
  int64_t n_ = 0, f_ = 0, block_ = 1;
  bool f32_ = false, rowLocal_ = true;
  int g_ = 0;
  std::vector<Inner> inners_;
  Frame local_;
};

}  // namespace

void registerRowPass() {
  registerKernel("rowpass", [](const KernelArgs& a) { return std::make_unique<RowPass>(a); });
}

}  // namespace theanode
