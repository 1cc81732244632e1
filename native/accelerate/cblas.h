// macOS without OpenBLAS: the addon's <cblas.h> is Apple's Accelerate, whose CBLAS interface
// serves every BLAS call the kernels make. The few OpenBLAS-only calls get stand-ins:
// Accelerate manages its own threads, so the pool starts with one thread per core.
#pragma once
#include <Accelerate/Accelerate.h>
#include <thread>

inline const char* openblas_get_corename() { return "Accelerate"; }
inline const char* openblas_get_config() { return "Apple Accelerate (CBLAS)"; }
inline int openblas_get_num_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}
inline void openblas_set_num_threads(int) {}
