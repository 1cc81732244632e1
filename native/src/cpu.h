// Which vector instructions this CPU has, for kernels compiled several times with GCC target
// attributes and chosen once at load (prebuilt binaries cannot assume more than x86-64).
#pragma once

namespace theanode {

enum class SimdLevel { Base, Avx2, Avx512 };

inline SimdLevel simdLevel() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) return SimdLevel::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::Avx2;
#endif
  return SimdLevel::Base;
}

}  // namespace theanode

#if defined(__x86_64__) && defined(__GNUC__)
#define THEANODE_HAS_CLONES 1
#define THEANODE_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#define THEANODE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif
