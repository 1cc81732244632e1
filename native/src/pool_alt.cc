// The runtimes the pool was measured against (pool.cc explains the choice), built instead of
// pool.cc's runOnPool with cmake -DTHEANODE_POOL=openmp or =tbb, for bench/contention.ts.
#include <exception>
#include <mutex>

#include "pool.h"

#if defined(THEANODE_POOL_OPENMP)
#include <omp.h>
#elif defined(THEANODE_POOL_TBB)
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#endif

namespace theanode {

void runOnPoolAlternative(int parts, void (*call)(void*, int), void* fn) {
  std::exception_ptr error;
  std::mutex mu;
  auto one = [&](int p) {
    try {
      call(fn, p);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
    }
  };
#if defined(THEANODE_POOL_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) num_threads(activeThreads())
  for (int p = 0; p < parts; p++) one(p);
#elif defined(THEANODE_POOL_TBB)
  static tbb::task_arena arena(activeThreads());
  arena.execute([&] { tbb::parallel_for(0, parts, 1, one, tbb::simple_partitioner()); });
#else
  for (int p = 0; p < parts; p++) one(p);
#endif
  if (error) std::rethrow_exception(error);
}

}  // namespace theanode
