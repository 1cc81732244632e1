// The threads of the fused kernels: the caller plus workers that sleep between jobs.
//
// One pool for the whole addon: OpenBLAS itself is kept to one thread, and the products that
// are worth splitting are split here (each part a single-threaded BLAS call or a fused kernel),
// so OpenBLAS's own workers never spin on the cores these threads need.
#pragma once
#include <type_traits>

namespace theanode {

// The thread count set by setBlasThreads (initially OPENBLAS_NUM_THREADS or the core count).
void setKernelThreads(int n);
int kernelThreads();

// How many parts a job of `work` units may be split into (1 when small or single-threaded).
int parallelParts(double work);

// Runs part(0) .. part(parts - 1), part 0 on the calling thread, and returns when all are done.
// The first exception thrown by a part is rethrown here. (A template, so that a call on one
// thread is a plain call, with no std::function to allocate.)
template <class F>
void parallelRun(int parts, F&& part) {
  if (parts <= 1) return part(0);
  runOnPool(parts, [](void* fn, int p) { (*static_cast<std::remove_reference_t<F>*>(fn))(p); }, &part);
}

// parallelRun's work for more than one part: call(fn, p) for each part p.
void runOnPool(int parts, void (*call)(void*, int), void* fn);

}  // namespace theanode
