// The Node-API surface: an Executor per (Program, Plan), run synchronously or on the libuv
// thread pool, plus OpenBLAS information and thread control. One call of a compiled function
// is one call of Executor.run: every check happens before memory is touched, and C++ failures
// become JavaScript errors.
#include <cblas.h>
#include <napi.h>

#include <cstring>
#include <mutex>

#include "collectives.h"
#include "decode.h"
#include "json.h"
#include "kernels/gemm_avx512.h"
#include "kernels/registry.h"
#include "pool.h"
#include "program.h"
#include "rows.h"

namespace theanode {
namespace {


[[noreturn]] void fail(const std::string& msg) { throw std::runtime_error(msg); }

napi_typedarray_type arrayTypeOf(DType d) {
  switch (d) {
    case DType::F64: return napi_float64_array;
    case DType::F32: return napi_float32_array;
    case DType::I32: return napi_int32_array;
    case DType::BOOL: return napi_uint8_array;
  }
  return napi_uint8_array;
}

// A typed array's element type, length and data, from one N-API call (the wrapper's accessors
// would make one each); it also answers for arrays on a SharedArrayBuffer.
struct TypedView {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
};
bool viewOf(const Napi::Value& v, TypedView& w) { return napi_get_typedarray_info(v.Env(), v, &w.type, &w.length, &w.data, nullptr, nullptr) == napi_ok; }

// The data of `v` (the call's `item` number `index`), after checking it against the plan.
void* checkedData(const Napi::Value& v, DType d, int64_t size, const char* item, uint32_t index) {
  auto what = [&] { return std::string(item) + " " + std::to_string(index); };  // only for errors
  if (!v.IsTypedArray()) fail(what() + ": expected a typed array");
  TypedView w;
  if (!viewOf(v, w)) fail(what() + ": cannot read the typed array");
  if (w.type != arrayTypeOf(d)) fail(what() + ": expected " + dtypeName(d) + " data");
  if (static_cast<int64_t>(w.length) != size) fail(what() + ": expected " + std::to_string(size) + " elements, got " + std::to_string(w.length));
  return w.data;
}

class Executor : public Napi::ObjectWrap<Executor> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Executor", {InstanceMethod("run", &Executor::Run), InstanceMethod("runAsync", &Executor::RunAsync), InstanceMethod("free", &Executor::Free)});
  }

  explicit Executor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Executor>(info) {
    try {
      decode(info[0].As<Napi::Object>(), info[1]);
      allocateArena(info);
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
  }

  Program program;
  // One call at a time per executor (it owns its arena and scratch); executors run in parallel.
  // OpenBLAS stays correct so: it is pinned to one thread (Init), and a single-threaded call
  // shares no state with a concurrent one (test/backend/native/parallel.test.ts checks the bits).
  std::mutex runMutex;

  // Calls queued on the thread pool and not yet completed; free() waits for them.
  int inFlight = 0;
  bool freePending = false;

  void checkUsable() const {
    if (freed_) fail("executor: this plan was freed (f.free()); the next call of the function plans again");
  }

  // Called on the main thread when an async call completes.
  void callDone() {
    if (--inFlight == 0 && freePending) release();
  }

  // Check the call's arrays against the plan and collect their pointers.
  CallData bind(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep) {
    if (info.Length() < 4) fail("executor.run: expected (inputs, shared, outputs, updates)");
    auto list = [&](int k, size_t n, const char* what) {
      if (!info[k].IsArray()) fail(std::string("executor.run: ") + what + " must be an array");
      auto a = info[k].As<Napi::Array>();
      if (a.Length() != n) fail(std::string("executor.run: expected ") + std::to_string(n) + " " + what + ", got " + std::to_string(a.Length()));
      return a;
    };
    // Each list's arrays, checked against the plan's buffers.
    auto collect = [&](int k, const std::vector<int>& ids, const char* what, const char* item, std::vector<void*>& out) {
      auto a = list(k, ids.size(), what);
      out.reserve(ids.size());
      for (uint32_t i = 0; i < a.Length(); i++) {
        const Buffer& b = program.buffers[ids[i]];
        const Napi::Value v = a.Get(i);
        out.push_back(checkedData(v, b.dtype, b.size, item, i));
        if (keep) keep->push_back(v);
      }
    };
    CallData c;
    collect(0, program.inputs, "inputs", "input", c.inputs);
    collect(1, program.shared, "shared arrays", "shared variable", c.shared);
    collect(2, program.outputs, "outputs", "output", c.outputs);
    collect(3, program.updateBuffers, "update targets", "update", c.updates);
    return c;
  }

 private:
  bool freed_ = false;
  int64_t arenaBytes_[4] = {0, 0, 0, 0};

  // The arena is a JavaScript ArrayBuffer held by this object, not C++ memory: V8 counts it,
  // so a dropped function's arena is reclaimed by the garbage collector alone (Node-API
  // finalizers run only when the event loop turns, which a training loop may never let happen),
  // and free() releases it at once by detaching it.
  void allocateArena(const Napi::CallbackInfo& info) {
    size_t offsets[4], total = 0;
    for (int d = 0; d < 4; d++) {
      offsets[d] = total;
      total += (static_cast<size_t>(arenaBytes_[d]) + 63) / 64 * 64;  // each dtype's region 64-byte aligned
    }
    auto buffer = Napi::ArrayBuffer::New(info.Env(), total);
    auto base = static_cast<uint8_t*>(buffer.Data());
    if (total) std::memset(base, 0, total);
    for (int d = 0; d < 4; d++) program.arena[d] = base + offsets[d];
    info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value("arena", buffer, napi_default));
  }

  void release() {
    freed_ = true;
    freePending = false;
    Napi::Value a = Value().Get("arena");
    if (a.IsArrayBuffer()) a.As<Napi::ArrayBuffer>().Detach();
    program = Program{};
  }

  Napi::Value Free(const Napi::CallbackInfo& info) {
    if (!freed_) {
      if (inFlight > 0) freePending = true;
      else release();
    }
    return info.Env().Undefined();
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    try {
      checkUsable();
      CallData c = bind(info, nullptr);
      std::lock_guard<std::mutex> lock(runMutex);
      execute(program, c);
    } catch (const std::exception& e) {
      Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info);

  // The program and plan come as JSON text (one parse, the same decoder as a loop's body), the
  // constants as typed arrays.
  void decode(const Napi::Object& prog, const Napi::Value& planText) {
    if (!prog.Get("text").IsString() || !planText.IsString()) fail("executor: expected a described program and its plan as JSON text");
    auto consts = prog.Get("constants");
    if (!consts.IsArray()) fail("executor: the program's constants must be an array");
    std::vector<std::vector<uint8_t>> constants;
    auto list = consts.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      if (!list.Get(i).IsTypedArray()) fail("executor: a constant must be a typed array");
      auto t = list.Get(i).As<Napi::TypedArray>();
      auto p = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
      constants.emplace_back(p, p + t.ByteLength());
    }
    int64_t elements[4];
    decodeProgram(Json::parse(prog.Get("text").As<Napi::String>().Utf8Value()), Json::parse(planText.As<Napi::String>().Utf8Value()), std::move(constants), program, elements);
    for (int d = 0; d < 4; d++) arenaBytes_[d] = elements[d] * static_cast<int64_t>(bytesOf(static_cast<DType>(d)));
  }
};

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, Executor* ex, CallData call, std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env), ex_(ex), call_(std::move(call)) {
    if (napi_create_promise(env, &deferred_, &promise_) != napi_ok) fail("executor.runAsync: cannot create a promise");
    // Keep the executor and every array alive until the work is done.
    self_ = Napi::Persistent(ex->Value());
    for (auto& v : keep) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise Promise() { return Napi::Promise(Env(), promise_); }

  void Execute() override {
    try {
      std::lock_guard<std::mutex> lock(ex_->runMutex);
      execute(ex_->program, call_);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  // Settles the promise with plain N-API calls whose status is checked. node-addon-api's own
  // completion path throws a C++ exception when a call fails, and calls fail when the
  // environment is going away (a worker thread terminated mid-call): thrown from a libuv
  // callback, that aborts the process. Here a failed call just means nobody is listening.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    napi_handle_scope scope = nullptr;
    if (status != napi_cancelled && napi_open_handle_scope(env, &scope) == napi_ok) {
      try {
        ex_->callDone();  // may release a plan freed while this call ran
      } catch (...) {
        // The environment is going away: nothing to release into.
      }
      settle(env);
      napi_close_handle_scope(env, scope);
    }
    Destroy();
  }

 private:
  void settle(napi_env env) {
    napi_value result = nullptr;
    if (error_.empty()) {
      if (napi_get_undefined(env, &result) == napi_ok) napi_resolve_deferred(env, deferred_, result);
      return;
    }
    napi_value message = nullptr;
    if (napi_create_string_utf8(env, error_.data(), error_.size(), &message) == napi_ok &&
        napi_create_error(env, nullptr, message, &result) == napi_ok)
      napi_reject_deferred(env, deferred_, result);
  }

  Executor* ex_;
  CallData call_;
  std::string error_;
  napi_deferred deferred_ = nullptr;
  napi_value promise_ = nullptr;
  Napi::ObjectReference self_;
  std::vector<Napi::ObjectReference> keep_;
};

Napi::Value Executor::RunAsync(const Napi::CallbackInfo& info) {
  std::vector<Napi::Value> keep;
  CallData c;
  try {
    checkUsable();
    c = bind(info, &keep);
  } catch (const std::exception& e) {
    auto d = Napi::Promise::Deferred::New(info.Env());
    d.Reject(Napi::Error::New(info.Env(), e.what()).Value());
    return d.Promise();
  }
  RunWorker* w = nullptr;
  try {
    w = new RunWorker(info.Env(), this, std::move(c), keep);
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto p = w->Promise();
  inFlight++;
  w->Queue();
  return p;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("corename", openblas_get_corename());
  o.Set("config", openblas_get_config());
  o.Set("threads", kernelThreads());
  o.Set("cores", usableCores());
  o.Set("products", blas::ownGemmAvailable() ? "avx512" : "openblas");
  const PoolStats ps = poolStats();
  auto pool = Napi::Object::New(info.Env());
  pool.Set("parallel", static_cast<double>(ps.parallel));
  pool.Set("paused", static_cast<double>(ps.paused));
  pool.Set("stalls", static_cast<double>(ps.stalls));
  pool.Set("losses", static_cast<double>(ps.losses));
  pool.Set("crowded", static_cast<double>(ps.crowded));
  o.Set("pool", pool);
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(info.Env(), "setBlasThreads: expected a positive integer").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) {
    Napi::RangeError::New(info.Env(), "setBlasThreads: expected a positive integer").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  // Read once per kernel call, so a change between two kernels of a running call is safe.
  setKernelThreads(n);
  return info.Env().Undefined();
}

// setCollectives(table): the MPI addon's table (an external, see collectives.h), or null to clear it.
Napi::Value SetCollectives(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || info[0].IsNull() || info[0].IsUndefined()) {
    setCollectives(nullptr);
    return env.Undefined();
  }
  if (!info[0].IsExternal()) throw Napi::TypeError::New(env, "setCollectives: expected the MPI addon's table()");
  auto* t = static_cast<const CollectivesTable*>(info[0].As<Napi::External<void>>().Data());
  if (!t || t->magic != kCollectivesMagic) throw Napi::TypeError::New(env, "setCollectives: the value is not a table of collectives");
  if (t->version != kCollectivesVersion)
    throw Napi::Error::New(env, "setCollectives: the MPI addon's table has version " + std::to_string(t->version) + ", this addon expects " +
                                    std::to_string(kCollectivesVersion) + "; rebuild both with `npm run build:native`");
  setCollectives(t);
  return env.Undefined();
}

// gatherRows(src, rowLength, order, start, end, dst): dst's rows are src's rows order[start..end),
// rows of rowLength elements (lib/train/minibatches.ts). Every index is checked before dst is
// written, so a bad one leaves dst as it was.
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 6 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsTypedArray() || !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsTypedArray())
    throw Napi::TypeError::New(env, "gatherRows: expected (src: TypedArray, rowLength: number, order: Int32Array, start: number, end: number, dst: TypedArray)");
  const auto view = [&](const Napi::Value& v) {
    TypedView w;
    if (!viewOf(v, w)) throw Napi::Error::New(env, "gatherRows: cannot read a typed array");
    return w;
  };
  const TypedView src = view(info[0]), order = view(info[2]), dst = view(info[5]);
  if (src.type != dst.type) throw Napi::TypeError::New(env, "gatherRows: src and dst must be arrays of one element type");
  if (order.type != napi_int32_array) throw Napi::TypeError::New(env, "gatherRows: order must be an Int32Array");
  const double rowLength = info[1].As<Napi::Number>().DoubleValue(), start = info[3].As<Napi::Number>().DoubleValue(), end = info[4].As<Napi::Number>().DoubleValue();
  const auto whole = [](double v) { return v >= 0 && v <= 9007199254740991.0 && v == static_cast<double>(static_cast<int64_t>(v)); };
  if (!whole(rowLength) || !whole(start) || !whole(end) || start > end || end > static_cast<double>(order.length))
    throw Napi::RangeError::New(env, "gatherRows: expected whole numbers with start <= end <= order.length (" + std::to_string(order.length) + "), got rowLength " +
                                         std::to_string(rowLength) + ", start " + std::to_string(start) + ", end " + std::to_string(end));
  const int64_t row = static_cast<int64_t>(rowLength), count = static_cast<int64_t>(end - start);
  if (static_cast<double>(dst.length) != static_cast<double>(count) * rowLength)
    throw Napi::RangeError::New(env, "gatherRows: dst has " + std::to_string(dst.length) + " elements, expected " + std::to_string(count) + " rows of " + std::to_string(row));
  const int64_t srcRows = row == 0 ? 0 : static_cast<int64_t>(src.length) / row;
  const int32_t* idx = static_cast<const int32_t*>(order.data) + static_cast<int64_t>(start);
  for (int64_t i = 0; i < count && row > 0; i++)
    if (idx[i] < 0 || idx[i] >= srcRows)
      throw Napi::RangeError::New(env, "gatherRows: order[" + std::to_string(static_cast<int64_t>(start) + i) + "] is " + std::to_string(idx[i]) + ", expected a row of src in [0, " + std::to_string(srcRows) + ")");
  if (count == 0 || row == 0) return env.Undefined();
  const int64_t elementBytes = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementSize());
  gatherRows(static_cast<const uint8_t*>(src.data), row * elementBytes, idx, count, static_cast<uint8_t*>(dst.data));
  return env.Undefined();
}

// The opcodes and scalar ops of this build, so the loader can refuse a stale or mismatched addon.
Napi::Value Tables(const Napi::CallbackInfo& info) {
  auto list = [&](const std::vector<std::string>& names) {
    auto a = Napi::Array::New(info.Env(), names.size());
    for (uint32_t i = 0; i < names.size(); i++) a.Set(i, names[i]);
    return a;
  };
  auto o = Napi::Object::New(info.Env());
  o.Set("opcodes", list(registeredOpcodes()));
  o.Set("scalarOps", list(scalarOpNames()));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One pool of threads (pool.h): OpenBLAS's own count becomes the pool's, and OpenBLAS runs
  // single-threaded inside it.
  static const bool once = [] {
    setKernelThreads(openblas_get_num_threads());
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
  exports.Set("Executor", Executor::Define(env));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("tables", Napi::Function::New(env, Tables));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setCollectives", Napi::Function::New(env, SetCollectives));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows));
  return exports;
}

}  // namespace
}  // namespace theanode

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return theanode::Init(env, exports); }

NODE_API_MODULE(theanode, InitModule)
