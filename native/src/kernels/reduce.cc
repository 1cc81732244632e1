// `reduce` (sum mean prod max min all any over axes), `argreduce` and `size_of`, as in
// lib/ops/reduce.ts: double accumulation, numpy's NaN rules for max/min.
#include <algorithm>
#include <cmath>
#include <limits>

#include "registry.h"

namespace theanode {
namespace {

// Split x's index space into kept axes (one output each) and reduced axes.
struct Split {
  std::vector<int64_t> bases, offsets;
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
  explicit Reduce(const KernelArgs& a) : x_(a.in[0]), o_(a.out[0]), xt_(a.inTypes[0]), ot_(a.outTypes[0]), split_(a.inShapes[0], axesOf(a.attrs["axes"], a.inShapes[0].size())) {
    const std::string& op = a.attrs["op"].str;
    if (op == "sum") kind_ = Sum;
    else if (op == "mean") kind_ = Mean;
    else if (op == "prod") kind_ = Prod;
    else if (op == "max") kind_ = Max;
    else if (op == "min") kind_ = Min;
    else if (op == "all") kind_ = All;
    else if (op == "any") kind_ = Any;
    else throw std::runtime_error("reduce: unknown op " + op);
    if ((kind_ == Max || kind_ == Min) && split_.offsets.empty() && !split_.bases.empty())
      throw std::runtime_error("reduce: zero-size array to reduction operation " + op + ", which has no identity");
    // Sums over the leading axes (a bias gradient: the column sums of a matrix) walk the rows in
    // order, adding whole rows; the generic loop would walk each column with a stride.
    const auto& shape = a.inShapes[0];
    auto axes = axesOf(a.attrs["axes"], shape.size());
    std::sort(axes.begin(), axes.end());
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    bool leading = !axes.empty() && axes.size() < shape.size();
    for (size_t i = 0; i < axes.size(); i++) leading = leading && axes[i] == static_cast<int>(i);
    if (leading && (kind_ == Sum || kind_ == Mean) && (xt_ == DType::F64 || xt_ == DType::F32)) {
      rows_ = 1;
      for (size_t i = 0; i < axes.size(); i++) rows_ *= shape[i];
      cols_ = static_cast<int64_t>(split_.bases.size());
      byRows_ = true;
      acc_.resize(static_cast<size_t>(cols_));
    }
  }
  void run(Frame& f) override {
    const void* x = f.ptr[x_];
    void* o = f.ptr[o_];
    if (byRows_) {
      // The same additions in the same order as the generic loop: row 0, row 1, ... per column.
      std::fill(acc_.begin(), acc_.end(), 0.0);
      if (xt_ == DType::F64) addRows(static_cast<const double*>(x));
      else addRows(static_cast<const float*>(x));
      const double scale = kind_ == Mean ? static_cast<double>(rows_) : 1.0;
      for (int64_t k = 0; k < cols_; k++) store(ot_, o, k, kind_ == Mean ? acc_[k] / scale : acc_[k]);
      return;
    }
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
      store(ot_, o, static_cast<int64_t>(k), acc);
    }
  }

 private:
  template <typename T>
  void addRows(const T* x) {
    double* acc = acc_.data();
    for (int64_t i = 0; i < rows_; i++) {
      const T* row = x + i * cols_;
      for (int64_t k = 0; k < cols_; k++) acc[k] += static_cast<double>(row[k]);
    }
  }

  int x_, o_;
  DType xt_, ot_;
  Split split_;
  enum { Sum, Mean, Prod, Max, Min, All, Any } kind_;
  bool byRows_ = false;
  int64_t rows_ = 0, cols_ = 0;
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
