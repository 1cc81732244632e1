#include "pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define THEANODE_PAUSE() _mm_pause()
#else
#define THEANODE_PAUSE() std::this_thread::yield()
#endif

namespace theanode {
namespace {

// Below this much work (multiply-adds) a part, waking another thread costs more than it saves.
constexpr double kMinWorkPerPart = 32 * 1024;
// A worker keeps polling this long after a job before it sleeps: training loops call again
// within microseconds, and a futex wake-up costs more than the work of a small step.
constexpr auto kSpin = std::chrono::microseconds(2000);

std::atomic<int> gThreads{1};

class WorkerPool {
 public:
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void run(int parts, void (*call)(void*, int), void* fn) {
    std::lock_guard<std::mutex> serial(runMu_);  // one job at a time
    // A new worker waits for the next generation: the current one may belong to an earlier job.
    while (static_cast<int>(threads_.size()) < parts - 1)
      threads_.emplace_back([this, id = static_cast<int>(threads_.size()) + 1, seen = generation_.load()] { loop(id, seen); });
    call_ = call;
    fn_ = fn;
    error_ = nullptr;
    parts_.store(parts, std::memory_order_relaxed);
    pending_.store(parts - 1, std::memory_order_relaxed);
    int sleepers;
    {
      // Under the lock, so that a worker about to sleep sees the new generation.
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
      sleepers = sleepers_;
    }
    if (sleepers) wake_.notify_all();
    std::exception_ptr mine;
    try {
      call(fn, 0);
    } catch (...) {
      mine = std::current_exception();
    }
    while (pending_.load(std::memory_order_acquire) != 0) THEANODE_PAUSE();
    call_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int id, uint64_t seen) {
    for (;;) {
      uint64_t g = waitForJob(seen);
      if (g == seen) return;  // stopping
      seen = g;
      if (id >= parts_.load(std::memory_order_relaxed)) continue;
      try {
        call_(fn_, id);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  // The next generation after `seen`: polled for a while, then slept for; `seen` when stopping.
  uint64_t waitForJob(uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int k = 0;; k++) {
      const uint64_t g = generation_.load(std::memory_order_acquire);
      if (g != seen) return g;
      if ((k & 255) == 255 && std::chrono::steady_clock::now() > until) break;
      THEANODE_PAUSE();
    }
    std::unique_lock<std::mutex> lock(mu_);
    sleepers_++;
    wake_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_acquire) != seen; });
    sleepers_--;
    return stop_ ? seen : generation_.load(std::memory_order_acquire);
  }

  std::mutex runMu_, mu_;
  std::condition_variable wake_;
  std::vector<std::thread> threads_;
  void (*call_)(void*, int) = nullptr;
  void* fn_ = nullptr;
  std::atomic<int> parts_{0}, pending_{0};
  std::atomic<uint64_t> generation_{0};
  int sleepers_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

WorkerPool& pool() {
  static WorkerPool p;
  return p;
}

}  // namespace

void setKernelThreads(int n) { gThreads.store(std::max(1, n)); }
int kernelThreads() { return gThreads.load(); }

int parallelParts(double work) {
  const int threads = kernelThreads();
  if (threads <= 1) return 1;
  const int byWork = static_cast<int>(work / kMinWorkPerPart);
  return std::max(1, std::min(threads, byWork));
}

void runOnPool(int parts, void (*call)(void*, int), void* fn) { pool().run(parts, call, fn); }

}  // namespace theanode
