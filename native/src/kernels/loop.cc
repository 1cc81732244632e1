// `loop` (scan): runs the body Program once per step, on rows of the loop's buffers in place.
// Everything about the loop was decided in lib/ops/loop.ts: the body's plan (shapes, arena,
// views, its kernels' decisions) and the step count it was made for. This executes it, after
// checking that every row it will touch lies inside its buffer. A reverse loop (a gradient's)
// reads sequence rows and writes non-recurrent output rows from the last step's to the first.
#include <cstring>

#include "../decode.h"
#include "registry.h"

namespace theanode {
namespace {

class Loop : public Kernel {
 public:
  explicit Loop(const KernelArgs& a) : in_(a.in), out_(a.out) {
    const Json& d = decisionOf(a, "loop");
    const Json& attrs = a.attrs;
    int64_t elements[4];
    decodeProgram(attrs["body"], d["plan"], constantsFromJson(attrs["body"]["constants"]), body_, elements);
    allocateArena(elements);
    n_ = static_cast<int64_t>(d["n"].number());
    reverse_ = attrs.has("reverse") && attrs["reverse"].number() != 0;
    const Json& seqTaps = attrs["seqTaps"];
    const Json& recTaps = attrs["recTaps"];
    const size_t S = seqTaps.size(), R = recTaps.size();
    const size_t nNonseq = static_cast<size_t>(attrs["nNonseq"].number());
    if (a.in.size() != 1 + S + R + nNonseq || a.out.size() < R) throw std::runtime_error("loop: inputs and outputs do not match the layout");
    auto rowBytes = [](const std::vector<int64_t>& s, DType t) {
      if (s.empty()) throw std::runtime_error("loop: a sequence or output has no step axis");
      return static_cast<int64_t>(bytesOf(t)) * (s[0] == 0 ? 0 : sizeOf(s) / s[0]);
    };
    // Every body input: a row of a loop input (sequence) or output (state), or a whole non-sequence.
    for (size_t i = 0; i < S; i++) {
      const Json& taps = seqTaps[i];
      const int64_t first = static_cast<int64_t>(taps[0].number());
      for (const Json& t : taps.arr) {
        Read r{true, static_cast<int>(1 + i), static_cast<int64_t>(t.number()) - first, rowBytes(a.inShapes[1 + i], a.inTypes[1 + i])};
        checkRows(r, a.inShapes[1 + i][0]);
        reads_.push_back(r);
      }
    }
    for (size_t j = 0; j < R; j++) {
      const Json& taps = recTaps[j];
      const int64_t lag = -static_cast<int64_t>(taps[0].number());
      if (a.inShapes[1 + S + j].empty() || a.inShapes[1 + S + j][0] != lag || a.outShapes[j][0] != n_ + lag) throw std::runtime_error("loop: a state's buffer does not fit its taps and the step count");
      for (const Json& t : taps.arr) {
        Read r{false, static_cast<int>(j), lag + static_cast<int64_t>(t.number()), rowBytes(a.outShapes[j], a.outTypes[j])};
        checkRows(r, a.outShapes[j][0]);
        reads_.push_back(r);
      }
      inits_.push_back({static_cast<int>(1 + S + j), sizeOf(a.inShapes[1 + S + j]) * static_cast<int64_t>(bytesOf(a.inTypes[1 + S + j]))});
      writeShift_.push_back(lag);
    }
    for (size_t k = R; k < a.out.size(); k++) {
      if (a.outShapes[k].empty() || a.outShapes[k][0] != n_) throw std::runtime_error("loop: an output does not have one row per step");
      writeShift_.push_back(0);
    }
    for (size_t k = 0; k < a.out.size(); k++) writeBytes_.push_back(rowBytes(a.outShapes[k], a.outTypes[k]));
    nonseq0_ = 1 + S + R;
    // The body's buffers must be exactly the rows (and whole non-sequences) bound to them.
    if (body_.inputs.size() != reads_.size() + nNonseq || body_.outputs.size() != a.out.size()) throw std::runtime_error("loop: the body's inputs and outputs do not match the loop");
    for (size_t i = 0; i < body_.inputs.size(); i++) {
      const Buffer& b = body_.buffers[body_.inputs[i]];
      const int64_t bytes = b.size * static_cast<int64_t>(bytesOf(b.dtype));
      const int64_t want = i < reads_.size() ? reads_[i].rowBytes : sizeOf(a.inShapes[nonseq0_ + i - reads_.size()]) * static_cast<int64_t>(bytesOf(a.inTypes[nonseq0_ + i - reads_.size()]));
      if (bytes != want) throw std::runtime_error("loop: body input " + std::to_string(i) + " does not match the row it reads");
    }
    for (size_t k = 0; k < body_.outputs.size(); k++) {
      const Buffer& b = body_.buffers[body_.outputs[k]];
      if (b.size * static_cast<int64_t>(bytesOf(b.dtype)) != writeBytes_[k] || b.dtype != a.outTypes[k]) throw std::runtime_error("loop: body output " + std::to_string(k) + " does not match the row it writes");
    }
    call_.inputs.resize(body_.inputs.size());
    call_.outputs.resize(body_.outputs.size());
  }

  void run(Frame& f) override {
    const int32_t n = *static_cast<const int32_t*>(f.ptr[in_[0]]);
    if (n != n_) throw std::runtime_error("loop: the plan was made for " + std::to_string(n_) + " steps, got " + std::to_string(n));
    for (size_t j = 0; j < inits_.size(); j++)
      if (inits_[j].bytes) std::memcpy(f.ptr[out_[j]], f.ptr[in_[inits_[j].input]], static_cast<size_t>(inits_[j].bytes));
    for (size_t k = reads_.size(); k < call_.inputs.size(); k++) call_.inputs[k] = f.ptr[in_[nonseq0_ + k - reads_.size()]];
    const size_t R = inits_.size();
    for (int64_t t = 0; t < n_; t++) {
      const int64_t ts = reverse_ ? n_ - 1 - t : t;  // the row of the sequences and non-recurrent outputs
      for (size_t i = 0; i < reads_.size(); i++) {
        const Read& r = reads_[i];
        auto base = static_cast<uint8_t*>(r.fromInput ? f.ptr[in_[r.index]] : f.ptr[out_[r.index]]);
        call_.inputs[i] = base + ((r.fromInput ? ts : t) + r.shift) * r.rowBytes;
      }
      for (size_t k = 0; k < call_.outputs.size(); k++) call_.outputs[k] = static_cast<uint8_t*>(f.ptr[out_[k]]) + ((k < R ? t : ts) + writeShift_[k]) * writeBytes_[k];
      execute(body_, call_);
    }
  }

 private:
  struct Read {
    bool fromInput;  // a sequence (loop input) or a state (loop output)
    int index;       // position among the loop's inputs or outputs
    int64_t shift;   // row read at step t: t + shift
    int64_t rowBytes;
  };
  struct Init {
    int input;
    int64_t bytes;
  };

  // Rows t + shift for t < n must lie in a buffer of `rows` rows.
  void checkRows(const Read& r, int64_t rows) const {
    if (r.shift < 0 || (n_ > 0 && n_ - 1 + r.shift >= rows)) throw std::runtime_error("loop: the steps read past the end of a sequence or state");
  }

  // The body's temporaries live here, one 64-byte aligned region per dtype, made once per plan.
  void allocateArena(const int64_t elements[4]) {
    size_t offsets[4], total = 0;
    for (int d = 0; d < 4; d++) {
      offsets[d] = total;
      total += (static_cast<size_t>(elements[d]) * bytesOf(static_cast<DType>(d)) + 63) / 64 * 64;
    }
    storage_.assign(total + 64, 0);
    auto base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(storage_.data()) + 63) / 64 * 64);
    for (int d = 0; d < 4; d++) body_.arena[d] = base + offsets[d];
  }

  std::vector<int> in_, out_;
  Program body_;
  std::vector<uint8_t> storage_;
  int64_t n_ = 0;
  bool reverse_ = false;
  size_t nonseq0_ = 0;
  std::vector<Read> reads_;
  std::vector<Init> inits_;
  std::vector<int64_t> writeShift_, writeBytes_;
  CallData call_;
};

}  // namespace

void registerLoop() {
  registerKernel("loop", [](const KernelArgs& a) { return std::make_unique<Loop>(a); });
}

}  // namespace theanode
