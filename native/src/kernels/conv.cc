// The conv2d family: `conv2d`, `conv2d_grad_inputs` and `conv2d_grad_weights` (lib/ops/conv.ts).
// Each image is unrolled into its column matrix (im2col) and multiplied by the filters with one
// single-threaded product (blas.h: the AVX-512 kernels or OpenBLAS); the addon's pool splits the
// work over the batch. The filter gradient, a sum over the batch, is taken a group of images per
// product and a span of groups per partial result, the partials added in order at the end.
//
// The geometry (padding, output sizes, column-matrix size, the 1x1 shortcut, the groups and
// spans) comes from the plan as attributes; nothing is decided here. The column matrices live in
// the plan's workspace for the instruction (arena space shared with other temporaries), as many
// as the plan's `parts`.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "blas.h"
#include "registry.h"

namespace theanode {
namespace {

// One filter tap along one axis: the input index read by output 0, and the outputs [lo, hi)
// whose input index falls inside the image (the others read padding).
struct Tap {
  int64_t start, lo, hi;
};

struct ConvGeometry {
  int64_t batch, channels, rows, cols, outChannels, fRows, fCols, outRows, outCols, padRows, padCols, strideRows, strideCols, dilRows, dilCols, colRows, colCols;
  int64_t parts;  // column matrices in the workspace
  bool flip, direct;
  std::vector<Tap> rowTaps, colTaps;  // by column-matrix tap index (flipped for a true convolution)

  explicit ConvGeometry(const Json& a) {
    auto n = [&](const char* k) { return static_cast<int64_t>(a[k].number()); };
    batch = n("batch"), channels = n("channels"), rows = n("rows"), cols = n("cols");
    outChannels = n("outChannels"), fRows = n("fRows"), fCols = n("fCols"), outRows = n("outRows"), outCols = n("outCols");
    padRows = n("padRows"), padCols = n("padCols"), strideRows = n("strideRows"), strideCols = n("strideCols");
    dilRows = n("dilRows"), dilCols = n("dilCols"), colRows = n("colRows"), colCols = n("colCols");
    flip = a["flip"].truthy(), direct = a["direct"].truthy();
    parts = n("parts");
  }
  int64_t image() const { return channels * rows * cols; }
  int64_t output() const { return outChannels * colCols; }

  // Once the numbers are checked: the loop bounds of every tap, so that the per-row loops of
  // im2col and col2im divide nothing.
  void prepareTaps() {
    auto taps = [&](int64_t k, int64_t dil, int64_t pad, int64_t stride, int64_t size, int64_t n) {
      std::vector<Tap> t(static_cast<size_t>(k));
      for (int64_t u = 0; u < k; u++) {
        const int64_t start = (flip ? k - 1 - u : u) * dil - pad;
        int64_t lo = start >= 0 ? 0 : (-start + stride - 1) / stride;
        const int64_t hi = start >= size ? 0 : std::min(n, (size - 1 - start) / stride + 1);
        t[static_cast<size_t>(u)] = {start, std::min(lo, hi), hi};
      }
      return t;
    };
    rowTaps = taps(fRows, dilRows, padRows, strideRows, rows, outRows);
    colTaps = taps(fCols, dilCols, padCols, strideCols, cols, outCols);
  }
};

// Calls row(k, channel, rowTap, colTap) for column-matrix rows [k0, k1).
template <class F>
void forEachColRow(const ConvGeometry& g, int64_t k0, int64_t k1, F&& row) {
  if (k0 >= k1) return;
  int64_t c = k0 / (g.fRows * g.fCols), u = (k0 / g.fCols) % g.fRows, v = k0 % g.fCols;
  for (int64_t k = k0; k < k1; k++) {
    row(k, c, g.rowTaps[static_cast<size_t>(u)], g.colTaps[static_cast<size_t>(v)]);
    if (++v == g.fCols) {
      v = 0;
      if (++u == g.fRows) u = 0, c++;
    }
  }
}

// dst[0 .. n) = src[0 .. n) (op: copy) or += it, for the short rows of an image (an output
// row): eight elements at a time with a fixed-size body, which the compiler turns into a few
// vector moves, where a plain loop spends more on its vector prologue than on the row.
template <bool Add, typename T>
inline void shortRow(T* __restrict dst, const T* __restrict src, int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
#pragma GCC unroll 8
    for (int q = 0; q < 8; q++) dst[j + q] = Add ? dst[j + q] + src[j + q] : src[j + q];
  }
  for (; j < n; j++) dst[j] = Add ? dst[j] + src[j] : src[j];
}

// Rows [k0, k1) of the column matrix of one image, written at their place in `cols`, whose
// rows are `ldc` apart (the images of a group lie side by side).
template <typename T>
void im2col(const ConvGeometry& g, const T* x, T* cols, int64_t k0, int64_t k1, int64_t ldc) {
  const int64_t N = g.colCols, plane = g.rows * g.cols;
  forEachColRow(g, k0, k1, [&](int64_t k, int64_t c, const Tap& tr, const Tap& tc) {
    T* out = cols + k * ldc;
    const int64_t r0 = tr.start, c0 = tc.start, ilo = tr.lo, ihi = tr.hi, jlo = tc.lo, jhi = tc.hi;
    if (ilo > 0) std::fill(out, out + ilo * g.outCols, T(0));
    if (g.strideCols == 1 && jlo == 0 && jhi == g.outCols) {
      // Every output column reads inside the image (no column padding): plain row copies.
      const int64_t OW = g.outCols, step = g.strideRows * g.cols;
      const T* src = x + c * plane + (r0 + ilo * g.strideRows) * g.cols + c0;
      T* dst = out + ilo * OW;
      for (int64_t i = ilo; i < ihi; i++, src += step, dst += OW) shortRow<false>(dst, src, OW);
      std::fill(out + ihi * OW, out + N, T(0));
      return;
    }
    for (int64_t i = ilo; i < ihi; i++) {
      const T* src = x + c * plane + (r0 + i * g.strideRows) * g.cols + c0;
      T* dst = out + i * g.outCols;
      std::fill(dst, dst + jlo, T(0));
      // Rows are short (an output row): shortRow, not memcpy's call per row.
      if (g.strideCols == 1)
        shortRow<false>(dst + jlo, src + jlo, jhi - jlo);
      else
        for (int64_t j = jlo; j < jhi; j++) dst[j] = src[j * g.strideCols];
      std::fill(dst + jhi, dst + g.outCols, T(0));
    }
    std::fill(out + ihi * g.outCols, out + N, T(0));
  });
}

// gx (one image) = the column matrix's entries added back where im2col read them.
template <typename T>
void col2im(const ConvGeometry& g, const T* cols, T* gx) {
  const int64_t N = g.colCols, plane = g.rows * g.cols;
  std::fill(gx, gx + g.image(), T(0));
  forEachColRow(g, 0, g.colRows, [&](int64_t k, int64_t c, const Tap& tr, const Tap& tc) {
    const int64_t r0 = tr.start, c0 = tc.start, ilo = tr.lo, ihi = tr.hi, jlo = tc.lo, jhi = tc.hi;
    if (g.strideCols == 1 && jlo == 0 && jhi == g.outCols) {
      // No column padding: whole rows added back, as in im2col.
      const int64_t OW = g.outCols, step = g.strideRows * g.cols;
      T* dst = gx + c * plane + (r0 + ilo * g.strideRows) * g.cols + c0;
      const T* src = cols + k * N + ilo * OW;
      for (int64_t i = ilo; i < ihi; i++, dst += step, src += OW) shortRow<true>(dst, src, OW);
      return;
    }
    for (int64_t i = ilo; i < ihi; i++) {
      T* dst = gx + c * plane + (r0 + i * g.strideRows) * g.cols + c0;
      const T* src = cols + k * N + i * g.outCols;
      for (int64_t j = jlo; j < jhi; j++) dst[j * g.strideCols] += src[j];
    }
  });
}

inline int ld(int64_t n) { return static_cast<int>(std::max<int64_t>(n, 1)); }

// item(part, i) for i in [0, count) on `parts` threads, items claimed one at a time: on a busy
// machine a part whose thread starts late leaves its share to the others instead of making the
// call wait for it.
template <class F>
void claimEach(int parts, int64_t count, F&& item) {
  std::atomic<int64_t> next{0};
  parallelRun(parts, [&](int p) {
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < count;) item(p, i);
  });
}

class ConvKernel : public Kernel {
 public:
  enum Role { Forward, GradInputs, GradWeights };

  ConvKernel(const KernelArgs& a, Role role) : g_(decisionOf(a, "conv2d")), role_(role), a_(a.in[0]), b_(a.in[1]), o_(a.out[0]), f32_(a.outTypes[0] == DType::F32) {
    for (size_t i = 0; i < 2; i++)
      if (a.inTypes[i] != a.outTypes[0] || (a.outTypes[0] != DType::F64 && a.outTypes[0] != DType::F32)) throw std::runtime_error("conv2d: operands must share one float dtype");
    // The plan's shapes must be those the geometry was derived from.
    const std::vector<int64_t> x = {g_.batch, g_.channels, g_.rows, g_.cols}, w = {g_.outChannels, g_.channels, g_.fRows, g_.fCols};
    const std::vector<int64_t> y = {g_.batch, g_.outChannels, g_.outRows, g_.outCols};
    const bool fits = role == Forward ? a.inShapes[0] == x && a.inShapes[1] == w && a.outShapes[0] == y
                    : role == GradInputs ? a.inShapes[0] == w && a.inShapes[1] == y && a.outShapes[0] == x
                                         : a.inShapes[0] == x && a.inShapes[1] == y && a.outShapes[0] == w;
    // Checked, not decided: an executor made from other attributes must fail here, not read out of bounds.
    const bool steps = g_.strideRows >= 1 && g_.strideCols >= 1 && g_.dilRows >= 1 && g_.dilCols >= 1 && g_.padRows >= 0 && g_.padCols >= 0 && g_.fRows >= 1 && g_.fCols >= 1;
    const bool sizes = steps && g_.outRows == (g_.rows + 2 * g_.padRows - (g_.fRows - 1) * g_.dilRows - 1) / g_.strideRows + 1 &&
                       g_.outCols == (g_.cols + 2 * g_.padCols - (g_.fCols - 1) * g_.dilCols - 1) / g_.strideCols + 1 && g_.outRows >= 1 && g_.outCols >= 1;
    const bool direct = !g_.direct || (g_.fRows == 1 && g_.fCols == 1 && g_.strideRows == 1 && g_.strideCols == 1 && g_.padRows == 0 && g_.padCols == 0);
    if (!fits || !sizes || !direct || g_.colRows != g_.channels * g_.fRows * g_.fCols || g_.colCols != g_.outRows * g_.outCols) throw std::runtime_error("conv2d: the geometry does not match the plan's shapes");
    g_.prepareTaps();
    // Forward and input gradient: one column matrix per part (the 1x1 shortcut needs none);
    // filter gradient: its groups' matrices and partial results (groupsOf).
    if (g_.parts < 1 || g_.parts > (1 << 20)) throw std::runtime_error("conv2d: the plan's number of column matrices is out of range");
    parts_ = static_cast<int>(g_.parts);
    if (role == GradWeights) {
      groupsOf(a);
      return;
    }
    if (!g_.direct) requireWorkspace(a, 0, a.outTypes[0], g_.parts * g_.colRows * g_.colCols, "conv2d");
    if (g_.direct) parts_ = 1 << 20;  // no workspace: as many parts as the pool will run
  }

  void run(Frame& f) override {
    if (f32_) run<float>(f);
    else run<double>(f);
  }

 private:
  // The filter gradient's groups and spans (lib/ops/conv.ts), and its workspace: per part a
  // group's column matrix and output gradients, then one partial result per span.
  void groupsOf(const KernelArgs& a) {
    const Json& d = decisionOf(a, "conv2d_grad_weights");
    group_ = static_cast<int64_t>(d["group"].number());
    spans_ = static_cast<int64_t>(d["spans"].number());
    const int64_t groups = group_ >= 1 ? (g_.batch + group_ - 1) / group_ : 0;
    if (group_ < 1 || group_ > std::max<int64_t>(1, g_.batch) || (g_.direct && group_ != 1) || spans_ < 1 || spans_ > std::max<int64_t>(1, groups) || g_.parts > spans_)
      throw std::runtime_error("conv2d_grad_weights: the plan's groups and spans are out of range");
    perPart_ = g_.direct ? 0 : (g_.colRows + g_.outChannels) * group_ * g_.colCols;
    requireWorkspace(a, 0, a.outTypes[0], std::max<int64_t>(1, g_.parts * perPart_ + spans_ * g_.outChannels * g_.colRows), "conv2d_grad_weights");
  }

  template <typename T>
  T* columns(int part) const {
    if (g_.direct) return nullptr;
    return work_ == nullptr ? nullptr : static_cast<T*>(work_) + static_cast<size_t>(part) * static_cast<size_t>(g_.colRows * g_.colCols);
  }

  template <typename T>
  void run(Frame& f) {
    work_ = g_.direct && role_ != GradWeights ? nullptr : f.workspace(0);
    const T* a = static_cast<const T*>(f.ptr[a_]);
    const T* b = static_cast<const T*>(f.ptr[b_]);
    T* out = static_cast<T*>(f.ptr[o_]);
    if (role_ == Forward) forward(a, b, out);
    else if (role_ == GradInputs) gradInputs(a, b, out);
    else gradWeights(a, b, out);
  }

  // Parts over the batch, at most one per workspace.
  int batchParts() const {
    const double work = static_cast<double>(g_.batch) * static_cast<double>(g_.output()) * static_cast<double>(g_.colRows);
    return static_cast<int>(std::min<int64_t>({parallelParts(work), g_.batch, parts_}));
  }

  template <typename T>
  void forward(const T* x, const T* w, T* y) {
    const int64_t O = g_.outChannels, K = g_.colRows, N = g_.colCols;
    if (g_.batch == 0 || O == 0) return;
    if (K == 0) return std::fill(y, y + g_.batch * g_.output(), T(0));
    claimEach(batchParts(), g_.batch, [&](int p, int64_t n) {
      T* cols = g_.direct ? nullptr : columns<T>(p);
      const T* xb = x + n * g_.image();
      if (!g_.direct) im2col(g_, xb, cols, 0, K, N);
      blas::gemmCall(CblasNoTrans, CblasNoTrans, static_cast<int>(O), static_cast<int>(N), static_cast<int>(K), 1.0, w, ld(K), g_.direct ? xb : cols, ld(N), 0.0, y + n * g_.output(), ld(N));
    });
  }

  template <typename T>
  void gradInputs(const T* w, const T* gy, T* gx) {
    const int64_t O = g_.outChannels, K = g_.colRows, N = g_.colCols;
    if (g_.batch == 0 || g_.image() == 0) return;
    if (O == 0) return std::fill(gx, gx + g_.batch * g_.image(), T(0));
    claimEach(batchParts(), g_.batch, [&](int p, int64_t n) {
      // Columns of the gradient, W^T gy, then each added back where it was read.
      T* cols = columns<T>(p);
      T* dst = g_.direct ? gx + n * g_.image() : cols;
      blas::gemmCall(CblasTrans, CblasNoTrans, static_cast<int>(K), static_cast<int>(N), static_cast<int>(O), 1.0, w, ld(K), gy + n * g_.output(), ld(N), 0.0, dst, ld(N));
      if (!g_.direct) col2im(g_, cols, gx + n * g_.image());
    });
  }

  // dW = sum over the batch of gy_b · columns_b^T: each span of groups summed into its partial
  // by whichever part claims it, one product per group, then the partials added in span order.
  template <typename T>
  void gradWeights(const T* x, const T* gy, T* gw) {
    const int64_t O = g_.outChannels, K = g_.colRows, N = g_.colCols, OK = O * K;
    if (O == 0 || K == 0) return;
    if (g_.batch == 0) return std::fill(gw, gw + OK, T(0));
    T* work = static_cast<T*>(work_);
    T* partials = work + g_.parts * perPart_;
    const int64_t groups = (g_.batch + group_ - 1) / group_, ldg = group_ * N;
    const double flops = static_cast<double>(g_.batch) * static_cast<double>(g_.output()) * static_cast<double>(K);
    const int parts = static_cast<int>(std::min<int64_t>(parallelParts(flops), g_.parts));
    claimEach(parts, spans_, [&](int p, int64_t s) {
      T* cols = work + p * perPart_;
      T* gyGroup = cols + K * ldg;
      T* partial = partials + s * OK;
      for (int64_t q = groups * s / spans_, end = groups * (s + 1) / spans_; q < end; q++) {
        const int64_t n0 = q * group_, count = std::min(group_, g_.batch - n0);
        const double beta = q == groups * s / spans_ ? 0.0 : 1.0;
        if (g_.direct) {  // group 1: the image is its own column matrix
          blas::gemmCall(CblasNoTrans, CblasTrans, static_cast<int>(O), static_cast<int>(K), static_cast<int>(N), 1.0, gy + n0 * g_.output(), ld(N), x + n0 * g_.image(), ld(N), beta, partial, ld(K));
          continue;
        }
        // The group's columns side by side, and its output gradients laid out to match.
        for (int64_t i = 0; i < count; i++) {
          im2col(g_, x + (n0 + i) * g_.image(), cols + i * N, 0, K, ldg);
          for (int64_t o = 0; o < O; o++) std::copy_n(gy + ((n0 + i) * O + o) * N, N, gyGroup + o * ldg + i * N);
        }
        blas::gemmCall(CblasNoTrans, CblasTrans, static_cast<int>(O), static_cast<int>(K), static_cast<int>(count * N), 1.0, gyGroup, ld(ldg), cols, ld(ldg), beta, partial, ld(K));
      }
    });
    for (int64_t i = 0; i < OK; i++) {
      double sum = 0;
      for (int64_t s = 0; s < spans_; s++) sum += static_cast<double>(partials[s * OK + i]);
      gw[i] = static_cast<T>(sum);
    }
  }

  ConvGeometry g_;
  Role role_;
  int a_, b_, o_;
  bool f32_;
  int parts_ = 1;
  int64_t group_ = 1, spans_ = 1, perPart_ = 0;  // the filter gradient's (groupsOf)
  void* work_ = nullptr;  // this call's workspace
};

}  // namespace

void registerConv() {
  registerKernel("conv2d", [](const KernelArgs& a) { return std::make_unique<ConvKernel>(a, ConvKernel::Forward); });
  registerKernel("conv2d_grad_inputs", [](const KernelArgs& a) { return std::make_unique<ConvKernel>(a, ConvKernel::GradInputs); });
  registerKernel("conv2d_grad_weights", [](const KernelArgs& a) { return std::make_unique<ConvKernel>(a, ConvKernel::GradWeights); });
}

}  // namespace theanode
