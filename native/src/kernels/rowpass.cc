// The `rowpass` opcode (see lib/ops/rowpass.ts): z = X·w, an elementwise chain on z's rows,
// and X^T·g in one pass over X, by blocks of rows that stay in cache between the two products.
// Each block: its slice of z (rowdot.h), the chain on the slice, and its share of X^T·g added
// to the result. With several threads, each takes a contiguous range of rows and sums into its
// own X^T·g, added up at the end. When the chain's inputs are not all row vectors or scalars,
// the three parts run one after the other over all rows, on one thread.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "../pool.h"
#include "registry.h"
#include "rowdot.h"

namespace theanode {
namespace {

// Half this core's L2 cache (what glibc reports), within [256 KiB, 2 MiB]; 512 KiB if unknown.
int64_t blockBytes() {
  static const int64_t bytes = [] {
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return l2 > 0 ? std::min<int64_t>(2 << 20, std::max<int64_t>(256 << 10, l2 / 2)) : int64_t{512} << 10;
  }();
  return bytes;
}

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
      in.spec = std::make_unique<Json>(inner[k]);
      inners_.push_back(std::move(in));
    }
    g_ = inners_.empty() ? static_cast<int>(nIn_) : inners_.back().out;
    const int64_t elem = f32_ ? 4 : 8;
    // Blocks of half the L2 cache, in whole groups of four rows (the grouping of rowdot.h), so
    // that the block size never changes the results.
    block_ = rowLocal_ ? std::max<int64_t>(8, blockBytes() / std::max<int64_t>(1, f_ * elem) / 4 * 4) : std::max<int64_t>(n_, 1);
    // Build the chain for a full block now, so that a bad program fails here rather than in a call.
    lanes_.resize(1);
    chainFor(lanes_[0], std::min(block_, std::max<int64_t>(n_, 1)));
  }

  void run(Frame& f) override {
    void* gw = f.ptr[ids_.back()];
    if (n_ == 0 || f_ == 0) {
      std::memset(gw, 0, static_cast<size_t>(f_) * (f32_ ? 4 : 8));
      return;
    }
    // Contiguous row ranges, one per thread, whole blocks each.
    const int parts = rowLocal_ ? std::min<int64_t>(parallelParts(2.0 * static_cast<double>(n_) * static_cast<double>(f_)), (n_ + 7) / 8) : 1;
    if (static_cast<int>(lanes_.size()) < parts) lanes_.resize(parts);
    const int64_t share = (n_ + parts - 1) / parts;
    parallelRun(parts, [&](int p) {
      const int64_t r0 = p * share, r1 = std::min(n_, r0 + share);
      Lane& lane = lanes_[p];
      if (f32_) pass<float>(f, lane, r0, r1, p == 0 ? static_cast<float*>(gw) : partial<float>(lane));
      else pass<double>(f, lane, r0, r1, p == 0 ? static_cast<double*>(gw) : partial<double>(lane));
    });
    for (int p = 1; p < parts; p++) {
      if (f32_) addInto(static_cast<float*>(gw), reinterpret_cast<const float*>(lanes_[p].partial.data()));
      else addInto(static_cast<double*>(gw), reinterpret_cast<const double*>(lanes_[p].partial.data()));
    }
  }

 private:
  struct Inner {
    std::vector<int> args;
    int out = 0;
    std::unique_ptr<Json> spec;
  };
  // What one thread owns: the chain's kernels (they keep scratch blocks) by length, its view of
  // the buffers, and its partial X^T·g.
  struct Lane {
    std::map<int64_t, std::vector<std::unique_ptr<Kernel>>> chains;
    Frame local;
    std::vector<uint8_t> partial;
  };

  template <typename T>
  T* partial(Lane& lane) {
    lane.partial.resize(static_cast<size_t>(f_) * sizeof(T));
    return reinterpret_cast<T*>(lane.partial.data());
  }

  template <typename T>
  void addInto(T* gw, const T* part) const {
    for (int64_t k = 0; k < f_; k++) gw[k] += part[k];
  }

  // Rows [r0, r1) of X: z, the chain and X^T·g into gw (overwritten).
  template <typename T>
  void pass(Frame& f, Lane& lane, int64_t r0, int64_t r1, T* gw) {
    const RowKernels<T>& rk = rowKernels<T>();
    const T* X = static_cast<const T*>(f.ptr[ids_[0]]);
    const T* w = static_cast<const T*>(f.ptr[ids_[1]]);
    std::fill_n(gw, f_, T(0));
    lane.local.ptr.resize(ids_.size());
    for (int64_t b0 = r0; b0 < r1; b0 += block_) {
      const int64_t len = std::min(block_, r1 - b0);
      for (size_t i = 0; i < ids_.size(); i++) {
        auto base = static_cast<uint8_t*>(f.ptr[ids_[i]]);
        lane.local.ptr[i] = rowLocal_ && isRow(static_cast<int>(i)) ? base + b0 * static_cast<int64_t>(bytesOf(types_[i])) : base;
      }
      const T* xb = X + b0 * f_;
      rk.dotRows(xb, f_, len, f_, w, static_cast<T*>(lane.local.ptr[nIn_]));
      for (auto& k : chainFor(lane, len)) k->run(lane.local);
      rk.axpyRows(xb, f_, len, f_, static_cast<const T*>(lane.local.ptr[g_]), gw);
    }
  }

  bool isRow(int r) const { return shapes_[r].size() == 1 && shapes_[r][0] == n_ && n_ != 1; }

  // The chain's elementwise kernels for blocks of `len` rows (built on first use).
  std::vector<std::unique_ptr<Kernel>>& chainFor(Lane& lane, int64_t len) {
    auto& chain = lane.chains[len];
    if (chain.size() == inners_.size()) return chain;
    chain.clear();
    for (auto& in : inners_) {
      KernelArgs args{*in.spec, in.args, {in.out}, {}, {types_[in.out]}, {}, {}};
      for (int r : in.args) {
        args.inTypes.push_back(types_[r]);
        args.inShapes.push_back(rowLocal_ && isRow(r) ? std::vector<int64_t>{len} : shapes_[r]);
      }
      args.outShapes.push_back(rowLocal_ ? std::vector<int64_t>{len} : shapes_[in.out]);
      chain.push_back(makeKernel("elemwise", args));
    }
    return chain;
  }

  size_t nIn_;
  std::vector<int> ids_;
  std::vector<DType> types_;
  std::vector<std::vector<int64_t>> shapes_;
  int64_t n_ = 0, f_ = 0, block_ = 1;
  bool f32_ = false, rowLocal_ = true;
  int g_ = 0;
  std::vector<Inner> inners_;
  std::vector<Lane> lanes_;
};

}  // namespace

void registerRowPass() {
  registerKernel("rowpass", [](const KernelArgs& a) { return std::make_unique<RowPass>(a); });
}

}  // namespace theanode
