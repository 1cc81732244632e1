// `reduce` (sum mean prod max min all any over axes), `argreduce` and `size_of`, as in
// lib/ops/reduce.ts: double accumulation, numpy's NaN rules for max/min.
//
// Reductions over one contiguous block of axes (the last axes, the leading ones, all, or a middle
// block) view x as [outer][red][inner] and take one of two loops, each in an order fixed by the
// shape alone, so the result is the same bits on any thread count and any vector width:
//  - inner == 1 (row reductions): each run of `red` contiguous elements is cut into blocks of
//    kBlock; a block is reduced into kLanes independent accumulators (element j into lane j %
//    kLanes), so the adds do not wait on each other and vectorise, and the lanes are folded
//    pairwise (lane i with lane i + 8, then + 4, + 2, + 1). A row's blocks are folded in order.
//    The lanes change the order of the additions from the js kernel's one-by-one sum, which the
//    backends' agreement (allclose) allows; pairwise folding keeps the error as small or smaller.
//  - inner > 1 (column reductions): the rows of [red][inner] are folded in order into one
//    accumulator per column, which vectorises across the columns.
// Other sets of axes whose last reduced axes are x's last ones, at least kLanes long, reduce each
// such run as a row, the runs folded in C order. The rest take the generic loop: each output in
// C order over the reduced offsets.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../cpu.h"
#include "../pool.h"
#include "registry.h"

namespace theanode {
namespace {

enum Kind { Sum, Mean, Prod, Max, Min, All, Any };

// Lanes of a block's partial result (a fixed count, whatever the vector width: the same bits on
// every build), and elements per block (the unit of work a thread takes within one long row).
constexpr int kLanes = 16;
constexpr int64_t kBlock = 8192;
// Columns per unit of work of a column reduction (shorter runs of a row read slower).
constexpr int64_t kCols = 1024;

template <Kind K>
constexpr double identityOf() {
  return K == Sum || K == Mean || K == Any ? 0.0 : K == Prod || K == All ? 1.0 : K == Max ? -HUGE_VAL : HUGE_VAL;
}

// One step of the reduction: `a` the accumulator, `v` the next value, scalars or lane vectors.
// Max and min let a NaN win and keep it (no comparison with a NaN is true), as numpy; written as
// selects so they vectorise.
template <Kind K, typename A>
__attribute__((always_inline)) inline void step(A& a, const A& v) {
  if constexpr (K == Sum || K == Mean) a = a + v;
  else if constexpr (K == Prod) a = a * v;
  else if constexpr (K == Max || K == Min) {
    if constexpr (std::is_arithmetic<A>::value) {
      a = ((K == Max ? v > a : v < a) | (v != v)) ? v : a;
    } else {
      // Lanes: a blend by the comparison's mask (GCC scalarises `?:` on AVX-512 vectors).
      using M = decltype(v > a);
      const M m = (K == Max ? v > a : v < a) | (v != v);
      a = (A)(((M)v & m) | ((M)a & ~m));  // vector casts reinterpret the bits
    }
  }
  else if constexpr (K == All) a = (a != 0) & (v != 0) ? A(1) : A(0);
  else a = (a != 0) | (v != 0) ? A(1) : A(0);
}

// Vectors of `Bytes` bytes (the target's register width: 16 or 32) of A, and of as many
// elements of T as stored (unaligned). Lane i of the reduction is element i % L of vector i / L
// (L lanes a vector), whatever the width: the same lanes, so the same bits, on every build.
template <typename A, int N>
struct VecOf {
  typedef A type __attribute__((vector_size(N * sizeof(A))));
  typedef A raw __attribute__((vector_size(N * sizeof(A)), aligned(alignof(A))));
};

// Max and min compare in the input's own float type (exact, and twice the lanes per register for
// float32); everything else accumulates in double.
template <Kind K, typename T>
using LaneOf = std::conditional_t<(K == Max || K == Min) && std::is_floating_point<T>::value, T, double>;

// x[0 .. n) reduced as the file's comment says: element j into lane j % kLanes, the lanes folded
// pairwise. Runs shorter than kLanes are folded in order (lanes would hold one element each).
template <Kind K, typename T, int Bytes>
__attribute__((always_inline)) inline double reduceRun(const T* __restrict x, int64_t n) {
  using A = LaneOf<K, T>;
  const A id = static_cast<A>(identityOf<K>());
  if constexpr (K == All || K == Any) {
    // Booleans: no order to keep; stop at the first element that decides.
    for (int64_t j = 0; j < n; j++)
      if ((x[j] != 0) == (K == Any)) return K == Any ? 1.0 : 0.0;
    return identityOf<K>();
  } else {
    int64_t j = 0;
    if (n < kLanes) {
      A a = id;
      for (; j < n; j++) step<K, A>(a, static_cast<A>(x[j]));
      return static_cast<double>(a);
    }
    constexpr int L = Bytes / sizeof(A) < kLanes ? Bytes / sizeof(A) : kLanes;
    constexpr int M = kLanes / L;
    using V = typename VecOf<A, L>::type;
    using R = typename VecOf<T, L>::raw;
    V lane[M];
    for (int m = 0; m < M; m++)
      for (int i = 0; i < L; i++) lane[m][i] = id;
    for (; j + kLanes <= n; j += kLanes)
      for (int m = 0; m < M; m++) {
        R raw;
        std::memcpy(&raw, x + j + m * L, sizeof raw);
        step<K, V>(lane[m], __builtin_convertvector(raw, V));
      }
    A t[kLanes];
    for (int m = 0; m < M; m++)
      for (int i = 0; i < L; i++) t[m * L + i] = lane[m][i];
    for (int i = 0; j < n; i++, j++) step<K, A>(t[i], static_cast<A>(x[j]));
    for (int w = kLanes / 2; w > 0; w /= 2)
      for (int i = 0; i < w; i++) step<K, A>(t[i], t[i + w]);
    return static_cast<double>(t[0]);
  }
}

// x viewed as [outer][red][inner].
struct Layout {
  int64_t outer = 1, red = 1, inner = 1;
};

// One job of a structured reduction: row reductions write one partial per (output, block) into
// acc (blocks per output: `blocks`); column reductions one value per output.
struct Job {
  const void* x;
  double* acc;
  Layout l;
  int64_t blocks, colUnits;
  // Runs (other sets of axes whose last reduced axis is long): each output folds, in C order,
  // `runs` runs of l.red / runs contiguous elements, each reduced as a row; null otherwise.
  const int64_t *runBases = nullptr, *runOffsets = nullptr;
  int64_t runs = 0;
  int64_t units() const { return l.inner == 1 ? l.outer * blocks : l.outer * colUnits; }
};

template <Kind K, typename T, int Bytes>
__attribute__((always_inline)) inline void unitsImpl(const Job& job, int64_t u0, int64_t u1) {
  const T* x = static_cast<const T*>(job.x);
  const Layout& l = job.l;
  if (job.runBases) {
    const int64_t len = job.runs ? l.red / job.runs : 0;
    for (int64_t u = u0; u < u1; u++) {
      double a = identityOf<K>();
      const T* b = x + job.runBases[u];
      for (int64_t r = 0; r < job.runs; r++)
        for (int64_t s = 0; s < len; s += kBlock) step<K, double>(a, reduceRun<K, T, Bytes>(b + job.runOffsets[r] + s, std::min(kBlock, len - s)));
      job.acc[u] = a;
    }
    return;
  }
  if (l.inner == 1) {
    if (job.blocks == 1) {  // short rows, many of them: no division per row
      for (int64_t u = u0; u < u1; u++) job.acc[u] = reduceRun<K, T, Bytes>(x + u * l.red, l.red);
      return;
    }
    for (int64_t u = u0; u < u1; u++) {
      const int64_t o = u / job.blocks, s = (u % job.blocks) * kBlock;
      job.acc[u] = reduceRun<K, T, Bytes>(x + o * l.red + s, std::min(kBlock, l.red - s));
    }
    return;
  }
  for (int64_t u = u0; u < u1; u++) {
    const int64_t o = u / job.colUnits, c0 = (u % job.colUnits) * kCols, n = std::min(kCols, l.inner - c0);
    double* __restrict a = job.acc + o * l.inner + c0;
    for (int64_t k = 0; k < n; k++) a[k] = identityOf<K>();
    const T* base = x + o * l.red * l.inner + c0;
    // Four rows a pass, each column still in row order: a quarter of the accumulator traffic.
    int64_t r = 0;
    for (; r + 4 <= l.red; r += 4) {
      const T* __restrict r0 = base + r * l.inner;
      const T* __restrict r1 = r0 + l.inner;
      const T* __restrict r2 = r1 + l.inner;
      const T* __restrict r3 = r2 + l.inner;
      for (int64_t k = 0; k < n; k++) {
        double v = a[k];
        step<K, double>(v, static_cast<double>(r0[k]));
        step<K, double>(v, static_cast<double>(r1[k]));
        step<K, double>(v, static_cast<double>(r2[k]));
        step<K, double>(v, static_cast<double>(r3[k]));
        a[k] = v;
      }
    }
    for (; r < l.red; r++) {
      const T* __restrict row = base + r * l.inner;
      for (int64_t k = 0; k < n; k++) step<K, double>(a[k], static_cast<double>(row[k]));
    }
  }
}

using UnitsFn = void (*)(const Job&, int64_t, int64_t);

template <Kind K, typename T>
void unitsBase(const Job& j, int64_t u0, int64_t u1) { unitsImpl<K, T, 16>(j, u0, u1); }
#ifdef THEANODE_HAS_CLONES
template <Kind K, typename T>
THEANODE_TARGET_AVX2 void unitsAvx2(const Job& j, int64_t u0, int64_t u1) { unitsImpl<K, T, 32>(j, u0, u1); }
// 32-byte lane vectors here too: GCC 12 turns comparisons of 64-byte vectors into scalar code.
template <Kind K, typename T>
THEANODE_TARGET_AVX512 void unitsAvx512(const Job& j, int64_t u0, int64_t u1) { unitsImpl<K, T, 32>(j, u0, u1); }
#endif

// The build for this CPU (the lanes are the same on all of them, so are the results).
template <Kind K, typename T>
UnitsFn unitsFor() {
#ifdef THEANODE_HAS_CLONES
  if constexpr (std::is_floating_point<T>::value && K != All && K != Any) {
    switch (simdLevel()) {
      case SimdLevel::Avx512: return unitsAvx512<K, T>;
      case SimdLevel::Avx2: return unitsAvx2<K, T>;
      case SimdLevel::Base: break;
    }
  }
#endif
  return unitsBase<K, T>;
}

template <typename T>
UnitsFn unitsFor(Kind k) {
  switch (k) {
    case Sum: return unitsFor<Sum, T>();
    case Mean: return unitsFor<Mean, T>();
    case Prod: return unitsFor<Prod, T>();
    case Max: return unitsFor<Max, T>();
    case Min: return unitsFor<Min, T>();
    case All: return unitsFor<All, T>();
    case Any: return unitsFor<Any, T>();
  }
  return nullptr;
}

UnitsFn unitsFor(Kind k, DType d) {
  switch (d) {
    case DType::F64: return unitsFor<double>(k);
    case DType::F32: return unitsFor<float>(k);
    case DType::I32: return unitsFor<int32_t>(k);
    case DType::BOOL: return unitsFor<uint8_t>(k);
  }
  return nullptr;
}

// Partial results of one output's blocks, folded in block order.
double foldBlocks(Kind k, const double* p, int64_t n) {
  double a = p[0];
  for (int64_t b = 1; b < n; b++) {
    switch (k) {
      case Sum: case Mean: step<Sum, double>(a, p[b]); break;
      case Prod: step<Prod, double>(a, p[b]); break;
      case Max: step<Max, double>(a, p[b]); break;
      case Min: step<Min, double>(a, p[b]); break;
      case All: step<All, double>(a, p[b]); break;
      case Any: step<Any, double>(a, p[b]); break;
    }
  }
  return a;
}

// x's axes as (extent, reduced) groups: length-1 axes dropped, neighbours of a kind merged.
std::vector<std::pair<int64_t, bool>> groupsOf(const std::vector<int64_t>& shape, const std::vector<int>& axes) {
  std::vector<std::pair<int64_t, bool>> groups;
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] == 1) continue;
    const bool red = std::find(axes.begin(), axes.end(), static_cast<int>(i)) != axes.end();
    if (!groups.empty() && groups.back().second == red) groups.back().first *= shape[i];
    else groups.emplace_back(shape[i], red);
  }
  return groups;
}

// The [outer][red][inner] view of x when the reduced axes form one block once length-1 axes are
// dropped (they change neither the offsets nor the order), or false.
bool layoutOf(const std::vector<int64_t>& shape, const std::vector<int>& axes, Layout& out) {
  const auto groups = groupsOf(shape, axes);
  size_t r = 0;
  while (r < groups.size() && !groups[r].second) r++;
  Layout l;
  if (r == groups.size()) {  // nothing (of length > 1) reduced: each output is one element
    for (auto& g : groups) l.inner *= g.first;
    out = l;
    return true;
  }
  if (groups.size() > r + 2 || r > 1) return false;
  if (r == 1) l.outer = groups[0].first;
  l.red = groups[r].first;
  if (groups.size() == r + 2) l.inner = groups[r + 1].first;
  out = l;
  return true;
}

// Split x's index space into kept axes (one output each) and reduced axes.
struct Split {
  std::vector<int64_t> bases, offsets;
  Split() = default;
  Split(const std::vector<int64_t>& s, const std::vector<int>& axes) {
    auto st = stridesOf(s);
    std::vector<int64_t> ks, kst, rs, rst;
    for (size_t i = 0; i < s.size(); i++) {
      bool red = false;
      for (int a : axes) red |= a == static_cast<int>(i);
      (red ? rs : ks).push_back(s[i]);
      (red ? rst : kst).push_back(st[i]);
    }
    bases = offsetsOf(ks, kst);
    offsets = offsetsOf(rs, rst);
  }
};

std::vector<int> axesOf(const Json& j, size_t ndim) {
  std::vector<int> axes;
  for (size_t i = 0; i < j.size(); i++) {
    int a = static_cast<int>(j[i].number());
    if (a < 0 || a >= static_cast<int>(ndim)) throw std::runtime_error("reduce: axis out of range");
    axes.push_back(a);
  }
  return axes;
}

class Reduce : public Kernel {
 public:
  explicit Reduce(const KernelArgs& a) : x_(a.in[0]), o_(a.out[0]), xt_(a.inTypes[0]), ot_(a.outTypes[0]) {
    const std::string& op = a.attrs["op"].str;
    if (op == "sum") kind_ = Sum;
    else if (op == "mean") kind_ = Mean;
    else if (op == "prod") kind_ = Prod;
    else if (op == "max") kind_ = Max;
    else if (op == "min") kind_ = Min;
    else if (op == "all") kind_ = All;
    else if (op == "any") kind_ = Any;
    else throw std::runtime_error("reduce: unknown op " + op);
    const auto& shape = a.inShapes[0];
    const auto axes = axesOf(a.attrs["axes"], shape.size());
    int64_t outputs = 1, reduced = 1;
    for (size_t i = 0; i < shape.size(); i++) (std::find(axes.begin(), axes.end(), static_cast<int>(i)) != axes.end() ? reduced : outputs) *= shape[i];
    if ((kind_ == Max || kind_ == Min) && reduced == 0 && outputs > 0)
      throw std::runtime_error("reduce: zero-size array to reduction operation " + op + ", which has no identity");
    Layout l;
    const bool runs = !layoutOf(shape, axes, l);
    if (runs && !runsOf(shape, axes, l)) {
      split_ = Split(shape, axes);
      return;
    }
    units_ = unitsFor(kind_, xt_);
    job_.l = l;
    job_.blocks = l.inner == 1 ? std::max<int64_t>(1, (l.red + kBlock - 1) / kBlock) : 0;
    job_.colUnits = l.inner == 1 ? 0 : (l.inner + kCols - 1) / kCols;
    if (runs) {
      job_.blocks = 1;
      job_.runBases = runBases_.data();
      job_.runOffsets = runOffsets_.data();
      job_.runs = static_cast<int64_t>(runOffsets_.size());
    }
    acc_.resize(static_cast<size_t>(l.inner == 1 ? l.outer * job_.blocks : l.outer * l.inner));
  }
  void run(Frame& f) override {
    if (units_) return runStructured(f);
    const void* x = f.ptr[x_];
    const auto& off = split_.offsets;
    const int64_t n = static_cast<int64_t>(off.size());
    for (size_t k = 0; k < split_.bases.size(); k++) {
      const int64_t b = split_.bases[k];
      double acc;
      switch (kind_) {
        case Sum: case Mean: acc = 0; for (int64_t j = 0; j < n; j++) acc += load(xt_, x, b + off[j]); if (kind_ == Mean) acc /= static_cast<double>(n); break;
        case Prod: acc = 1; for (int64_t j = 0; j < n; j++) acc *= load(xt_, x, b + off[j]); break;
        case Max: acc = -HUGE_VAL; for (int64_t j = 0; j < n; j++) { double v = load(xt_, x, b + off[j]); if (v > acc || v != v) acc = v; if (acc != acc) break; } break;
        case Min: acc = HUGE_VAL; for (int64_t j = 0; j < n; j++) { double v = load(xt_, x, b + off[j]); if (v < acc || v != v) acc = v; if (acc != acc) break; } break;
        case All: acc = 1; for (int64_t j = 0; j < n && acc; j++) acc = load(xt_, x, b + off[j]) != 0 ? 1 : 0; break;
        case Any: acc = 0; for (int64_t j = 0; j < n && !acc; j++) acc = load(xt_, x, b + off[j]) != 0 ? 1 : 0; break;
      }
      store(ot_, f.ptr[o_], static_cast<int64_t>(k), acc);
    }
  }

 private:
  void runStructured(Frame& f) {
    job_.x = f.ptr[x_];
    job_.acc = acc_.data();
    const Layout& l = job_.l;
    // Units are cut by the shape alone, so any split of them over threads gives the same bits.
    const int64_t units = job_.units();
    const double work = static_cast<double>(l.outer) * static_cast<double>(l.red) * static_cast<double>(l.inner);
    const int parts = static_cast<int>(std::min<int64_t>(parallelParts(work), units));
    if (parts <= 1) {
      units_(job_, 0, units);
    } else {
      parallelRun(parts, [&](int p) { units_(job_, units * p / parts, units * (p + 1) / parts); });
    }
    void* o = f.ptr[o_];
    const double scale = kind_ == Mean ? static_cast<double>(l.red) : 1.0;
    if (l.inner == 1) {
      for (int64_t k = 0; k < l.outer; k++) {
        const double v = job_.blocks == 1 ? acc_[static_cast<size_t>(k)] : foldBlocks(kind_, acc_.data() + k * job_.blocks, job_.blocks);
        store(ot_, o, k, kind_ == Mean ? v / scale : v);
      }
    } else {
      const int64_t n = l.outer * l.inner;
      for (int64_t k = 0; k < n; k++) store(ot_, o, k, kind_ == Mean ? acc_[static_cast<size_t>(k)] / scale : acc_[static_cast<size_t>(k)]);
    }
  }

  // Other sets of axes whose last reduced group (after groupsOf) is last in x and at least
  // kLanes long: runs of it, one row reduction each (see Job). Sets l to [outputs][all reduced].
  bool runsOf(const std::vector<int64_t>& shape, const std::vector<int>& axes, Layout& l) {
    auto groups = groupsOf(shape, axes);
    if (groups.empty() || !groups.back().second || groups.back().first < kLanes) return false;
    const int64_t len = groups.back().first;
    groups.pop_back();
    std::vector<int64_t> s;
    std::vector<int> red;
    for (size_t i = 0; i < groups.size(); i++) {
      s.push_back(groups[i].first);
      if (groups[i].second) red.push_back(static_cast<int>(i));
    }
    Split runs(s, red);  // in units of one run
    for (auto& b : runs.bases) runBases_.push_back(b * len);
    for (auto& o : runs.offsets) runOffsets_.push_back(o * len);
    l.outer = static_cast<int64_t>(runBases_.size());
    l.red = static_cast<int64_t>(runOffsets_.size()) * len;
    l.inner = 1;
    return true;
  }

  int x_, o_;
  DType xt_, ot_;
  Split split_;
  Kind kind_;
  std::vector<int64_t> runBases_, runOffsets_;
  // Reductions over one block of axes (see the top of the file); null for the generic loop.
  UnitsFn units_ = nullptr;
  Job job_{};
  std::vector<double> acc_;
};

class ArgReduce : public Kernel {
 public:
  explicit ArgReduce(const KernelArgs& a)
      : x_(a.in[0]), o_(a.out[0]), xt_(a.inTypes[0]), ot_(a.outTypes[0]), max_(a.attrs["op"].str == "argmax"),
        split_(a.inShapes[0], a.attrs["axis"].isNull() ? allAxes(a.inShapes[0].size()) : axesOf(Json::parse("[" + std::to_string(static_cast<int>(a.attrs["axis"].number())) + "]"), a.inShapes[0].size())) {
    if (split_.offsets.empty() && !split_.bases.empty()) throw std::runtime_error("argreduce: attempt to get the argmax/argmin of an empty sequence");
  }
  void run(Frame& f) override {
    const void* x = f.ptr[x_];
    const auto& off = split_.offsets;
    for (size_t k = 0; k < split_.bases.size(); k++) {
      const int64_t b = split_.bases[k];
      double best = load(xt_, x, b);
      int64_t arg = 0;
      if (best == best) {
        for (size_t j = 1; j < off.size(); j++) {
          double v = load(xt_, x, b + off[j]);
          if (v != v) { arg = static_cast<int64_t>(j); break; }
          if (max_ ? v > best : v < best) { best = v; arg = static_cast<int64_t>(j); }
        }
      }
      store(ot_, f.ptr[o_], static_cast<int64_t>(k), static_cast<double>(arg));
    }
  }

 private:
  static std::vector<int> allAxes(size_t n) {
    std::vector<int> v;
    for (size_t i = 0; i < n; i++) v.push_back(static_cast<int>(i));
    return v;
  }
  int x_, o_;
  DType xt_, ot_;
  bool max_;
  Split split_;
};

class SizeOf : public Kernel {
 public:
  explicit SizeOf(const KernelArgs& a) : o_(a.out[0]), ot_(a.outTypes[0]) {
    for (int ax : axesOf(a.attrs["axes"], a.inShapes[0].size())) n_ *= static_cast<double>(a.inShapes[0][ax]);
  }
  void run(Frame& f) override { store(ot_, f.ptr[o_], 0, n_); }

 private:
  int o_;
  DType ot_;
  double n_ = 1;
};

}  // namespace

void registerReduce() {
  registerKernel("reduce", [](const KernelArgs& a) { return std::make_unique<Reduce>(a); });
  registerKernel("argreduce", [](const KernelArgs& a) { return std::make_unique<ArgReduce>(a); });
  registerKernel("size_of", [](const KernelArgs& a) { return std::make_unique<SizeOf>(a); });
}

}  // namespace theanode
