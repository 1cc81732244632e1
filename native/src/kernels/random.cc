// The draws of random.RandomStreams (lib/ops/random.ts, loops in lib/random/draw.ts): element
// i of a draw always uses the same Philox block and words, so a draw split over the pool's
// threads gives the numbers one thread gives, and the numbers the js backend gives.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../pool.h"
#include "random_bits.h"
#include "registry.h"

namespace theanode {
namespace {

constexpr int64_t kStateWords = 6;

// The instruction's buffers as the TypeScript op makes them: at least `nIn` inputs, the first an
// int32 state of 6 words, and one output.
void checkArgs(const KernelArgs& a, size_t nIn, const char* where) {
  if (a.in.size() < nIn || a.inShapes.size() != a.in.size() || a.inTypes.size() != a.in.size() || a.out.size() != 1 || a.outShapes.size() != 1 || a.outTypes.size() != 1)
    throw std::runtime_error(std::string(where) + ": unexpected inputs or outputs");
  if (a.inTypes[0] != DType::I32 || a.inShapes[0].size() != 1 || a.inShapes[0][0] != kStateWords) throw std::runtime_error(std::string(where) + ": a stream state holds 6 int32 words");
}

// Offsets into a parameter broadcast (right-aligned) over the output, in C order.
class Cursor {
 public:
  Cursor(const std::vector<int64_t>& param, const std::vector<int64_t>& out) : out_(out), strides_(out.size(), 0), idx_(out.size(), 0) {
    if (param.size() > out.size()) throw std::runtime_error("random: a parameter has more dimensions than the size");
    const size_t lead = out.size() - param.size();
    int64_t acc = 1;
    for (size_t ax = param.size(); ax-- > 0;) {
      if (param[ax] != 1 && param[ax] != out[lead + ax]) throw std::runtime_error("random: a parameter does not broadcast to the size");
      strides_[lead + ax] = param[ax] == 1 ? 0 : acc;
      acc *= param[ax];
    }
    scalar_ = std::all_of(strides_.begin(), strides_.end(), [](int64_t s) { return s == 0; });
  }
  void seek(int64_t i) {
    offset = 0;
    for (size_t ax = out_.size(); ax-- > 0;) {
      idx_[ax] = out_[ax] ? i % out_[ax] : 0;
      i = out_[ax] ? i / out_[ax] : 0;
      offset += idx_[ax] * strides_[ax];
    }
  }
  void step() {
    if (scalar_) return;
    for (size_t ax = out_.size(); ax-- > 0;) {
      idx_[ax]++;
      offset += strides_[ax];
      if (idx_[ax] < out_[ax]) return;
      offset -= strides_[ax] * out_[ax];
      idx_[ax] = 0;
    }
  }
  int64_t offset = 0;

 private:
  std::vector<int64_t> out_, strides_, idx_;
  bool scalar_ = false;
};

// Uniform 53-bit doubles t, t + 1, ... of a stream.
class Unit53Stream {
 public:
  Unit53Stream(const int32_t* state, uint64_t t) : k0_(static_cast<uint32_t>(state[0])), k1_(static_cast<uint32_t>(state[1])), c_(rng::counterAt(state, t / 2)), lane_(static_cast<int>(t % 2)) {
    rng::philox(c_.w, k0_, k1_, w_);
  }
  double next() {
    if (lane_ == 2) {
      c_.inc();
      rng::philox(c_.w, k0_, k1_, w_);
      lane_ = 0;
    }
    const double u = rng::unit53(w_[2 * lane_], w_[2 * lane_ + 1]);
    lane_++;
    return u;
  }

 private:
  uint32_t k0_, k1_;
  rng::Counter c_;
  int lane_;
  uint32_t w_[4];
};

// Throws unless every value is a probability (NaN is not), as checkProbabilities in lib/ops/random.ts.
void checkProbabilities(DType t, const void* p, int64_t n, const char* where) {
  for (int64_t i = 0; i < n; i++) {
    const double v = load(t, p, i);
    if (!(v >= 0 && v <= 1)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      throw std::runtime_error(std::string(where) + ": probabilities must be in [0, 1], got " + buf + " at flat index " + std::to_string(i));
    }
  }
}

// How many parts a job of `work` operations over `units` indivisible units is worth.
int partsFor(double work, int64_t units) { return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(parallelParts(work), units))); }
inline int64_t cut(int64_t n, int p, int parts) { return n * p / parts; }

// uniform and normal: inputs state, two parameters, sizes.
class AffineDraw : public Kernel {
 public:
  AffineDraw(const KernelArgs& a, bool normal) : normal_(normal) {
    checkArgs(a, 3, "random");
    out_ = a.outShapes[0];
    at_ = a.inTypes[1];
    bt_ = a.inTypes[2];
    if (a.outTypes[0] != DType::F32 && a.outTypes[0] != DType::F64) throw std::runtime_error("random: uniform and normal draws are float32 or float64");
    st_ = a.in[0];
    pa_ = a.in[1];
    pb_ = a.in[2];
    o_ = a.out[0];
    aShape_ = a.inShapes[1];
    bShape_ = a.inShapes[2];
    f32_ = a.outTypes[0] == DType::F32;
    Cursor(aShape_, out_);  // checks the broadcast
    Cursor(bShape_, out_);
    scalar_ = sizeOf(aShape_) == 1 && sizeOf(bShape_) == 1;
    n_ = sizeOf(out_);
  }
  void run(Frame& f) override {
    const int per = f32_ ? 4 : 2;
    const int64_t blocks = (n_ + per - 1) / per;
    const int parts = partsFor((normal_ ? 60.0 : 20.0) * static_cast<double>(n_), blocks);
    parallelRun(parts, [&](int p) {
      const int64_t b0 = cut(blocks, p, parts), b1 = cut(blocks, p + 1, parts);
      if (b0 >= b1) return;
      const int k = (normal_ ? 4 : 0) + (f32_ ? 2 : 0) + (scalar_ ? 1 : 0);
      switch (k) {
        case 0: range<false, false, false>(f, b0, b1); break;
        case 1: range<false, false, true>(f, b0, b1); break;
        case 2: range<false, true, false>(f, b0, b1); break;
        case 3: range<false, true, true>(f, b0, b1); break;
        case 4: range<true, false, false>(f, b0, b1); break;
        case 5: range<true, false, true>(f, b0, b1); break;
        case 6: range<true, true, false>(f, b0, b1); break;
        default: range<true, true, true>(f, b0, b1); break;
      }
    });
  }

 private:
  // Blocks [b0, b1): the elements they give, each a + (b - a) u (uniform) or a + b z (normal).
  template <bool Normal, bool F32, bool Scalar>
  void range(Frame& f, int64_t b0, int64_t b1) const {
    using Out = std::conditional_t<F32, float, double>;
    const auto* state = static_cast<const int32_t*>(f.ptr[st_]);
    const void* pa = f.ptr[pa_];
    const void* pb = f.ptr[pb_];
    Out* o = static_cast<Out*>(f.ptr[o_]);
    constexpr int per = F32 ? 4 : 2;
    Cursor ca(aShape_, out_), cb(bShape_, out_);
    if (!Scalar) {
      ca.seek(b0 * per);
      cb.seek(b0 * per);
    }
    const double a0 = load(at_, pa, 0), b0v = load(bt_, pb, 0);
    const uint32_t k0 = static_cast<uint32_t>(state[0]), k1 = static_cast<uint32_t>(state[1]);
    rng::Counter c = rng::counterAt(state, static_cast<uint64_t>(b0));
    uint32_t w[4];
    double z[2];
    auto put = [&](int64_t i, double v) {
      if (i >= n_) return;
      const double x = Scalar ? a0 : load(at_, pa, ca.offset), y = Scalar ? b0v : load(bt_, pb, cb.offset);
      o[i] = static_cast<Out>(Normal ? x + y * v : x + (y - x) * v);
      if (!Scalar) {
        ca.step();
        cb.step();
      }
    };
    for (int64_t b = b0; b < b1; b++, c.inc()) {
      rng::philox(c.w, k0, k1, w);
      if (!Normal) {
        for (int l = 0; l < per; l++) put(b * per + l, F32 ? rng::unit24(w[l]) : rng::unit53(w[2 * l], w[2 * l + 1]));
      } else if (F32) {
        for (int pair = 0; pair < 2; pair++) {
          rng::boxMuller(static_cast<uint64_t>(w[2 * pair]) + 1, w[2 * pair + 1], 32, z);
          put(b * 4 + 2 * pair, z[0]);
          put(b * 4 + 2 * pair + 1, z[1]);
        }
      } else {
        rng::boxMuller(rng::int53(w[0], w[1]) + 1, rng::int53(w[2], w[3]), 53, z);
        put(b * 2, z[0]);
        put(b * 2 + 1, z[1]);
      }
    }
  }

  bool normal_, f32_ = false, scalar_ = false;
  std::vector<int64_t> out_, aShape_, bShape_;
  DType at_ = DType::F64, bt_ = DType::F64;
  int st_ = 0, pa_ = 0, pb_ = 0, o_ = 0;
  int64_t n_ = 0;
};

// binomial: inputs state, p, sizes; trial k of element i uses uniform k * n + i.
class Binomial : public Kernel {
 public:
  explicit Binomial(const KernelArgs& a) {
    checkArgs(a, 2, "random binomial");
    out_ = a.outShapes[0];
    pShape_ = a.inShapes[1];
    ot_ = a.outTypes[0];
    pt_ = a.inTypes[1];
    st_ = a.in[0];
    p_ = a.in[1];
    o_ = a.out[0];
    trials_ = static_cast<int64_t>(a.attrs["trials"].number());
    check_ = a.attrs.has("check") && a.attrs["check"].truthy();
    Cursor(pShape_, out_);
    n_ = sizeOf(out_);
    pn_ = sizeOf(pShape_);
  }
  void run(Frame& f) override {
    const auto* state = static_cast<const int32_t*>(f.ptr[st_]);
    const void* pv = f.ptr[p_];
    void* o = f.ptr[o_];
    if (check_) checkProbabilities(pt_, pv, pn_, "random binomial");
    const int parts = partsFor(20.0 * static_cast<double>(n_) * static_cast<double>(trials_), n_);
    parallelRun(parts, [&](int part) {
      const int64_t i0 = cut(n_, part, parts), i1 = cut(n_, part + 1, parts);
      std::vector<double> counts(static_cast<size_t>(std::max<int64_t>(0, i1 - i0)), 0.0);
      Cursor cp(pShape_, out_);
      const double p0 = load(pt_, pv, 0);
      for (int64_t k = 0; k < trials_ && i0 < i1; k++) {
        Unit53Stream s(state, static_cast<uint64_t>(k * n_ + i0));
        if (pn_ == 1) {
          for (int64_t i = i0; i < i1; i++) counts[i - i0] += s.next() < p0 ? 1 : 0;
          continue;
        }
        cp.seek(i0);
        for (int64_t i = i0; i < i1; i++) {
          if (s.next() < load(pt_, pv, cp.offset)) counts[i - i0] += 1;
          cp.step();
        }
      }
      for (int64_t i = i0; i < i1; i++) store(ot_, o, i, counts[i - i0]);
    });
  }

 private:
  std::vector<int64_t> out_, pShape_;
  DType ot_ = DType::F64, pt_ = DType::F64;
  int st_ = 0, p_ = 0, o_ = 0;
  int64_t trials_ = 1, n_ = 0, pn_ = 0;
  bool check_ = false;
};

// multinomial: inputs state, pvals (rows x cols); draw k of row r uses uniform k * rows + r.
class Multinomial : public Kernel {
 public:
  explicit Multinomial(const KernelArgs& a) {
    checkArgs(a, 2, "random multinomial");
    ot_ = a.outTypes[0];
    pt_ = a.inTypes[1];
    if (a.inShapes[1].size() != 2 || a.outShapes[0] != a.inShapes[1]) throw std::runtime_error("random multinomial: pvals must be a matrix of the result's shape");
    rows_ = a.inShapes[1][0];
    cols_ = a.inShapes[1][1];
    st_ = a.in[0];
    p_ = a.in[1];
    o_ = a.out[0];
    trials_ = static_cast<int64_t>(a.attrs["trials"].number());
    check_ = a.attrs.has("check") && a.attrs["check"].truthy();
    if (cols_ == 0 && rows_ > 0 && trials_ > 0) throw std::runtime_error("random multinomial: pvals has no outcomes to draw");
  }
  void run(Frame& f) override {
    const auto* state = static_cast<const int32_t*>(f.ptr[st_]);
    const void* pv = f.ptr[p_];
    void* o = f.ptr[o_];
    if (check_) checkProbabilities(pt_, pv, rows_ * cols_, "random multinomial");
    const int parts = partsFor((20.0 + static_cast<double>(cols_)) * static_cast<double>(rows_) * static_cast<double>(trials_), rows_);
    parallelRun(parts, [&](int part) {
      const int64_t r0 = cut(rows_, part, parts), r1 = cut(rows_, part + 1, parts);
      std::vector<double> counts(static_cast<size_t>(std::max<int64_t>(0, (r1 - r0) * cols_)), 0.0);
      for (int64_t k = 0; k < trials_ && r0 < r1; k++) {
        Unit53Stream s(state, static_cast<uint64_t>(k * rows_ + r0));
        for (int64_t r = r0; r < r1; r++) counts[(r - r0) * cols_ + pick(pv, r * cols_, s.next())] += 1;
      }
      for (int64_t i = r0 * cols_; i < r1 * cols_; i++) store(ot_, o, i, counts[i - r0 * cols_]);
    });
  }

 private:
  // The first column whose running sum exceeds u, else the last with a non-zero probability.
  int64_t pick(const void* pv, int64_t row, double u) const {
    double sum = 0;
    int64_t last = cols_ - 1;
    for (int64_t c = 0; c < cols_; c++) {
      const double pc = load(pt_, pv, row + c);
      sum += pc;
      if (u < sum) return c;
      if (pc > 0) last = c;
    }
    return last;
  }
  DType ot_ = DType::F64, pt_ = DType::F64;
  int st_ = 0, p_ = 0, o_ = 0;
  int64_t rows_ = 0, cols_ = 0, trials_ = 1;
  bool check_ = false;
};

// The state after a draw: the key, and the counter moved past the blocks the plan decided.
class Advance : public Kernel {
 public:
  explicit Advance(const KernelArgs& a) {
    checkArgs(a, 1, "random_advance");
    if (a.outTypes[0] != DType::I32 || a.outShapes[0] != a.inShapes[0]) throw std::runtime_error("random_advance: the result must be a state");
    st_ = a.in[0];
    o_ = a.out[0];
    const double b = decisionOf(a, "random_advance")["blocks"].number();
    if (!(b >= 0 && b <= 9007199254740992.0)) throw std::runtime_error("random_advance: bad block count");
    blocks_ = static_cast<uint64_t>(b);
  }
  void run(Frame& f) override {
    const auto* s = static_cast<const int32_t*>(f.ptr[st_]);
    auto* o = static_cast<int32_t*>(f.ptr[o_]);
    const rng::Counter c = rng::counterAt(s, blocks_);
    const int32_t k0 = s[0], k1 = s[1];
    o[0] = k0;
    o[1] = k1;
    for (int i = 0; i < 4; i++) o[2 + i] = static_cast<int32_t>(c.w[i]);
  }

 private:
  int st_ = 0, o_ = 0;
  uint64_t blocks_ = 0;
};

}  // namespace

void registerRandom() {
  registerKernel("random_uniform", [](const KernelArgs& a) { return std::make_unique<AffineDraw>(a, false); });
  registerKernel("random_normal", [](const KernelArgs& a) { return std::make_unique<AffineDraw>(a, true); });
  registerKernel("random_binomial", [](const KernelArgs& a) { return std::make_unique<Binomial>(a); });
  registerKernel("random_multinomial", [](const KernelArgs& a) { return std::make_unique<Multinomial>(a); });
  registerKernel("random_advance", [](const KernelArgs& a) { return std::make_unique<Advance>(a); });
}

}  // namespace theanode
