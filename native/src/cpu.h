// Which vector instructions this CPU has, for kernels compiled several times with GCC target
// attributes and chosen once at load (prebuilt binaries cannot assume more than x86-64).
#pragma once
#include <cstdlib>
#include <cstring>

namespace theanode {

enum class SimdLevel { Base, Avx2, Avx512 };

// THEANODE_SIMD=avx2 or =base caps the level (to test the other builds on one machine).
inline SimdLevel simdLevel() {
  SimdLevel cap = SimdLevel::Avx512;
  if (const char* env = std::getenv("THEANODE_SIMD")) cap = std::strcmp(env, "base") == 0 ? SimdLevel::Base : std::strcmp(env, "avx2") == 0 ? SimdLevel::Avx2 : cap;
  SimdLevel has = SimdLevel::Base;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) has = SimdLevel::Avx512;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) has = SimdLevel::Avx2;
#endif
  return static_cast<int>(has) < static_cast<int>(cap) ? has : cap;
}

}  // namespace theanode

#if defined(__x86_64__) && defined(__GNUC__)
#define THEANODE_HAS_CLONES 1
#define THEANODE_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#define THEANODE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif
