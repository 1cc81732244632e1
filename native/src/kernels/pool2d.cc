// The pool2d family: `pool2d`, `pool2d_max_grad`, `pool2d_max_grad_grad` and `pool2d_sum_grad`
// (lib/ops/pool.ts), over
// the last two axes of any number of planes, split over the planes by the addon's pool. The
// windows of each axis (input range and divisor) come from the plan as attributes: padding is
// never read, and the divisor already says whether it counts. The rows of float64 sums the
// parts need (sums, averages and their gradient) are the plan's workspace 0, one per part.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../pool.h"
#include "registry.h"

namespace theanode {
namespace {

struct PoolGeometry {
  int64_t planes, rows, cols, outRows, outCols;
  std::vector<int64_t> rowLo, rowHi, colLo, colHi;
  std::vector<double> rowDiv, colDiv;
  bool pairs;     // 2x2 windows tiling the plane exactly
  int64_t parts;  // rows of scratch in the workspace (at most this many parts run)

  explicit PoolGeometry(const Json& a) {
    auto n = [&](const char* k) { return static_cast<int64_t>(a[k].number()); };
    planes = n("planes"), rows = n("rows"), cols = n("cols"), outRows = n("outRows"), outCols = n("outCols"), parts = n("parts");
    if (parts < 1 || parts > 1024) throw std::runtime_error("pool2d: the plan's number of parts is out of range");
    auto list = [&](const char* k, size_t len, int64_t limit, auto& out) {
      const Json& v = a[k];
      if (v.size() != len) throw std::runtime_error(std::string("pool2d: attribute ") + k + " has the wrong length");
      for (size_t i = 0; i < len; i++) {
        double d = v[i].number();
        if (d < 0 || d > static_cast<double>(limit)) throw std::runtime_error(std::string("pool2d: attribute ") + k + " is out of range");
        out.push_back(static_cast<typename std::decay_t<decltype(out)>::value_type>(d));
      }
    };
    const double big = 1e18;
    list("rowLo", static_cast<size_t>(outRows), rows, rowLo), list("rowHi", static_cast<size_t>(outRows), rows, rowHi);
    list("colLo", static_cast<size_t>(outCols), cols, colLo), list("colHi", static_cast<size_t>(outCols), cols, colHi);
    list("rowDiv", static_cast<size_t>(outRows), static_cast<int64_t>(big), rowDiv), list("colDiv", static_cast<size_t>(outCols), static_cast<int64_t>(big), colDiv);
    // Every window holds at least one element of the image (the max kernel starts from its first).
    for (size_t i = 0; i < rowLo.size(); i++)
      if (rowLo[i] >= rowHi[i]) throw std::runtime_error("pool2d: an empty window in the plan");
    for (size_t j = 0; j < colLo.size(); j++)
      if (colLo[j] >= colHi[j]) throw std::runtime_error("pool2d: an empty window in the plan");
    // The fast path's claim is checked against the windows it replaces.
    pairs = a["pairs"].truthy();
    auto tiles = [](const std::vector<int64_t>& lo, const std::vector<int64_t>& hi, int64_t size) {
      bool ok = static_cast<int64_t>(lo.size()) * 2 == size;
      for (size_t i = 0; ok && i < lo.size(); i++) ok = lo[i] == static_cast<int64_t>(2 * i) && hi[i] == lo[i] + 2;
      return ok;
    };
    if (pairs && !(tiles(rowLo, rowHi, rows) && tiles(colLo, colHi, cols))) throw std::runtime_error("pool2d: the plan's 2x2 tiling does not match its windows");
  }
  int64_t plane() const { return rows * cols; }
  int64_t outPlane() const { return outRows * outCols; }
};

// c ? v : 0 by masking v's bits: which inputs hit the maximum is data, so a branch mispredicts.
template <typename T>
inline T keepIf(bool c, T v) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  Bits b;
  std::memcpy(&b, &v, sizeof b);
  b &= static_cast<Bits>(0) - static_cast<Bits>(c);
  std::memcpy(&v, &b, sizeof b);
  return v;
}

class PoolKernel : public Kernel {
 public:
  enum Role { Forward, MaxGrad, MaxGradGrad, SumGrad };

  PoolKernel(const KernelArgs& a, Role role) : g_(decisionOf(a, "pool2d")), role_(role), max_(a.attrs["mode"].str == "max"), out_(a.out[0]), f32_(a.outTypes[0] == DType::F32) {
    for (int b : a.in) in_.push_back(b);
    const size_t floats = role == SumGrad ? 1 : a.in.size();
    for (size_t i = 0; i < floats; i++)
      if (a.inTypes[i] != a.outTypes[0] || (a.outTypes[0] != DType::F64 && a.outTypes[0] != DType::F32)) throw std::runtime_error("pool2d: operands must share one float dtype");
    const auto& x = role == SumGrad ? a.outShapes[0] : a.inShapes[0];
    if (x.size() < 2 || sizeOf(x) != g_.planes * g_.plane() || x[x.size() - 2] != g_.rows || x.back() != g_.cols) throw std::runtime_error("pool2d: the geometry does not match the plan's shapes");
    const auto& y = role == Forward || role == MaxGradGrad ? a.outShapes[0] : a.inShapes[role == MaxGrad ? 2 : 0];
    if (role == MaxGradGrad && (sizeOf(a.inShapes[1]) != sizeOf(y) || sizeOf(a.inShapes[2]) != sizeOf(x))) throw std::runtime_error("pool2d: operands do not match the geometry");
    if (sizeOf(y) != g_.planes * g_.outPlane()) throw std::runtime_error("pool2d: the output gradient does not match the geometry");
    // One row of sums (or of gradient shares) per part, in the plan's arena.
    usesRows_ = role == SumGrad || (role == Forward && !max_);
    if (usesRows_) requireWorkspace(a, 0, DType::F64, g_.parts * rowLength(), "pool2d");
  }

  void run(Frame& f) override {
    if (f32_) run<float>(f);
    else run<double>(f);
  }

 private:
  template <typename T>
  void run(Frame& f) {
    const double work = static_cast<double>(g_.planes) * static_cast<double>(g_.plane() + g_.outPlane());
    const int parts = static_cast<int>(std::min<int64_t>({parallelParts(work), g_.planes, g_.parts}));
    double* rows = usesRows_ ? static_cast<double*>(f.workspace(0)) : nullptr;
    T* out = static_cast<T*>(f.ptr[out_]);
    const T* in0 = static_cast<const T*>(f.ptr[in_[0]]);
    const T* in1 = in_.size() > 2 ? static_cast<const T*>(f.ptr[in_[1]]) : nullptr;
    const T* in2 = in_.size() > 2 ? static_cast<const T*>(f.ptr[in_[2]]) : nullptr;
    // Planes in small runs claimed one at a time: a part whose thread starts late on a busy
    // machine leaves its share to the others.
    const int64_t run = std::max<int64_t>(1, g_.planes / (8 * std::max(parts, 1)));
    std::atomic<int64_t> next{0};
    parallelRun(std::max(parts, 1), [&](int p) {
      double* row = rows ? rows + static_cast<size_t>(p) * static_cast<size_t>(rowLength()) : nullptr;
      for (int64_t lo; (lo = next.fetch_add(run, std::memory_order_relaxed)) < g_.planes;) {
        for (int64_t k = lo, hi = std::min(lo + run, g_.planes); k < hi; k++) {
          if (role_ == Forward) pool(in0 + k * g_.plane(), out + k * g_.outPlane(), row);
          else if (role_ == MaxGrad) maxGrad(in0 + k * g_.plane(), in1 + k * g_.outPlane(), in2 + k * g_.outPlane(), out + k * g_.plane());
          else if (role_ == MaxGradGrad) maxGradGrad(in0 + k * g_.plane(), in1 + k * g_.outPlane(), in2 + k * g_.plane(), out + k * g_.outPlane());
          else sumGrad(in0 + k * g_.outPlane(), out + k * g_.plane(), row);
        }
      }
    });
  }

  // Loops run window row by input row (i, r, j, c), so each input row is read once per window
  // row and the innermost loop is a short run of contiguous elements; per element, windows
  // still contribute in (i, j) order, as in the TypeScript kernel.
  template <typename T>
  void pool(const T* x, T* y, double* acc) const {
    const int64_t OW = g_.outCols, W = g_.cols;
    if (max_ && g_.pairs) {
      // The general loop's order (first element, then each greater one) on two rows of pairs.
      for (int64_t i = 0; i < g_.outRows; i++) {
        const T* x0 = x + 2 * i * W;
        const T* x1 = x0 + W;
        T* yr = y + i * OW;
        for (int64_t j = 0; j < OW; j++) {
          T m = x0[2 * j];
          m = x0[2 * j + 1] > m ? x0[2 * j + 1] : m;
          m = x1[2 * j] > m ? x1[2 * j] : m;
          yr[j] = x1[2 * j + 1] > m ? x1[2 * j + 1] : m;
        }
      }
      return;
    }
    const int64_t* colLo = g_.colLo.data();
    const int64_t* colHi = g_.colHi.data();
    for (int64_t i = 0; i < g_.outRows; i++) {
      T* yr = y + i * OW;
      const int64_t r0 = g_.rowLo[i], r1 = g_.rowHi[i];
      // max: the first element starts the running maximum (a NaN elsewhere is skipped, as in Theano).
      if (max_)
        for (int64_t j = 0; j < OW; j++) yr[j] = x[r0 * W + colLo[j]];
      else
        std::fill(acc, acc + OW, 0.0);
      for (int64_t r = r0; r < r1; r++) {
        const T* xr = x + r * W;
        if (max_) {
          for (int64_t j = 0; j < OW; j++) {
            T m = yr[j];
            for (int64_t c = colLo[j]; c < colHi[j]; c++) m = xr[c] > m ? xr[c] : m;
            yr[j] = m;
          }
        } else {
          for (int64_t j = 0; j < OW; j++) {
            double s = acc[j];
            for (int64_t c = colLo[j]; c < colHi[j]; c++) s += xr[c];
            acc[j] = s;
          }
        }
      }
      if (!max_)
        for (int64_t j = 0; j < OW; j++) yr[j] = static_cast<T>(acc[j] / (g_.rowDiv[i] * g_.colDiv[j]));
    }
  }

  // Every input equal to its window's maximum receives the window's whole gradient.
  template <typename T>
  void maxGrad(const T* x, const T* z, const T* gz, T* gx) const {
    const int64_t OW = g_.outCols, W = g_.cols;
    const int64_t* colLo = g_.colLo.data();
    const int64_t* colHi = g_.colHi.data();
    if (g_.pairs) {
      // Each input lies in one window: written once, no zero fill first (0 + share, as below).
      for (int64_t i = 0; i < g_.outRows; i++) {
        const T* zr = z + i * OW;
        const T* gr = gz + i * OW;
        for (int64_t r = 2 * i; r < 2 * i + 2; r++) {
          const T* xr = x + r * W;
          T* gxr = gx + r * W;
          for (int64_t j = 0; j < OW; j++) {
            const T m = zr[j], gv = gr[j];
            gxr[2 * j] = T(0) + keepIf(xr[2 * j] == m, gv);
            gxr[2 * j + 1] = T(0) + keepIf(xr[2 * j + 1] == m, gv);
          }
        }
      }
      return;
    }
    std::fill(gx, gx + g_.plane(), T(0));
    for (int64_t i = 0; i < g_.outRows; i++) {
      const T* zr = z + i * OW;
      const T* gr = gz + i * OW;
      for (int64_t r = g_.rowLo[i]; r < g_.rowHi[i]; r++) {
        const T* xr = x + r * W;
        T* gxr = gx + r * W;
        for (int64_t j = 0; j < OW; j++) {
          const T m = zr[j], gv = gr[j];
          // A select, not a branch: which inputs hit the maximum is data, and mispredicts cost most here.
          for (int64_t c = colLo[j]; c < colHi[j]; c++) gxr[c] += xr[c] == m ? gv : T(0);
        }
      }
    }
  }

  // Each window sums the values at its maximal inputs (the adjoint of maxGrad).
  template <typename T>
  void maxGradGrad(const T* x, const T* z, const T* gg, T* out) const {
    for (int64_t i = 0; i < g_.outRows; i++) {
      for (int64_t j = 0; j < g_.outCols; j++) {
        const T m = z[i * g_.outCols + j];
        double s = 0;
        for (int64_t r = g_.rowLo[i]; r < g_.rowHi[i]; r++)
          for (int64_t c = g_.colLo[j]; c < g_.colHi[j]; c++) s += x[r * g_.cols + c] == m ? static_cast<double>(gg[r * g_.cols + c]) : 0.0;
        out[i * g_.outCols + j] = static_cast<T>(s);
      }
    }
  }

  template <typename T>
  void sumGrad(const T* gz, T* gx, double* share) const {
    const int64_t OW = g_.outCols, W = g_.cols;
    const int64_t* colLo = g_.colLo.data();
    const int64_t* colHi = g_.colHi.data();
    std::fill(gx, gx + g_.plane(), T(0));
    for (int64_t i = 0; i < g_.outRows; i++) {
      for (int64_t j = 0; j < OW; j++) share[j] = gz[i * OW + j] / (g_.rowDiv[i] * g_.colDiv[j]);
      for (int64_t r = g_.rowLo[i]; r < g_.rowHi[i]; r++) {
        T* gxr = gx + r * W;
        for (int64_t j = 0; j < OW; j++) {
          const T v = static_cast<T>(share[j]);
          for (int64_t c = colLo[j]; c < colHi[j]; c++) gxr[c] += v;
        }
      }
    }
  }

  int64_t rowLength() const { return std::max<int64_t>(g_.outCols, 1); }

  PoolGeometry g_;
  Role role_;
  bool max_;
  std::vector<int> in_;
  int out_;
  bool f32_;
  bool usesRows_ = false;
};

}  // namespace

void registerPool2d() {
  registerKernel("pool2d", [](const KernelArgs& a) { return std::make_unique<PoolKernel>(a, PoolKernel::Forward); });
  registerKernel("pool2d_max_grad", [](const KernelArgs& a) { return std::make_unique<PoolKernel>(a, PoolKernel::MaxGrad); });
  registerKernel("pool2d_max_grad_grad", [](const KernelArgs& a) { return std::make_unique<PoolKernel>(a, PoolKernel::MaxGradGrad); });
  registerKernel("pool2d_sum_grad", [](const KernelArgs& a) { return std::make_unique<PoolKernel>(a, PoolKernel::SumGrad); });
}

}  // namespace theanode
