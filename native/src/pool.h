// The threads of the fused kernels: the caller plus workers that sleep between jobs.
//
// One pool for the whole addon: OpenBLAS itself is kept to one thread, and the products that
// are worth splitting are split here (each chunk a single-threaded BLAS call or a fused kernel),
// so OpenBLAS's own workers never spin on the cores these threads need.
//
// A job is cut into more chunks than threads, taken one at a time from a shared counter, so a
// thread the OS deschedules holds up only the chunk it has; how a job is cut depends on the job
// and the thread count set, never on timing, so results are the same bits whoever runs a chunk.
#pragma once
#include <cstdint>
#include <type_traits>

namespace theanode {

// The thread count set by setBlasThreads (initially OPENBLAS_NUM_THREADS or the core count).
void setKernelThreads(int n);
int kernelThreads();
// The cores this process may use: its affinity mask, and its cgroup's CPU quota (at least 1).
int usableCores();
// The threads a job may use: the count set, capped at usableCores().
int activeThreads();
// The CPU the calling thread runs on now, or -1 where that cannot be asked.
int currentCpu();

// How many chunks a job of `work` multiply-adds may be cut into: 1 when small or on one thread,
// else up to `perThread` chunks per thread.
int parallelParts(double work, int perThread = 4);

// Counts since the start: jobs run on several threads, jobs run on the caller during a pause,
// stalls (the caller waiting for a chunk far longer than chunks take), the times parallel jobs
// had lost more than they saved (each starts or lengthens a pause), and jobs whose worker woke
// on the caller's core and left the job to it (each starts a short pause).
struct PoolStats {
  uint64_t parallel, paused, stalls, losses, crowded;
};
PoolStats poolStats();

// parallelRun's work for more than one chunk: call(fn, p) for each chunk p.
void runOnPool(int parts, void (*call)(void*, int), void* fn);

// Runs part(0) .. part(parts - 1) on the calling thread and the pool's workers, and returns
// when all are done. The first exception thrown by a part is rethrown here. A call made while
// another job holds the workers (another executor, or from inside a part) runs its parts on
// the calling thread. (A template, so that a call on one thread is a plain call.)
template <class F>
void parallelRun(int parts, F&& part) {
  if (parts <= 1) return part(0);
  runOnPool(parts, [](void* fn, int p) { (*static_cast<std::remove_reference_t<F>*>(fn))(p); }, &part);
}

}  // namespace theanode
