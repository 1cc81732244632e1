// `allreduce` (lib/ops/allreduce.ts): every input summed (or averaged) over the ranks, all of
// them packed into one message, through the MPI addon's table (collectives.h). The kernel owns
// its staging buffer, so the message is contiguous whatever the plan did with the buffers.
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "../collectives.h"
#include "registry.h"

namespace theanode {

static std::atomic<const CollectivesTable*> table{nullptr};

void setCollectives(const CollectivesTable* t) { table.store(t); }
const CollectivesTable* collectives() { return table.load(); }

namespace {

const char* kNoTable =
    "allreduce: distributed training is not initialised in this process: call distributed.init() before running a function with "
    "T.distributed.allreduce, under `mpirun -np K node script.js` (needs the MPI addon, built when the Debian packages openmpi-bin "
    "and libopenmpi-dev are installed)";

class Allreduce : public Kernel {
 public:
  explicit Allreduce(const KernelArgs& a) : in_(a.in), out_(a.out), dtype_(a.inTypes.empty() ? DType::F64 : a.inTypes[0]) {
    if (in_.size() != out_.size() || in_.empty()) throw std::runtime_error("allreduce: expected as many outputs as inputs");
    const Json& ops = a.attrs["ops"];
    for (size_t i = 0; i < in_.size(); i++) {
      if (a.inTypes[i] != dtype_ || a.outTypes[i] != dtype_) throw std::runtime_error("allreduce: every input of one instruction must have the same dtype");
      if (a.inShapes[i] != a.outShapes[i]) throw std::runtime_error("allreduce: an output's shape differs from its input's");
      sizes_.push_back(sizeOf(a.inShapes[i]));
      total_ += sizes_.back();
      const std::string& op = ops[i].str;
      if (op != "sum" && op != "mean") throw std::runtime_error("allreduce: op must be sum or mean, got " + op);
      mean_.push_back(op == "mean");
    }
    if (dtype_ == DType::F64) collType_ = kCollF64;
    else if (dtype_ == DType::F32) collType_ = kCollF32;
    else if (dtype_ == DType::I32) collType_ = kCollI32;
    else throw std::runtime_error("allreduce: bool arrays cannot be reduced");
    stage_.resize(static_cast<size_t>(total_) * bytesOf(dtype_));
  }

  void run(Frame& f) override {
    const CollectivesTable* t = collectives();
    if (!t) throw std::runtime_error(kNoTable);
    const size_t w = bytesOf(dtype_);
    size_t at = 0;
    for (size_t i = 0; i < in_.size(); i++) {
      std::memcpy(stage_.data() + at, f.ptr[in_[i]], static_cast<size_t>(sizes_[i]) * w);
      at += static_cast<size_t>(sizes_[i]) * w;
    }
    char err[512] = {0};
    if (t->allreduce(stage_.data(), total_, collType_, kCollSum, 0, err, sizeof err) != 0) throw std::runtime_error(err);
    const double ranks = static_cast<double>(t->size());
    at = 0;
    for (size_t i = 0; i < in_.size(); i++) {
      const uint8_t* src = stage_.data() + at;
      void* o = f.ptr[out_[i]];
      const int64_t n = sizes_[i];
      at += static_cast<size_t>(n) * w;
      if (!mean_[i]) std::memcpy(o, src, static_cast<size_t>(n) * w);
      // The mean as the js kernel computes it: the sum divided by the ranks in double, then stored.
      else if (dtype_ == DType::F64) divide(static_cast<const double*>(static_cast<const void*>(src)), static_cast<double*>(o), n, ranks);
      else if (dtype_ == DType::F32) divide(static_cast<const float*>(static_cast<const void*>(src)), static_cast<float*>(o), n, ranks);
      else for (int64_t k = 0; k < n; k++) store(dtype_, o, k, load(dtype_, src, k) / ranks);
    }
  }

  template <typename F>
  static void divide(const F* __restrict src, F* __restrict out, int64_t n, double ranks) {
    // Dividing by a power of two is multiplying by its exact reciprocal (the same rounding), and vectorises.
    const auto r = static_cast<int64_t>(ranks);
    if (r > 0 && (r & (r - 1)) == 0) {
      const F inv = static_cast<F>(1.0 / ranks);
      for (int64_t k = 0; k < n; k++) out[k] = src[k] * inv;
    } else {
      for (int64_t k = 0; k < n; k++) out[k] = static_cast<F>(static_cast<double>(src[k]) / ranks);
    }
  }

  // An earlier instruction of this call failed: tell the peers, which are waiting in this collective.
  void abandon() override {
    const CollectivesTable* t = collectives();
    if (t) t->allreduce(nullptr, total_, collType_, kCollSum, 1, nullptr, 0);
  }

 private:
  std::vector<int> in_, out_;
  DType dtype_;
  int32_t collType_ = kCollF64;
  std::vector<int64_t> sizes_;
  std::vector<bool> mean_;
  int64_t total_ = 0;
  std::vector<uint8_t> stage_;
};

}  // namespace

void registerAllreduce() {
  registerKernel("allreduce", [](const KernelArgs& a) { return std::make_unique<Allreduce>(a); });
}

}  // namespace theanode
