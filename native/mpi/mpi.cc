// The MPI addon (theanode_mpi.node): built only where CMake finds MPI, loaded only by
// `distributed.init()`. It runs the collectives for lib/distributed and hands the main addon a
// table of C functions (native/src/collectives.h), so that the main addon never links MPI.
//
// Every collective starts with the same small header allreduce: each rank says whether it
// failed and how many elements of which type it brings. A rank whose call failed still joins
// that header (abandon), so its peers throw an Error naming it instead of waiting forever, and
// ranks that disagree about a message's size throw instead of corrupting memory.
#include <mpi.h>
#include <napi.h>

#include <cstring>
#include <mutex>
#include <string>

#include "../src/collectives.h"

namespace theanode_mpi {
namespace {

using theanode::CollectivesTable;

std::mutex mpiLock;  // MPI is initialised SERIALIZED or MULTIPLE; calls from the event loop and workers take turns
bool initialised = false;
int worldRank = 0, worldSize = 1, threadLevel = 0;

std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(len));
}

MPI_Datatype mpiType(int32_t dtype) {
  switch (dtype) {
    case theanode::kCollF64: return MPI_DOUBLE;
    case theanode::kCollF32: return MPI_FLOAT;
    case theanode::kCollI32: return MPI_INT32_T;
  }
  return MPI_DATATYPE_NULL;
}

// The header every collective begins with. Returns "" when all ranks go on, else why not.
std::string agree(const char* what, int64_t count, int32_t dtype, bool failed) {
  long long h[5] = {failed ? worldRank + 1 : 0, count, -count, dtype, -dtype};
  const int rc = MPI_Allreduce(MPI_IN_PLACE, h, 5, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return std::string(what) + ": " + mpiError(rc);
  if (h[0] > 0) return std::string(what) + ": rank " + std::to_string(h[0] - 1) + " failed its part of this collective call, so no rank applies it";
  if (h[1] != -h[2])
    return std::string(what) + ": the ranks disagree about the message size (from " + std::to_string(-h[2]) + " to " + std::to_string(h[1]) +
           " elements); every rank must run the same program on parameters of the same shapes";
  if (h[3] != -h[4]) return std::string(what) + ": the ranks disagree about the dtype of the message";
  return "";
}

void fill(char* err, size_t len, const std::string& msg) {
  if (!err || len == 0) return;
  std::strncpy(err, msg.c_str(), len - 1);
  err[len - 1] = '\0';
}

int tableAllreduce(void* data, int64_t count, int32_t dtype, int32_t op, int32_t failed, char* err, size_t errLen) {
  std::lock_guard<std::mutex> g(mpiLock);
  if (!initialised) {
    fill(err, errLen, "allreduce: MPI is not initialised (call distributed.init() first)");
    return -1;
  }
  if (mpiType(dtype) == MPI_DATATYPE_NULL || (op != theanode::kCollSum && op != theanode::kCollMax) || count < 0 || count > INT32_MAX) {
    fill(err, errLen, "allreduce: unsupported dtype, op or count");
    if (!failed) agree("allreduce", count, dtype, true);
    return -1;
  }
  std::string why = agree("allreduce", count, dtype, failed != 0);
  if (failed) return 0;
  if (why.empty() && count > 0) {
    const int rc = MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), mpiType(dtype), op == theanode::kCollSum ? MPI_SUM : MPI_MAX, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) why = "allreduce: " + mpiError(rc);
  }
  if (why.empty()) return 0;
  fill(err, errLen, why);
  return -1;
}

int32_t tableSize() { return worldSize; }
int32_t tableRank() { return worldRank; }

CollectivesTable table = {theanode::kCollectivesMagic, theanode::kCollectivesVersion, tableAllreduce, tableSize, tableRank};

void requireInit(const Napi::Env& env, const char* what) {
  if (!initialised) throw Napi::Error::New(env, std::string(what) + ": MPI is not initialised (call distributed.init() first)");
}

int32_t dtypeOf(const Napi::TypedArray& a) {
  switch (a.TypedArrayType()) {
    case napi_float64_array: return theanode::kCollF64;
    case napi_float32_array: return theanode::kCollF32;
    case napi_int32_array: return theanode::kCollI32;
    default: return -1;
  }
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> g(mpiLock);
  if (!initialised) {
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
      const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &threadLevel);
      if (rc != MPI_SUCCESS) throw Napi::Error::New(env, "distributed.init: MPI_Init_thread failed: " + mpiError(rc));
    } else {
      MPI_Query_thread(&threadLevel);
    }
    // Compiled functions call MPI from a worker thread; calls are serialised by mpiLock.
    if (threadLevel < MPI_THREAD_SERIALIZED)
      throw Napi::Error::New(env, "distributed.init: this MPI library gives only thread level " + std::to_string(threadLevel) + "; at least MPI_THREAD_SERIALIZED is needed");
    // Errors come back as codes (turned into JS Errors) instead of aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &worldRank);
    MPI_Comm_size(MPI_COMM_WORLD, &worldSize);
    initialised = true;
  }
  auto o = Napi::Object::New(env);
  o.Set("rank", worldRank);
  o.Set("size", worldSize);
  const char* level = threadLevel >= MPI_THREAD_MULTIPLE ? "multiple" : "serialized";
  o.Set("threadLevel", level);
  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(lib, &len);
  o.Set("library", std::string(lib, static_cast<size_t>(len)));
  return o;
}

// allreduce(typedArray, 'sum' | 'max', failed?): in place.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireInit(env, "distributed.allreduce");
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsString()) throw Napi::TypeError::New(env, "distributed.allreduce: expected (typedArray, op)");
  auto a = info[0].As<Napi::TypedArray>();
  const std::string op = info[1].As<Napi::String>();
  const bool failed = info.Length() > 2 && info[2].ToBoolean();
  const int32_t dt = dtypeOf(a);
  if (dt < 0) throw Napi::TypeError::New(env, "distributed.allreduce: expected a Float64Array, Float32Array or Int32Array");
  if (op != "sum" && op != "max") throw Napi::TypeError::New(env, "distributed.allreduce: op must be 'sum' or 'max', got '" + op + "'");
  char err[512];
  void* data = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  if (tableAllreduce(data, static_cast<int64_t>(a.ElementLength()), dt, op == "sum" ? theanode::kCollSum : theanode::kCollMax, failed, err, sizeof err) != 0)
    throw Napi::Error::New(env, err);
  return env.Undefined();
}

// broadcast(uint8Array, root): root's bytes to every rank, after the header.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireInit(env, "distributed.broadcast");
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "distributed.broadcast: expected (typedArray, root)");
  auto a = info[0].As<Napi::TypedArray>();
  const int root = info[1].As<Napi::Number>().Int32Value();
  if (root < 0 || root >= worldSize) throw Napi::RangeError::New(env, "distributed.broadcast: root " + std::to_string(root) + " is not a rank of " + std::to_string(worldSize));
  const bool failed = info.Length() > 2 && info[2].ToBoolean();
  std::lock_guard<std::mutex> g(mpiLock);
  const int64_t bytes = static_cast<int64_t>(a.ByteLength());
  std::string why = agree("distributed.broadcast", bytes, 3, failed);
  if (failed) return env.Undefined();
  if (why.empty() && bytes > 0) {
    void* data = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    const int rc = MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) why = "distributed.broadcast: " + mpiError(rc);
  }
  if (!why.empty()) throw Napi::Error::New(env, why);
  return env.Undefined();
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireInit(env, "distributed.barrier");
  const bool failed = info.Length() > 0 && info[0].ToBoolean();
  std::lock_guard<std::mutex> g(mpiLock);
  // The header is itself a synchronising collective: all ranks have entered it when it returns.
  const std::string why = agree("distributed.barrier", 0, 0, failed);
  if (!failed && !why.empty()) throw Napi::Error::New(env, why);
  return env.Undefined();
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> g(mpiLock);
  if (initialised) {
    MPI_Finalize();
    initialised = false;
  }
  return info.Env().Undefined();
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  const int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  // No lock: the job ends whatever another thread is doing.
  if (initialised) MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

// The table for the main addon, as an external (its address never leaves native code).
Napi::Value Table(const Napi::CallbackInfo& info) { return Napi::External<CollectivesTable>::New(info.Env(), &table); }

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("allreduce", Napi::Function::New(env, Allreduce));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("abort", Napi::Function::New(env, Abort));
  exports.Set("table", Napi::Function::New(env, Table));
  return exports;
}

}  // namespace
}  // namespace theanode_mpi

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return theanode_mpi::InitModule(env, exports); }

NODE_API_MODULE(theanode_mpi, Init)
