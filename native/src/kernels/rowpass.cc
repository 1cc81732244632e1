// The `rowpass` opcode (see lib/ops/rowpass.ts): Z = X·W, a chain of row-local ops on Z's rows,
// and X^T·G in one pass over X, by blocks of rows that stay in cache between the two products.
// Each block: its slice of Z (rowdot.h for a vector W, one BLAS gemm for a matrix), the chain on
// the slice, and its share of X^T·G added to the result. With several threads, each takes a
// contiguous range of rows and sums into its own X^T·G, added up at the end. When the chain does
// not split by rows (rowSplit in lib/ops/rowpass.ts), the three parts run one after the other
// over all rows, on one thread.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "../cache.h"
#include "../pool.h"
#include "blas.h"
#include "registry.h"
#include "rowdot.h"

namespace theanode {
namespace {

// Up to this many blocks per thread, their order alternates between calls (see pass()).
constexpr int64_t kMaxAlternatingBlocks = 8;

// Half this core's L2 cache (what glibc reports), within [256 KiB, 512 KiB]; 512 KiB if unknown.
// (Larger blocks measured slower even where the L2 holds 2 MiB: the second read of a block, for
// X^T·G, then finds less of it still in the cache.)
int64_t blockBytes() {
  static const int64_t bytes = [] {
    const long l2 = l2CacheBytes();
    return l2 > 0 ? std::min<int64_t>(512 << 10, std::max<int64_t>(256 << 10, l2 / 2)) : int64_t{512} << 10;
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
    if (shapes_[0].size() != 2 || shapes_[1].empty() || shapes_[1].size() > 2) throw std::runtime_error("rowpass: needs a matrix X and a vector or matrix W");
    n_ = shapes_[0][0];
    f_ = shapes_[0][1];
    matrix_ = shapes_[1].size() == 2;
    k_ = matrix_ ? shapes_[1][1] : 1;
    f32_ = types_[0] == DType::F32;
    for (size_t i = 1; i < types_.size(); i++)
      if ((i < 2 || i == nIn_ || i == types_.size() - 1) && types_[i] != types_[0]) throw std::runtime_error("rowpass: products need one float dtype");
    if (types_[0] != DType::F64 && types_[0] != DType::F32) throw std::runtime_error("rowpass: products need float data");
    const Json& inner = a.attrs["inner"];
    for (size_t k = 0; k < inner.size(); k++) {
      Inner in;
      in.opcode = inner[k]["opcode"].str;
      const Json& args = inner[k]["args"];
      for (size_t i = 0; i < args.size(); i++) in.args.push_back(static_cast<int>(args[i].number()));
      in.out = static_cast<int>(inner[k]["out"].number());
      for (int r : in.args)
        if (r < 0 || static_cast<size_t>(r) >= ids_.size()) throw std::runtime_error("rowpass: bad reference");
      if (in.out < static_cast<int>(nIn_) || static_cast<size_t>(in.out) >= ids_.size()) throw std::runtime_error("rowpass: bad reference");
      in.attrs = std::make_unique<Json>(inner[k]["attrs"]);
      inners_.push_back(std::move(in));
    }
    g_ = inners_.empty() ? static_cast<int>(nIn_) : inners_.back().out;
    rowLocal_ = splitsByRows();
    // Bytes from one row of each buffer to the next when blocks cut it by rows, else 0.
    for (size_t i = 0; i < ids_.size(); i++) {
      const int r = static_cast<int>(i);
      rowBytes_.push_back(rowLocal_ && cut(r) ? sizeOf(std::vector<int64_t>(shapes_[r].begin() + 1, shapes_[r].end())) * static_cast<int64_t>(bytesOf(types_[i])) : 0);
    }
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
    const size_t gwBytes = static_cast<size_t>(f_ * k_) * (f32_ ? 4 : 8);
    if (n_ == 0 || f_ == 0 || k_ == 0) {
      // Nothing to read from X: Z is zeros (or empty), the chain runs once, X^T·G is zeros.
      const size_t zBytes = static_cast<size_t>(n_ * k_) * (f32_ ? 4 : 8);
      if (zBytes) std::memset(f.ptr[ids_[nIn_]], 0, zBytes);
      Lane& lane = lanes_[0];
      lane.local.ptr.resize(ids_.size());
      for (size_t i = 0; i < ids_.size(); i++) lane.local.ptr[i] = f.ptr[ids_[i]];
      if (n_ > 0)
        for (auto& k : chainFor(lane, rowLocal_ ? n_ : std::max<int64_t>(n_, 1))) k->run(lane.local);
      if (gwBytes) std::memset(gw, 0, gwBytes);
      return;
    }
    // Contiguous row ranges, one per thread, whole blocks each.
    const int parts = rowLocal_ ? std::min<int64_t>(parallelParts(2.0 * static_cast<double>(n_) * static_cast<double>(f_ * k_)), (n_ + 7) / 8) : 1;
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
    std::string opcode;
    std::unique_ptr<Json> attrs;
    std::vector<int> args;
    int out = 0;
  };
  // What one thread owns: the chain's kernels (they keep scratch blocks) by length, its view of
  // the buffers, and its partial X^T·G.
  struct Lane {
    std::map<int64_t, std::vector<std::unique_ptr<Kernel>>> chains;
    Frame local;
    std::vector<uint8_t> partial;
    std::vector<uint8_t> blockSums;  // one X^T·G per block (alternating order)
    bool reverse = false;            // this call visits the blocks last to first
  };

  template <typename T>
  T* partial(Lane& lane) {
    lane.partial.resize(static_cast<size_t>(f_ * k_) * sizeof(T));
    return reinterpret_cast<T*>(lane.partial.data());
  }

  template <typename T>
  void addInto(T* gw, const T* part) const {
    for (int64_t i = 0; i < f_ * k_; i++) gw[i] += part[i];
  }

  // Rows [r0, r1) of X: Z, the chain and X^T·G into gw (overwritten).
  //
  // The blocks are visited first to last in one call and last to first in the next, so that a
  // call starts with the blocks the previous one ended with, still in cache: when X is somewhat
  // larger than the cache, that is most of a pass that would otherwise come from memory. Each
  // block then adds its share of X^T·G into a sum of its own, and these are added in block order
  // at the end, so the results are the same in either direction. (With many blocks, X is far
  // larger than the cache and the order gains nothing: blocks go first to last into gw.)
  template <typename T>
  void pass(Frame& f, Lane& lane, int64_t r0, int64_t r1, T* gw) {
    const RowKernels<T>& rk = rowKernels<T>();
    const T* X = static_cast<const T*>(f.ptr[ids_[0]]);
    const T* w = static_cast<const T*>(f.ptr[ids_[1]]);
    const int F = static_cast<int>(f_), K = static_cast<int>(k_);
    const int64_t size = f_ * k_;
    const int64_t blocks = (r1 - r0 + block_ - 1) / block_;
    const bool alternate = blocks > 1 && blocks <= kMaxAlternatingBlocks;
    if (alternate) lane.blockSums.resize(static_cast<size_t>(blocks * size) * sizeof(T));
    T* sums = reinterpret_cast<T*>(lane.blockSums.data());
    lane.reverse = alternate && !lane.reverse;
    std::fill_n(gw, size, T(0));
    lane.local.ptr.resize(ids_.size());
    for (int64_t i = 0; i < blocks; i++) {
      const int64_t b = lane.reverse ? blocks - 1 - i : i;
      const int64_t b0 = r0 + b * block_;
      const int64_t len = std::min(block_, r1 - b0);
      for (size_t j = 0; j < ids_.size(); j++) lane.local.ptr[j] = static_cast<uint8_t*>(f.ptr[ids_[j]]) + b0 * rowBytes_[j];
      const T* xb = X + b0 * f_;
      T* zb = static_cast<T*>(lane.local.ptr[nIn_]);
      if (matrix_) blas::gemmCall(CblasNoTrans, CblasNoTrans, static_cast<int>(len), K, F, 1.0, xb, F, w, K, 0.0, zb, K);
      else rk.dotRows(xb, f_, len, f_, w, zb);
      for (auto& k : chainFor(lane, len)) k->run(lane.local);
      const T* gb = static_cast<const T*>(lane.local.ptr[g_]);
      T* into = alternate ? sums + b * size : gw;
      if (alternate) std::fill_n(into, size, T(0));
      if (matrix_) blas::gemmCall(CblasTrans, CblasNoTrans, F, K, static_cast<int>(len), 1.0, xb, F, gb, K, 1.0, into, K);
      else rk.axpyRows(xb, f_, len, f_, gb, into);
    }
    if (alternate)
      for (int64_t b = 0; b < blocks; b++)
        for (int64_t j = 0; j < size; j++) gw[j] += sums[b * size + j];
  }

  // A buffer cut into row blocks: its first axis is X's rows.
  bool cut(int r) const { return !shapes_[r].empty() && shapes_[r][0] == n_; }

  // As rowSplit in lib/ops/rowpass.ts: every chain result is cut by rows, an elementwise op reads
  // cut inputs at its own rank, and the other ops read cut inputs or broadcast single rows.
  bool splitsByRows() const {
    if (n_ <= 1) return false;
    for (const auto& in : inners_) {
      if (!cut(in.out)) return false;
      for (int r : in.args) {
        const bool bad = in.opcode == "elemwise" ? cut(r) && shapes_[r].size() != shapes_[in.out].size() : !cut(r) && (shapes_[r].empty() || shapes_[r][0] != 1);
        if (bad) return false;
      }
    }
    return true;
  }

  // The chain's kernels for blocks of `len` rows (built on first use).
  std::vector<std::unique_ptr<Kernel>>& chainFor(Lane& lane, int64_t len) {
    auto& chain = lane.chains[len];
    if (chain.size() == inners_.size()) return chain;
    chain.clear();
    auto blockShape = [&](int r) {
      std::vector<int64_t> s = shapes_[r];
      if (rowLocal_ && cut(r)) s[0] = len;
      return s;
    };
    for (auto& in : inners_) {
      KernelArgs args{*in.attrs, in.args, {in.out}, {}, {types_[in.out]}, {}, {blockShape(in.out)}};
      for (int r : in.args) {
        args.inTypes.push_back(types_[r]);
        args.inShapes.push_back(blockShape(r));
      }
      chain.push_back(makeKernel(in.opcode, args));
    }
    return chain;
  }

  size_t nIn_;
  std::vector<int> ids_;
  std::vector<DType> types_;
  std::vector<std::vector<int64_t>> shapes_;
  std::vector<int64_t> rowBytes_;
  int64_t n_ = 0, f_ = 0, k_ = 1, block_ = 1;
  bool f32_ = false, rowLocal_ = true, matrix_ = false;
  int g_ = 0;
  std::vector<Inner> inners_;
  std::vector<Lane> lanes_;
};

}  // namespace

void registerRowPass() {
  registerKernel("rowpass", [](const KernelArgs& a) { return std::make_unique<RowPass>(a); });
}

}  // namespace theanode
