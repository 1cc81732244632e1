// The `rowpass` opcode (see lib/ops/rowpass.ts): Z = X·W, a chain of row-local ops on Z's rows,
// and X^T·G in one pass over X, by blocks of rows that stay in cache between the two products.
// Each block: its slice of Z (rowdot.h for a vector W, one BLAS gemm for a matrix), the chain on
// the slice, and its share of X^T·G added to the result. How the pass is cut into blocks and
// lanes (runs of blocks whose sums are kept apart, shared among the threads) is the plan's
// decision (planRowPass in lib/ops/rowpass.ts); this file executes it. When the chain does not
// split by rows, the plan has one block of all rows.

#include <algorithm>
#include <cstring>
#include <map>

#include "../pool.h"
#include "blas.h"
#include "registry.h"
#include "rowdot.h"

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
    // How the pass is cut (blocks, which buffers they cut, lanes) was decided with the plan.
    if (!a.decision) throw std::runtime_error("rowpass: the plan carries no decision");
    const Json& d = *a.decision;
    block_ = static_cast<int64_t>(d["blockRows"].number());
    rowLocal_ = !d["cut"].isNull();
    if (rowLocal_) {
      if (d["cut"].size() != ids_.size()) throw std::runtime_error("rowpass: malformed plan");
      for (size_t r = 0; r < ids_.size(); r++) {
        cut_.push_back(d["cut"][r].truthy());
        if (cut_.back() && (shapes_[r].empty() || shapes_[r][0] != n_)) throw std::runtime_error("rowpass: the plan cuts a buffer that is not by rows");
      }
    }
    for (size_t i = 0; i < d["lanes"].size(); i++) lanes_.push_back(static_cast<int64_t>(d["lanes"][i].number()));
    const int64_t blocks = n_ == 0 ? 0 : (n_ + block_ - 1) / std::max<int64_t>(block_, 1);
    if (block_ < 1 || (!rowLocal_ && block_ < n_) || lanes_.empty() || lanes_.front() != 0 || lanes_.back() != blocks || !std::is_sorted(lanes_.begin(), lanes_.end()))
      throw std::runtime_error("rowpass: malformed plan");
    // Bytes from one row of each buffer to the next when blocks cut it by rows, else 0.
    for (size_t i = 0; i < ids_.size(); i++) {
      const int r = static_cast<int>(i);
      rowBytes_.push_back(isCut(r) ? sizeOf(std::vector<int64_t>(shapes_[r].begin() + 1, shapes_[r].end())) * static_cast<int64_t>(bytesOf(types_[i])) : 0);
    }
    // Build the chain for a full block now, so that a bad program fails here rather than in a call.
    workers_.resize(1);
    chainFor(workers_[0], std::min(block_, std::max<int64_t>(n_, 1)));
  }

  void run(Frame& f) override {
    void* gw = f.ptr[ids_.back()];
    const size_t gwBytes = static_cast<size_t>(f_ * k_) * (f32_ ? 4 : 8);
    if (n_ == 0 || f_ == 0 || k_ == 0) {
      // Nothing to read from X: Z is zeros (or empty), the chain runs once, X^T·G is zeros.
      const size_t zBytes = static_cast<size_t>(n_ * k_) * (f32_ ? 4 : 8);
      if (zBytes) std::memset(f.ptr[ids_[nIn_]], 0, zBytes);
      Worker& lane = workers_[0];
      lane.local.ptr.resize(ids_.size());
      for (size_t i = 0; i < ids_.size(); i++) lane.local.ptr[i] = f.ptr[ids_[i]];
      if (n_ > 0)
        for (auto& k : chainFor(lane, rowLocal_ ? n_ : std::max<int64_t>(n_, 1))) k->run(lane.local);
      if (gwBytes) std::memset(gw, 0, gwBytes);
      return;
    }
    // The plan's lanes, shared among the threads; each lane's sum is kept apart and the sums
    // are added in lane order, so the thread count never changes the result. One thread visits
    // its lanes last to first every other call, starting where the previous call ended, with
    // those rows still in cache. Fixed lanes per thread, because a thread's rows stay in its
    // core's cache from call to call: letting a part take lanes another had not started (the
    // seed step, 2 threads) measured 5-10% slower on idle cores and 1.24-1.30x one thread
    // instead of 0.75-0.84x with a second process keeping a core busy.
    const int lanes = static_cast<int>(lanes_.size()) - 1;
    const int threads = std::max(1, std::min(parallelParts(2.0 * static_cast<double>(n_) * static_cast<double>(f_ * k_)), lanes));
    if (static_cast<int>(workers_.size()) < threads) workers_.resize(threads);
    if (static_cast<int>(laneSums_.size()) < lanes) laneSums_.resize(lanes);
    reverse_ = !reverse_;
    parallelRun(threads, [&](int t) {
      Worker& w = workers_[t];
      const int mine = (lanes - t + threads - 1) / threads;  // lanes t, t + threads, ...
      for (int i = 0; i < mine; i++) {
        const int l = t + (reverse_ ? mine - 1 - i : i) * threads;
        if (f32_) pass<float>(f, w, l, l == 0 ? static_cast<float*>(gw) : laneSum<float>(l));
        else pass<double>(f, w, l, l == 0 ? static_cast<double*>(gw) : laneSum<double>(l));
      }
    });
    for (int l = 1; l < lanes; l++) {
      if (f32_) addInto(static_cast<float*>(gw), reinterpret_cast<const float*>(laneSums_[l].data()));
      else addInto(static_cast<double*>(gw), reinterpret_cast<const double*>(laneSums_[l].data()));
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
  // the buffers, and one block's share of X^T·G.
  struct Worker {
    std::map<int64_t, std::vector<std::unique_ptr<Kernel>>> chains;
    Frame local;
    std::vector<uint8_t> block;
  };

  template <typename T>
  T* laneSum(int l) {
    laneSums_[l].resize(static_cast<size_t>(f_ * k_) * sizeof(T));
    return reinterpret_cast<T*>(laneSums_[l].data());
  }

  template <typename T>
  void addInto(T* gw, const T* part) const {
    for (int64_t i = 0; i < f_ * k_; i++) gw[i] += part[i];
  }

  // The blocks of lane l: Z, the chain, and X^T·G into `sum` (overwritten): each block's share
  // is computed from zero and added in block order, as the js kernel does.
  template <typename T>
  void pass(Frame& f, Worker& w, int l, T* sum) {
    const RowKernels<T>& rk = rowKernels<T>();
    const T* X = static_cast<const T*>(f.ptr[ids_[0]]);
    const T* W = static_cast<const T*>(f.ptr[ids_[1]]);
    const int F = static_cast<int>(f_), K = static_cast<int>(k_);
    const int64_t size = f_ * k_;
    w.block.resize(static_cast<size_t>(size) * sizeof(T));
    T* share = reinterpret_cast<T*>(w.block.data());
    std::fill_n(sum, size, T(0));
    w.local.ptr.resize(ids_.size());
    for (int64_t b = lanes_[l]; b < lanes_[l + 1]; b++) {
      const int64_t b0 = b * block_;
      const int64_t len = std::min(block_, n_ - b0);
      for (size_t j = 0; j < ids_.size(); j++) w.local.ptr[j] = static_cast<uint8_t*>(f.ptr[ids_[j]]) + (isCut(static_cast<int>(j)) ? b0 * rowBytes_[j] : 0);
      const T* xb = X + b0 * f_;
      T* zb = static_cast<T*>(w.local.ptr[nIn_]);
      if (matrix_) blas::gemmCall(CblasNoTrans, CblasNoTrans, static_cast<int>(len), K, F, 1.0, xb, F, W, K, 0.0, zb, K);
      else rk.dotRows(xb, f_, len, f_, W, zb);
      for (auto& k : chainFor(w, len)) k->run(w.local);
      const T* gb = static_cast<const T*>(w.local.ptr[g_]);
      if (matrix_) blas::gemmCall(CblasTrans, CblasNoTrans, F, K, static_cast<int>(len), 1.0, xb, F, gb, K, 0.0, share, K);
      else {
        std::fill_n(share, size, T(0));
        rk.axpyRows(xb, f_, len, f_, gb, share);
      }
      for (int64_t j = 0; j < size; j++) sum[j] += share[j];
    }
  }

  // A buffer the plan's blocks cut by rows.
  bool isCut(int r) const { return rowLocal_ && cut_[r]; }

  // The chain's kernels for blocks of `len` rows (built on first use).
  std::vector<std::unique_ptr<Kernel>>& chainFor(Worker& lane, int64_t len) {
    auto& chain = lane.chains[len];
    if (chain.size() == inners_.size()) return chain;
    chain.clear();
    auto blockShape = [&](int r) {
      std::vector<int64_t> s = shapes_[r];
      if (isCut(r)) s[0] = len;
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
  std::vector<bool> cut_;
  std::vector<int64_t> lanes_;
  std::vector<Worker> workers_;
  std::vector<std::vector<uint8_t>> laneSums_;
  bool reverse_ = false;
};

}  // namespace

void registerRowPass() {
  registerKernel("rowpass", [](const KernelArgs& a) { return std::make_unique<RowPass>(a); });
}

}  // namespace theanode
