// `loop` (scan): runs the body Program once per step, on rows of the loop's buffers in place.
// Everything about the loop was decided in lib/ops/loop.ts: the body's plan (shapes, arena,
// views, its kernels' decisions) and the step count it was made for. This executes it, after
// checking that every row it will touch lies inside its buffer. A reverse loop (a gradient's)
// reads sequence rows and writes per-step output rows from the last step's to the first.
#include <algorithm>
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
    // The body's arenas are the loop's first four workspaces, one per dtype, in the plan's arena.
    for (int dt = 0; dt < 4; dt++) requireWorkspace(a, static_cast<size_t>(dt), static_cast<DType>(dt), elements[dt], "loop");
    n_ = static_cast<int64_t>(d["n"].number());
    name_ = attrs["name"].str;
    reverse_ = attrs.has("reverse") && attrs["reverse"].truthy();
    const Json& seqTaps = attrs["seqTaps"];
    const Json& recTaps = attrs["recTaps"];
    const size_t S = seqTaps.size(), R = recTaps.size();
    const size_t nNonseq = static_cast<size_t>(attrs["nNonseq"].number());
    const Json& keepLast = attrs["keepLast"];
    if (a.in.size() != 1 + S + R + nNonseq || a.out.size() < R || keepLast.size() != a.out.size()) throw std::runtime_error("loop: inputs and outputs do not match the layout");
    auto rowBytes = [](const std::vector<int64_t>& s, DType t) {
      if (s.empty()) throw std::runtime_error("loop: a sequence or output has no step axis");
      return static_cast<int64_t>(bytesOf(t)) * sizeOf(std::vector<int64_t>(s.begin() + 1, s.end()));
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
      const bool keep = keepLast[j].truthy();
      if (a.inShapes[1 + S + j].empty() || a.inShapes[1 + S + j][0] != lag || a.outShapes[j].empty() || a.outShapes[j][0] != (keep ? lag : n_ + lag)) throw std::runtime_error("loop: a state's buffer does not fit its taps and the step count");
      const int64_t row = rowBytes(a.outShapes[j], a.outTypes[j]);
      // A state that keeps only its last rows lives in a ring of lag + 1 rows while looping: the
      // next workspace.
      Store st{keep ? lag + 1 : 0, lag, row, -1};
      if (keep) {
        st.ring = static_cast<int>(4 + rings_++);
        requireWorkspace(a, static_cast<size_t>(st.ring), a.outTypes[j], (lag + 1) * (row / static_cast<int64_t>(bytesOf(a.outTypes[j]))), "loop");
      }
      for (const Json& t : taps.arr) {
        Read r{false, static_cast<int>(j), lag + static_cast<int64_t>(t.number()), row};
        if (!keep) checkRows(r, a.outShapes[j][0]);
        else if (r.shift < 0 || r.shift >= lag) throw std::runtime_error("loop: a tap reads outside the state's ring");
        reads_.push_back(r);
      }
      inits_.push_back({static_cast<int>(1 + S + j), sizeOf(a.inShapes[1 + S + j]) * static_cast<int64_t>(bytesOf(a.inTypes[1 + S + j]))});
      stores_.push_back(std::move(st));
    }
    for (size_t k = R; k < a.out.size(); k++) {
      const bool keep = keepLast[k].truthy();
      if (a.outShapes[k].empty() || a.outShapes[k][0] != (keep ? std::min<int64_t>(n_, 1) : n_)) throw std::runtime_error("loop: an output does not have one row per step");
      // Keeping the last row: every step rewrites row 0.
      stores_.push_back({keep ? 1 : 0, 0, rowBytes(a.outShapes[k], a.outTypes[k]), -1});
    }
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
      if (b.size * static_cast<int64_t>(bytesOf(b.dtype)) != stores_[k].rowBytes || b.dtype != a.outTypes[k]) throw std::runtime_error("loop: body output " + std::to_string(k) + " does not match the row it writes");
    }
    call_.inputs.resize(body_.inputs.size());
    call_.outputs.resize(body_.outputs.size());
  }

  void run(Frame& f) override {
    const int32_t n = *static_cast<const int32_t*>(f.ptr[in_[0]]);
    if (n != n_) throw std::runtime_error("loop: the plan was made for " + std::to_string(n_) + " steps, got " + std::to_string(n));
    for (int dt = 0; dt < 4; dt++) body_.arena[dt] = static_cast<uint8_t*>(f.workspace(static_cast<size_t>(dt)));
    for (size_t j = 0; j < inits_.size(); j++)
      if (inits_[j].bytes) std::memcpy(rowAt(f, j, 0), f.ptr[in_[inits_[j].input]], static_cast<size_t>(inits_[j].bytes));
    for (size_t k = reads_.size(); k < call_.inputs.size(); k++) call_.inputs[k] = f.ptr[in_[nonseq0_ + k - reads_.size()]];
    const size_t R = inits_.size();
    for (int64_t t = 0; t < n_; t++) {
      const int64_t ts = reverse_ ? n_ - 1 - t : t;  // the row of the sequences and per-step outputs
      for (size_t i = 0; i < reads_.size(); i++) {
        const Read& r = reads_[i];
        call_.inputs[i] = r.fromInput ? static_cast<uint8_t*>(f.ptr[in_[r.index]]) + (ts + r.shift) * r.rowBytes : rowAt(f, static_cast<size_t>(r.index), t + r.shift);
      }
      for (size_t k = 0; k < call_.outputs.size(); k++) call_.outputs[k] = rowAt(f, k, (k < R ? t : ts) + stores_[k].shift);
      try {
        execute(body_, call_);
      } catch (const std::exception& e) {
        throw std::runtime_error("scan '" + name_ + "', step " + std::to_string(t) + ": " + e.what());
      }
    }
    // A ring's last lag rows, in order, become the output.
    for (size_t k = 0; k < stores_.size(); k++) {
      const Store& st = stores_[k];
      if (st.ring < 0) continue;
      for (int64_t r = 0; r < st.shift; r++) std::memcpy(static_cast<uint8_t*>(f.ptr[out_[k]]) + r * st.rowBytes, rowAt(f, k, n_ + r), static_cast<size_t>(st.rowBytes));
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
  // Where an output's rows live while looping: the output (modulus 0: row r at r), a ring kept
  // here (a state keeping its last rows), or row 0 of the output rewritten (modulus 1).
  struct Store {
    int64_t modulus;
    int64_t shift;  // row written at step t: t + shift
    int64_t rowBytes;
    int ring;  // its workspace, or -1
  };

  uint8_t* rowAt(Frame& f, size_t k, int64_t r) {
    Store& st = stores_[k];
    const int64_t at = st.modulus ? r % st.modulus : r;
    return static_cast<uint8_t*>(st.ring < 0 ? f.ptr[out_[k]] : f.workspace(static_cast<size_t>(st.ring))) + at * st.rowBytes;
  }

  // Rows t + shift for t < n must lie in a buffer of `rows` rows.
  void checkRows(const Read& r, int64_t rows) const {
    if (r.shift < 0 || (n_ > 0 && n_ - 1 + r.shift >= rows)) throw std::runtime_error("loop: the steps read past the end of a sequence or state");
  }

  std::vector<int> in_, out_;
  Program body_;
  size_t rings_ = 0;
  int64_t n_ = 0;
  std::string name_;
  bool reverse_ = false;
  size_t nonseq0_ = 0;
  std::vector<Read> reads_;
  std::vector<Init> inits_;
  std::vector<Store> stores_;
  CallData call_;
};

}  // namespace

void registerLoop() {
  registerKernel("loop", [](const KernelArgs& a) { return std::make_unique<Loop>(a); });
}

}  // namespace theanode
