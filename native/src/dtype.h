// Element types and the conversions both backends share: values are computed as doubles and
// stored with JavaScript typed-array semantics (float32 rounds, int32 wraps, bool is 0/1).
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace theanode {

enum class DType : uint8_t { F64, F32, I32, BOOL };

inline DType parseDType(const std::string& s) {
  if (s == "float64") return DType::F64;
  if (s == "float32") return DType::F32;
  if (s == "int32") return DType::I32;
  if (s == "bool") return DType::BOOL;
  throw std::runtime_error("unknown dtype " + s);
}

inline const char* dtypeName(DType d) {
  switch (d) {
    case DType::F64: return "float64";
    case DType::F32: return "float32";
    case DType::I32: return "int32";
    case DType::BOOL: return "bool";
  }
  return "?";
}

inline size_t bytesOf(DType d) {
  switch (d) {
    case DType::F64: return 8;
    case DType::F32: return 4;
    case DType::I32: return 4;
    case DType::BOOL: return 1;
  }
  return 0;
}

// JavaScript's ToInt32: NaN and infinities give 0, otherwise truncate and wrap modulo 2^32.
inline int32_t toInt32(double v) {
  if (!std::isfinite(v)) return 0;
  double t = std::trunc(v);
  if (t >= -2147483648.0 && t <= 2147483647.0) return static_cast<int32_t>(t);
  double m = std::fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

inline double load(DType d, const void* p, int64_t i) {
  switch (d) {
    case DType::F64: return static_cast<const double*>(p)[i];
    case DType::F32: return static_cast<const float*>(p)[i];
    case DType::I32: return static_cast<const int32_t*>(p)[i];
    case DType::BOOL: return static_cast<const uint8_t*>(p)[i];
  }
  return 0;
}

inline void store(DType d, void* p, int64_t i, double v) {
  switch (d) {
    case DType::F64: static_cast<double*>(p)[i] = v; break;
    case DType::F32: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    case DType::I32: static_cast<int32_t*>(p)[i] = toInt32(v); break;
    // Uint8Array semantics (ToUint8); the values stored here are 0 or 1.
    case DType::BOOL: static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(toInt32(v) & 0xff); break;
  }
}

// The per-step rounding rule of fused elementwise programs.
inline double roundTo(DType d, double v) {
  switch (d) {
    case DType::F64: return v;
    case DType::F32: return static_cast<float>(v);
    case DType::I32: return toInt32(v);
    case DType::BOOL: return v != 0 ? 1.0 : 0.0;  // NaN != 0, as in JS
  }
  return v;
}

}  // namespace theanode
