// The `elemwise` opcode: a fused chain of scalar ops (the step bytecode of lib/ops/elemwise.ts).
//
// Why a block interpreter rather than generated code: programs arrive at run time, and the
// addon cannot compile C++ then. Interpreting the steps over blocks of 256 elements keeps the
// dispatch out of the inner loops: each step is one tight, vectorisable loop over a block held
// in L1, and a chain of k steps costs k passes over 2 KiB instead of k passes over the arrays.
//
// Lanes: blocks hold doubles, each step rounded to its dtype (the js kernels' rule), or, when
// the TypeScript marks a chain `lanes: 'float32'` (float32 and bool steps over float32 and bool
// inputs), floats: twice the lanes per instruction and half the bytes, inputs read in place.
// Float arithmetic, comparisons and sqrt give the js results exactly (a double result rounded
// to float is the float result for these); other libm functions go through double as in js;
// only the six vectorised transcendentals use float versions (vmath_float.h), a few ulp apart.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../cpu.h"
#include "../pool.h"
#include "registry.h"
#include "row_exp.h"
#include "special.h"
#include "vmath.h"
#include "vmath_float.h"

namespace theanode {
namespace {

constexpr int64_t B = 256;

enum class Op {
  Add, Sub, Mul, Div, Neg, Pow, Exp, Log, Log1p, Expm1, Sqrt, Sqr, Abs, Sign, Tanh, Sigmoid, Softplus, Relu,
  Maximum, Minimum, Clip, Switch, Gt, Ge, Lt, Le, Eq, Neq, And, Or, Not, Floor, Ceil, Round, Identity, Second, Cast,
  IntDiv, Mod, Sin, Cos, Tan, Arcsin, Arccos, Arctan, Arctan2, Sinh, Cosh, Arcsinh, Arccosh, Arctanh, Log2, Log10, Exp2,
  IsNan, IsInf, Erf, Erfc, Erfinv, Gamma, Gammaln, Psi, Trigamma, Tetragamma
};

const std::pair<const char*, Op> scalarOps[] = {
      {"add", Op::Add}, {"sub", Op::Sub}, {"mul", Op::Mul}, {"div", Op::Div}, {"neg", Op::Neg}, {"pow", Op::Pow},
      {"exp", Op::Exp}, {"log", Op::Log}, {"log1p", Op::Log1p}, {"expm1", Op::Expm1}, {"sqrt", Op::Sqrt},
      {"sqr", Op::Sqr}, {"abs", Op::Abs}, {"sign", Op::Sign}, {"tanh", Op::Tanh}, {"sigmoid", Op::Sigmoid},
      {"softplus", Op::Softplus}, {"relu", Op::Relu}, {"maximum", Op::Maximum}, {"minimum", Op::Minimum},
      {"clip", Op::Clip}, {"switch", Op::Switch}, {"gt", Op::Gt}, {"ge", Op::Ge}, {"lt", Op::Lt}, {"le", Op::Le},
      {"eq", Op::Eq}, {"neq", Op::Neq}, {"and", Op::And}, {"or", Op::Or}, {"not", Op::Not}, {"floor", Op::Floor},
      {"ceil", Op::Ceil}, {"round", Op::Round}, {"identity", Op::Identity}, {"second", Op::Second}, {"cast", Op::Cast},
      {"int_div", Op::IntDiv}, {"mod", Op::Mod}, {"sin", Op::Sin}, {"cos", Op::Cos}, {"tan", Op::Tan}, {"arcsin", Op::Arcsin},
      {"arccos", Op::Arccos}, {"arctan", Op::Arctan}, {"arctan2", Op::Arctan2}, {"sinh", Op::Sinh}, {"cosh", Op::Cosh},
      {"arcsinh", Op::Arcsinh}, {"arccosh", Op::Arccosh}, {"arctanh", Op::Arctanh}, {"log2", Op::Log2}, {"log10", Op::Log10},
      {"exp2", Op::Exp2}, {"isnan", Op::IsNan}, {"isinf", Op::IsInf}, {"erf", Op::Erf}, {"erfc", Op::Erfc}, {"erfinv", Op::Erfinv},
      {"gamma", Op::Gamma}, {"gammaln", Op::Gammaln}, {"psi", Op::Psi}, {"trigamma", Op::Trigamma},
      {"tetragamma", Op::Tetragamma}};

Op parseOp(const std::string& s) {
  for (auto& [n, op] : scalarOps)
    if (s == n) return op;
  throw std::runtime_error("elemwise: unknown scalar op " + s);
}

// The same functions as the H helpers of lib/ops/scalar.ts, on libm (for the scalar build).
inline double sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  double e = std::exp(x);
  return e / (1 + e);
}
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// Transcendentals: libm where loops stay scalar anyway, vmath where they vectorise (inlined
// into every loop: a call per element keeps a loop scalar).
struct LibmMath {
  static double exp(double x) { return std::exp(x); }
  static double log(double x) { return std::log(x); }
  static double log1p(double x) { return std::log1p(x); }
  static double tanh(double x) { return std::tanh(x); }
  static double sigmoid(double x) { return theanode::sigmoid(x); }
  static double softplus(double x) { return theanode::softplus(x); }
};
// Overloaded for both lane types: the double versions (vmath.h) and the float ones
// (vmath_float.h, used by every build: scalar float loops have no libm call to prefer).
struct VectorMath {
#define VM_PAIR(f)                                                                  \
  __attribute__((always_inline)) static double f(double x) { return vmath::f(x); } \
  __attribute__((always_inline)) static float f(float x) { return vmathf::f(x); }
  VM_PAIR(exp) VM_PAIR(log) VM_PAIR(log1p) VM_PAIR(tanh) VM_PAIR(sigmoid) VM_PAIR(softplus)
#undef VM_PAIR
};
// Branch-free selection (vmath.h): data-dependent branches mispredict on random data, and
// selects vectorise. Conditions are combined with | rather than ||, which is a branch.
using vmath::select;
using vmathf::select;
// v if v > 0, else +0 (NaN too).
template <class V>
inline V relu(V v) { return select(v > 0, v, V(0)); }
template <class V>
inline V maximum(V a, V b) { return select((a >= b) | (a != a), a, b); }
template <class V>
inline V minimum(V a, V b) { return select((a <= b) | (a != a), a, b); }
template <class V>
inline V sign(V x) { return x > 0 ? V(1) : x < 0 ? V(-1) : x; }
// Math.pow differs from C's pow in two corners.
inline double jsPow(double a, double b) {
  if (std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(b) && std::fabs(a) == 1) return std::numeric_limits<double>::quiet_NaN();
  return std::pow(a, b);
}
inline double roundHalfEven(double x) {
  if (!std::isfinite(x)) return x;
  double fl = std::floor(x);
  double r = x - fl >= 0.5 ? fl + 1 : fl;  // Math.round: halves go up
  return (r - x == 0.5 && std::fmod(r, 2.0) != 0) ? r - 1 : r;
}

// The dtype whose storage a lane type reads in place.
template <class V>
constexpr DType laneDType() { return std::is_same_v<V, float> ? DType::F32 : DType::F64; }

template <class V, class T>
void convertBlock(const T* q, int64_t len, V* v) {
  for (int64_t k = 0; k < len; k++) v[k] = static_cast<V>(q[k]);
}

// Whole-block conversions, one loop per dtype (so they vectorise).
template <class V>
void loadBlock(DType d, const void* p, int64_t start, int64_t len, V* v) {
  switch (d) {
    case DType::F64: convertBlock(static_cast<const double*>(p) + start, len, v); break;
    case DType::F32: convertBlock(static_cast<const float*>(p) + start, len, v); break;
    case DType::I32: convertBlock(static_cast<const int32_t*>(p) + start, len, v); break;
    case DType::BOOL: convertBlock(static_cast<const uint8_t*>(p) + start, len, v); break;
  }
}

// Values here were already rounded to the output dtype by the last step.
template <class V>
void storeBlock(DType d, void* p, int64_t start, int64_t len, const V* r) {
  switch (d) {
    case DType::F64: { auto q = static_cast<double*>(p) + start; for (int64_t k = 0; k < len; k++) q[k] = static_cast<double>(r[k]); break; }
    case DType::F32: { auto q = static_cast<float*>(p) + start; for (int64_t k = 0; k < len; k++) q[k] = static_cast<float>(r[k]); break; }
    case DType::I32: { auto q = static_cast<int32_t*>(p) + start; for (int64_t k = 0; k < len; k++) q[k] = static_cast<int32_t>(r[k]); break; }
    case DType::BOOL: { auto q = static_cast<uint8_t*>(p) + start; for (int64_t k = 0; k < len; k++) q[k] = static_cast<uint8_t>(r[k]); break; }
  }
}

// Rounding applied inside each op's loop (one pass per step, and vectorisable).
struct KeepDouble {
  static double apply(double v) { return v; }
};
struct RoundFloat {
  static double apply(double v) { return static_cast<float>(v); }
};
// Float lanes: each result is rounded by its store into a float.
struct KeepValue {
  template <class T>
  static T apply(T v) { return v; }
};

template <class V, class R, class M>
__attribute__((always_inline)) inline void stepLoop(Op op, DType dt, V* r, const V* a, const V* b, const V* c, int64_t len) {
// Functions without a vectorised version take doubles, as the js kernels do (so float lanes
// round their results once, to the same float).
#define D(x) static_cast<double>(x)
// A step's result block is never one of its argument blocks (each step has its own), so
// element k depends on element k of the arguments alone: no aliasing check, no scalar copy.
#define LOOP(expr) _Pragma("GCC ivdep") for (int64_t k = 0; k < len; k++) r[k] = R::apply(expr)
    switch (op) {
      case Op::Add: LOOP(a[k] + b[k]); break;
      case Op::Sub: LOOP(a[k] - b[k]); break;
      case Op::Mul: LOOP(a[k] * b[k]); break;
      case Op::Div: LOOP(a[k] / b[k]); break;
      case Op::Neg: LOOP(-a[k]); break;
      case Op::Pow: LOOP(jsPow(D(a[k]), D(b[k]))); break;
      case Op::Exp: LOOP(M::exp(a[k])); break;
      case Op::Log: LOOP(M::log(a[k])); break;
      case Op::Log1p: LOOP(M::log1p(a[k])); break;
      case Op::Expm1: LOOP(std::expm1(D(a[k]))); break;
      case Op::Sqrt: LOOP(std::sqrt(a[k])); break;
      case Op::Sqr: LOOP(a[k] * a[k]); break;
      case Op::Abs: LOOP(std::fabs(a[k])); break;
      case Op::Sign: LOOP(sign<V>(a[k])); break;
      case Op::Tanh: LOOP(M::tanh(a[k])); break;
      case Op::Sigmoid: LOOP(M::sigmoid(a[k])); break;
      case Op::Softplus: LOOP(M::softplus(a[k])); break;
      case Op::Relu: LOOP(relu<V>(a[k])); break;
      case Op::Maximum: LOOP(maximum<V>(a[k], b[k])); break;
      case Op::Minimum: LOOP(minimum<V>(a[k], b[k])); break;
      case Op::Clip: LOOP(minimum<V>(maximum<V>(a[k], b[k]), c[k])); break;
      case Op::Switch: LOOP(select(a[k] != 0, b[k], c[k])); break;
      case Op::Gt: LOOP(static_cast<V>(a[k] > b[k])); break;
      case Op::Ge: LOOP(static_cast<V>(a[k] >= b[k])); break;
      case Op::Lt: LOOP(static_cast<V>(a[k] < b[k])); break;
      case Op::Le: LOOP(static_cast<V>(a[k] <= b[k])); break;
      case Op::Eq: LOOP(static_cast<V>(a[k] == b[k])); break;
      case Op::Neq: LOOP(static_cast<V>(a[k] != b[k])); break;
      case Op::And: LOOP(static_cast<V>(toInt32(a[k]) & toInt32(b[k]))); break;
      case Op::Or: LOOP(static_cast<V>(toInt32(a[k]) | toInt32(b[k]))); break;
      case Op::Not:
        if (dt == DType::BOOL) LOOP(a[k] == 0 ? V(1) : V(0));
        else LOOP(static_cast<V>(~toInt32(a[k])));
        break;
      case Op::Floor: LOOP(std::floor(a[k])); break;
      case Op::Ceil: LOOP(std::ceil(a[k])); break;
      case Op::Round: LOOP(roundHalfEven(D(a[k]))); break;
      case Op::Identity: case Op::Cast: LOOP(a[k]); break;
      case Op::Second: LOOP(b[k]); break;
      // libm for these (V8's Math functions are within 1 ulp too, so the backends agree to 2 ulp).
      case Op::IntDiv: LOOP(special::intDiv(D(a[k]), D(b[k]))); break;
      case Op::Mod: LOOP(special::mod(D(a[k]), D(b[k]))); break;
      case Op::Sin: LOOP(std::sin(D(a[k]))); break;
      case Op::Cos: LOOP(std::cos(D(a[k]))); break;
      case Op::Tan: LOOP(std::tan(D(a[k]))); break;
      case Op::Arcsin: LOOP(std::asin(D(a[k]))); break;
      case Op::Arccos: LOOP(std::acos(D(a[k]))); break;
      case Op::Arctan: LOOP(std::atan(D(a[k]))); break;
      case Op::Arctan2: LOOP(std::atan2(D(a[k]), D(b[k]))); break;
      case Op::Sinh: LOOP(std::sinh(D(a[k]))); break;
      case Op::Cosh: LOOP(std::cosh(D(a[k]))); break;
      case Op::Arcsinh: LOOP(std::asinh(D(a[k]))); break;
      case Op::Arccosh: LOOP(std::acosh(D(a[k]))); break;
      case Op::Arctanh: LOOP(std::atanh(D(a[k]))); break;
      case Op::Log2: LOOP(std::log2(D(a[k]))); break;
      case Op::Log10: LOOP(std::log10(D(a[k]))); break;
      case Op::Exp2: LOOP(std::exp2(D(a[k]))); break;
      case Op::IsNan: LOOP(static_cast<V>(a[k] != a[k])); break;
      case Op::IsInf: LOOP(static_cast<V>(std::isinf(a[k]))); break;
      case Op::Erf: LOOP(special::erf(D(a[k]))); break;
      case Op::Erfc: LOOP(special::erfc(D(a[k]))); break;
      case Op::Erfinv: LOOP(special::erfinv(D(a[k]))); break;
      case Op::Gamma: LOOP(special::gamma(D(a[k]))); break;
      case Op::Gammaln: LOOP(special::gammaln(D(a[k]))); break;
      case Op::Psi: LOOP(special::psi(D(a[k]))); break;
      case Op::Trigamma: LOOP(special::trigamma(D(a[k]))); break;
      case Op::Tetragamma: LOOP(special::tetragamma(D(a[k]))); break;
    }
#undef LOOP
#undef D
}

template <class V>
using StepFn = void (*)(Op, DType, V*, const V*, const V*, const V*, int64_t);
template <class V, class R, class M>
void stepAny(Op op, DType dt, V* r, const V* a, const V* b, const V* c, int64_t len) {
  stepLoop<V, R, M>(op, dt, r, a, b, c, len);
}
#ifdef THEANODE_HAS_CLONES
// Compiled for AVX-512 and AVX2 (with FMA) as well as plain x86-64; chosen once for this CPU.
template <class V, class R, class M>
THEANODE_TARGET_AVX512 void stepAvx512(Op op, DType dt, V* r, const V* a, const V* b, const V* c, int64_t len) {
  stepLoop<V, R, M>(op, dt, r, a, b, c, len);
}
template <class V, class R, class M>
THEANODE_TARGET_AVX2 void stepAvx2(Op op, DType dt, V* r, const V* a, const V* b, const V* c, int64_t len) {
  stepLoop<V, R, M>(op, dt, r, a, b, c, len);
}
// ScalarM: the math for the plain x86-64 build.
template <class V, class R, class M, class ScalarM>
StepFn<V> chooseStep() {
  switch (simdLevel()) {
    case SimdLevel::Avx512: return stepAvx512<V, R, M>;
    case SimdLevel::Avx2: return stepAvx2<V, R, M>;
    case SimdLevel::Base: break;
  }
  return stepAny<V, R, ScalarM>;
}
#else
template <class V, class R, class M, class ScalarM>
StepFn<V> chooseStep() {
  return stepAny<V, R, M>;
}
#endif
// Double lanes: in the scalar build, libm is faster than vmath's series.
const StepFn<double> stepF64 = chooseStep<double, KeepDouble, VectorMath, LibmMath>();
const StepFn<double> stepF32 = chooseStep<double, RoundFloat, VectorMath, LibmMath>();
const StepFn<float> stepFloatLanes = chooseStep<float, KeepValue, VectorMath, VectorMath>();

struct Arg {
  int kind;  // 0 input, 1 step, 2 constant
  int idx;
};
struct Step {
  Op op;
  DType dtype;
  std::vector<Arg> args;
};
struct Input {
  int buffer;
  DType dtype;
  // Tail: repeats along the leading axes (a bias row); Head: repeats along the trailing axes
  // (a column, or a per-channel value); Strided: anything else broadcastable.
  enum Mode { Full, Scalar, Tail, Head, Strided } mode;
  std::vector<int64_t> strides;  // broadcast strides over the output shape (Strided)
  int64_t period = 1;            // Tail: the input's size; Head: how often each value repeats
  int64_t values = 1;            // Head: the input's size (value q of the output's runs is q mod values)
};

// V: the lane type, double or float (see the top of this file).
template <class V>
class Elemwise : public Kernel {
 public:
  explicit Elemwise(const KernelArgs& a) : out_(a.out[0]), outType_(a.outTypes[0]), outShape_(a.outShapes[0]) {
    n_ = sizeOf(outShape_);
    const Json& steps = a.attrs["steps"];
    for (size_t j = 0; j < steps.size(); j++) {
      Step s{parseOp(steps[j]["op"].str), parseDType(steps[j]["dtype"].str), {}};
      const Json& args = steps[j]["args"];
      for (size_t k = 0; k < args.size(); k++) {
        Arg arg{static_cast<int>(args[k][0].number()), static_cast<int>(args[k][1].number())};
        if (arg.kind == 0 && (arg.idx < 0 || arg.idx >= static_cast<int>(a.in.size()))) throw std::runtime_error("elemwise: bad input reference");
        if (arg.kind == 1 && (arg.idx < 0 || arg.idx >= static_cast<int>(j))) throw std::runtime_error("elemwise: bad step reference");
        s.args.push_back(arg);
      }
      steps_.push_back(std::move(s));
    }
    if (steps_.empty()) throw std::runtime_error("elemwise: empty program");
    const Json& consts = a.attrs["consts"];
    for (size_t k = 0; k < consts.size(); k++) consts_.push_back(static_cast<V>(consts[k].number()));
    for (auto& s : steps_)
      for (auto& g : s.args)
        if (g.kind == 2 && (g.idx < 0 || g.idx >= static_cast<int>(consts_.size()))) throw std::runtime_error("elemwise: bad constant reference");
    const int nd = static_cast<int>(outShape_.size());
    for (size_t i = 0; i < a.in.size(); i++) {
      Input in{a.in[i], a.inTypes[i], Input::Full, {}};
      const auto& s = a.inShapes[i];
      int64_t size = sizeOf(s);
      if (size == 1) in.mode = Input::Scalar;
      else if (size == n_) in.mode = Input::Full;
      else {
        in.mode = Input::Strided;
        auto st = stridesOf(s);
        int off = nd - static_cast<int>(s.size());
        in.strides.assign(nd, 0);
        for (int ax = off; ax < nd; ax++) in.strides[ax] = s[ax - off] == 1 ? 0 : st[ax - off];
        classify(in, size);
      }
      inputs_.push_back(std::move(in));
    }
    if (a.attrs.has("colsum") && !a.attrs["colsum"].isNull()) {
      const Json& cs = a.attrs["colsum"];
      if (outShape_.size() != 2 || a.out.size() != 2 || (outType_ != DType::F64 && outType_ != DType::F32)) throw std::runtime_error("elemwise: column sums need a float matrix result and a second output");
      colsum_ = true;
      mean_ = cs["mean"].truthy();
      sumOut_ = a.out[1];
      sumType_ = a.outTypes[1];
      // The lanes of rows whose sums are kept apart were decided with the plan.
      if (!a.decision || !a.decision->has("sumLanes")) throw std::runtime_error("elemwise: the plan carries no column-sum lanes");
      const Json& lanes = (*a.decision)["sumLanes"];
      for (size_t i = 0; i < lanes.size(); i++) sumLanes_.push_back(static_cast<int64_t>(lanes[i].number()));
      if (sumLanes_.size() < 2 || sumLanes_.front() != 0 || sumLanes_.back() != outShape_[0] || !std::is_sorted(sumLanes_.begin(), sumLanes_.end()))
        throw std::runtime_error("elemwise: malformed column-sum lanes");
      laneSums_.assign(sumLanes_.size() - 1, std::vector<double>(static_cast<size_t>(outShape_[1]), 0.0));
    }
    if constexpr (std::is_same_v<V, float>) {
      const auto floatLike = [](DType d) { return d == DType::F32 || d == DType::BOOL; };
      bool ok = floatLike(outType_);
      for (auto& s : steps_) ok = ok && floatLike(s.dtype);
      for (auto& in : inputs_) ok = ok && floatLike(in.dtype);
      if (!ok) throw std::runtime_error("elemwise: float32 lanes need float32 or bool steps, inputs and result");
    }
    // The last step's values are the result's when they need no conversion: it then writes
    // straight into the result, saving a copy of every block (the LSTM epoch 1.5% faster).
    lastIsResult_ = outType_ == laneDType<V>() && steps_.back().dtype == outType_;
    lanes_.push_back(newLane());
  }

  void run(Frame& f) override {
    for (auto& sums : laneSums_) std::fill(sums.begin(), sums.end(), 0.0);
    if (n_ == 0) return finishColumnSums(f);
    const bool direct = lastIsResult_ && !shiftedOverlap(f);
    const double work = 2.0 * static_cast<double>(n_) * static_cast<double>(steps_.size());
    if (colsum_) {
      // Whole lanes of rows on the pool's threads, each lane's sums its own: the same
      // additions in the same order on any thread count.
      const int64_t cols = outShape_[1];
      const int lanes = static_cast<int>(laneSums_.size());
      const int parts = static_cast<int>(std::min<int64_t>(parallelParts(work), lanes));
      while (static_cast<int>(lanes_.size()) < parts) lanes_.push_back(newLane());
      parallelRun(parts, [&](int p) {
        for (int l = lanes * p / parts; l < lanes * (p + 1) / parts; l++)
          runBlocks(f, lanes_[p], sumLanes_[l] * cols, sumLanes_[l + 1] * cols, direct, laneSums_[l].data());
      });
      return finishColumnSums(f);
    }
    // Ranges of whole blocks on the pool's threads.
    const int64_t blocks = (n_ + B - 1) / B;
    const int parts = static_cast<int>(std::min<int64_t>(parallelParts(work), blocks));
    while (static_cast<int>(lanes_.size()) < parts) lanes_.push_back(newLane());
    parallelRun(parts, [&](int p) { runBlocks(f, lanes_[p], blocks * p / parts * B, std::min(n_, blocks * (p + 1) / parts * B), direct, nullptr); });
  }

 private:
  // What one thread owns: the blocks of values, and where each input is read for the block.
  struct Lane {
    std::vector<V> vals;
    std::vector<const V*> inputAt;
    std::vector<int64_t> idx, offs;  // odometer over the output shape, for strided inputs
  };

  Lane newLane() const {
    Lane l;
    l.vals.assign((steps_.size() + inputs_.size() + consts_.size()) * B, V(0));
    l.inputAt.assign(inputs_.size(), nullptr);
    for (size_t k = 0; k < consts_.size(); k++) std::fill_n(l.vals.data() + (steps_.size() + inputs_.size() + k) * B, B, consts_[k]);
    return l;
  }

  // Output elements [from, to), block by block; `direct`: the last step writes the result itself;
  // `sums`: the column sums the stored values are added into (with column sums).
  void runBlocks(Frame& f, Lane& l, int64_t from, int64_t to, bool direct, double* sums) {
    const int nd = static_cast<int>(outShape_.size());
    l.idx.assign(nd, 0);
    l.offs.assign(inputs_.size(), 0);
    for (int64_t rest = from, ax = nd - 1; ax >= 0 && rest > 0; ax--) {
      l.idx[ax] = rest % outShape_[ax];
      rest /= outShape_[ax];
      for (size_t i = 0; i < inputs_.size(); i++)
        if (inputs_[i].mode == Input::Strided) l.offs[i] += l.idx[ax] * inputs_[i].strides[ax];
    }
    void* outp = f.ptr[out_];
    for (int64_t start = from; start < to; start += B) {
      const int64_t len = std::min(B, to - start);
      for (size_t i = 0; i < inputs_.size(); i++) {
        const Input& in = inputs_[i];
        const void* p = f.ptr[in.buffer];
        if (in.mode == Input::Full && in.dtype == laneDType<V>()) {
          l.inputAt[i] = static_cast<const V*>(p) + start;  // read in place: no copy needed
          continue;
        }
        V* v = inputBlock(l, i);
        l.inputAt[i] = v;
        if (in.mode == Input::Full) {
          loadBlock(in.dtype, p, start, len, v);
        } else if (in.mode == Input::Scalar) {
          if (start == from) std::fill_n(v, B, static_cast<V>(load(in.dtype, p, 0)));  // the same in every block
        } else if (in.mode == Input::Tail || in.mode == Input::Head) {
          loadRepeated(in, p, start, len, v);
        }
      }
      if (hasStrided()) fillStrided(f, l, len, nd);
      const size_t last = steps_.size() - 1;
      for (size_t j = 0; j < last; j++) evalStep(l, j, len, stepBlock(l, j));
      if (direct) {
        evalStep(l, last, len, static_cast<V*>(outp) + start);
      } else {
        evalStep(l, last, len, stepBlock(l, last));
        storeBlock(outType_, outp, start, len, stepBlock(l, last));
      }
      if (sums) {
        // The stored values, read back while in L1, into their columns' sums (row after row).
        if (outType_ == DType::F64) addToColumns(static_cast<const double*>(outp), start, len, sums);
        else addToColumns(static_cast<const float*>(outp), start, len, sums);
      }
    }
  }

  V* stepBlock(Lane& l, size_t j) const { return l.vals.data() + j * B; }
  V* inputBlock(Lane& l, size_t i) const { return l.vals.data() + (steps_.size() + i) * B; }
  V* constBlock(Lane& l, size_t k) const { return l.vals.data() + (steps_.size() + inputs_.size() + k) * B; }
  const V* argBlock(Lane& l, const Arg& a) const {
    return a.kind == 0 ? l.inputAt[a.idx] : a.kind == 1 ? stepBlock(l, a.idx) : constBlock(l, a.idx);
  }
  // A broadcast input that is one contiguous block repeated: as a bias row (Tail) or a column (Head).
  void classify(Input& in, int64_t size) {
    const int nd = static_cast<int>(outShape_.size());
    const auto out = stridesOf(outShape_);
    int d = 0;
    while (d < nd && in.strides[d] == 0) d++;
    bool tail = true;
    for (int ax = d; ax < nd; ax++) tail = tail && in.strides[ax] == out[ax];
    if (tail) {
      in.mode = Input::Tail;
      in.period = size;
      return;
    }
    // Head: the input's axes are a contiguous run [d, e] of the output's, each value repeated
    // over the axes after e, and the whole input again over the axes before d (a per-channel bias).
    int e = nd - 1;
    while (e >= 0 && in.strides[e] == 0) e--;
    const int64_t rep = e >= 0 ? out[e] : 0;
    bool head = e >= 0 && rep > 0 && size > 0;
    for (int ax = d; ax <= e && head; ax++) head = in.strides[ax] * rep == out[ax];
    if (head) {
      in.mode = Input::Head;
      in.period = rep;
      in.values = size;
    }
  }

  template <typename T>
  static void repeatLoop(const T* src, const Input& in, int64_t start, int64_t len, V* v) {
    // In runs: a contiguous stretch of the source (Tail) or one value repeated (Head).
    int64_t q = start / in.period, r = start % in.period;
    for (int64_t k = 0; k < len;) {
      const int64_t run = std::min(len - k, in.period - r);
      if (in.mode == Input::Tail)
        for (int64_t t = 0; t < run; t++) v[k + t] = static_cast<V>(src[r + t]);
      else
        std::fill_n(v + k, run, static_cast<V>(src[q % in.values]));
      k += run;
      r = 0;
      q++;
    }
  }

  static void loadRepeated(const Input& in, const void* p, int64_t start, int64_t len, V* v) {
    switch (in.dtype) {
      case DType::F64: return repeatLoop(static_cast<const double*>(p), in, start, len, v);
      case DType::F32: return repeatLoop(static_cast<const float*>(p), in, start, len, v);
      case DType::I32: return repeatLoop(static_cast<const int32_t*>(p), in, start, len, v);
      case DType::BOOL: return repeatLoop(static_cast<const uint8_t*>(p), in, start, len, v);
    }
  }

  bool hasStrided() const {
    for (auto& in : inputs_)
      if (in.mode == Input::Strided) return true;
    return false;
  }

  void fillStrided(Frame& f, Lane& l, int64_t len, int nd) {
    auto& idx = l.idx;
    auto& offs = l.offs;
    for (int64_t k = 0; k < len; k++) {
      for (size_t i = 0; i < inputs_.size(); i++)
        if (inputs_[i].mode == Input::Strided) inputBlock(l, i)[k] = static_cast<V>(load(inputs_[i].dtype, f.ptr[inputs_[i].buffer], offs[i]));
      for (int ax = nd - 1; ax >= 0; ax--) {
        idx[ax]++;
        for (size_t i = 0; i < inputs_.size(); i++)
          if (inputs_[i].mode == Input::Strided) offs[i] += inputs_[i].strides[ax];
        if (idx[ax] < outShape_[ax]) break;
        for (size_t i = 0; i < inputs_.size(); i++)
          if (inputs_[i].mode == Input::Strided) offs[i] -= inputs_[i].strides[ax] * outShape_[ax];
        idx[ax] = 0;
      }
    }
  }

  // An input read in place is read at the element being written, so the result may be that
  // input (each loop reads an element before writing it). One overlapping the result at
  // another offset (which plans never make) could be overwritten before it is read: the
  // last step then keeps its block.
  bool shiftedOverlap(const Frame& f) const {
    const auto* out = static_cast<const uint8_t*>(f.ptr[out_]);
    const size_t bytes = static_cast<size_t>(n_) * sizeof(V);
    for (auto& in : inputs_) {
      if (in.mode != Input::Full || in.dtype != laneDType<V>()) continue;
      const auto* p = static_cast<const uint8_t*>(f.ptr[in.buffer]);
      if (p != out && p < out + bytes && out < p + bytes) return true;
    }
    return false;
  }

  // Step j over one block, into r (its block, or for the last step possibly the result).
  void evalStep(Lane& l, size_t j, int64_t len, V* r) {
    const Step& s = steps_[j];
    const V* a = s.args.size() > 0 ? argBlock(l, s.args[0]) : nullptr;
    const V* b = s.args.size() > 1 ? argBlock(l, s.args[1]) : nullptr;
    const V* c = s.args.size() > 2 ? argBlock(l, s.args[2]) : nullptr;
    if constexpr (std::is_same_v<V, float>) {
      stepFloatLanes(s.op, s.dtype, r, a, b, c, len);
      if (s.dtype == DType::BOOL)
        for (int64_t k = 0; k < len; k++) r[k] = r[k] != 0 ? 1.0f : 0.0f;  // NaN != 0, as in JS
    } else if (s.dtype == DType::F64) stepF64(s.op, s.dtype, r, a, b, c, len);
    else if (s.dtype == DType::F32) stepF32(s.op, s.dtype, r, a, b, c, len);
    else if (s.dtype == DType::BOOL) {
      stepF64(s.op, s.dtype, r, a, b, c, len);
      for (int64_t k = 0; k < len; k++) r[k] = r[k] != 0 ? 1.0 : 0.0;  // NaN != 0, as in JS
    } else {
      stepF64(s.op, s.dtype, r, a, b, c, len);
      for (int64_t k = 0; k < len; k++) r[k] = toInt32(r[k]);
    }
  }

  std::vector<Step> steps_;
  std::vector<V> consts_;
  std::vector<Input> inputs_;
  int out_;
  DType outType_;
  std::vector<int64_t> outShape_;
  int64_t n_ = 0;
  std::vector<Lane> lanes_;
  bool lastIsResult_ = false;
  // The column sums output (lib/ops/elemwise.ts, ColumnSums).
  bool colsum_ = false, mean_ = false;
  int sumOut_ = -1;
  DType sumType_ = DType::F64;
  std::vector<int64_t> sumLanes_;               // first row of each lane, and the row count last
  std::vector<std::vector<double>> laneSums_;   // each lane's column sums

  template <typename T>
  void addToColumns(const T* out, int64_t start, int64_t len, double* sums) const {
    // In runs along a row, so that each is one vectorised loop (the same additions in the same
    // order as element by element).
    const int64_t cols = outShape_[1];
    const T* src = out + start;
    for (int64_t j = start % cols, k = 0; k < len; j = 0) {
      const int64_t run = std::min(len - k, cols - j);
      for (int64_t t = 0; t < run; t++) sums[j + t] += static_cast<double>(src[k + t]);
      k += run;
    }
  }

  void finishColumnSums(Frame& f) {
    if (!colsum_) return;
    // The lanes' sums added in lane order (lib/ops/elemwise.ts, columnSumLanes).
    const double rows = static_cast<double>(outShape_[0]);
    for (int64_t j = 0; j < outShape_[1]; j++) {
      double sum = laneSums_[0][j];
      for (size_t l = 1; l < laneSums_.size(); l++) sum += laneSums_[l][j];
      store(sumType_, f.ptr[sumOut_], j, mean_ ? sum / rows : sum);
    }
  }
};

}  // namespace

void expDoubles(double* x, int64_t n) {
  // In place is safe: the step reads element k only to write element k.
  stepF64(Op::Exp, DType::F64, x, x, nullptr, nullptr, n);
}

std::vector<std::string> scalarOpNames() {
  std::vector<std::string> out;
  for (auto& [n, op] : scalarOps) out.push_back(n);
  return out;
}

void registerElemwise() {
  registerKernel("elemwise", [](const KernelArgs& a) -> std::unique_ptr<Kernel> {
    if (a.attrs.has("lanes") && a.attrs["lanes"].str == "float32") return std::make_unique<Elemwise<float>>(a);
    return std::make_unique<Elemwise<double>>(a);
  });
}

}  // namespace theanode
