// The pool behind parallelRun (pool.h).
//
// Why a pool of our own rather than OpenMP or oneTBB, by measurement: bench/contention.ts with
// a second process keeping one core busy, on 2 cores, the default 2 threads against 1 thread in
// alternating rounds (ratios below, lower is better); the other runtimes built with
// cmake -DTHEANODE_POOL=openmp|tbb (pool_alt.cc); each line's runs back to back, while other
// builds on the machine kept its load average at 10-14 (so the spread is wide):
//
//                                   seed f64       seed f32       product 400x300·300x200
//   the previous pool               15.4 12.5 10.1 17.0 20.4 2.8  2.8 2.7 2.9
//   OpenMP, libgomp's defaults      19.2 23.0      29.6 8.9       4.3 4.8
//   OpenMP, OMP_WAIT_POLICY=passive 0.31 0.44 0.29 1.27 0.26 0.24 0.45 0.62 0.62
//   oneTBB                          1.31 1.05 1.37 1.10 1.59 1.00 1.03 1.04 1.03
//   this pool                       0.22           0.25           0.67
//   (its drafts: polling workers    0.61 0.66 0.23 0.63 1.16 0.50 0.81 0.98 0.64;
//    workers sleeping at once       0.46 0.56      0.26 1.36      0.86 0.65)
//
// Polling is what hurts: the previous pool and libgomp by default poll after each job, and a
// thread that polls is the one the OS preempts, holding its chunk, while a thread that sleeps
// gets its core back as soon as it is woken. Passive OpenMP does about as well, but it needs an
// environment variable read when libgomp loads, and makes a team per calling thread, so
// concurrent executors would oversubscribe the cores; this pool serves one job at a time and
// runs the others on their callers. It also caps its threads at the usable cores (cores.cc), and
// stops using threads while they lose time: each parallel job adds what it saved or lost to a
// balance, and a negative balance pauses parallel work (judge()). A worker the OS wakes on the
// caller's core (the other cores busy) leaves the job to the caller, which then works alone for
// a short while (crowded()): in bench/contention.ts, three alternating runs each, the seed step
// went from 1.04-1.32x one thread (f64) and 0.98-1.57x (f32) to 1.01-1.02x and 0.89-0.98x; on
// idle cores its medians over 8 and 6 runs went from 33.3 to 32.1 us and 20.8 to 20.5 us.
//
// Workers that kept polling for the whole of a call, however long, made the MLP step on 2 idle
// cores 1.58x faster than 1 thread instead of 1.37x, but with a second process keeping a core
// busy a product took 1.06-1.37x its one-thread time instead of 0.80-0.81: not kept; polling
// stays bounded by the gaps seen between jobs (kMaxSpin).
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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

using Clock = std::chrono::steady_clock;
using Ns = std::chrono::nanoseconds;

// Below this much work (multiply-adds) a chunk, waking another thread costs more than it saves.
constexpr double kMinWorkPerPart = 32 * 1024;
// A worker polls for the next job at most this long, and only while jobs have been coming that
// quickly: a futex wake-up costs more than a small step, but polling takes a core from others.
// The MLP step's products come 50-300 us apart (serial kernels between them, the next batch's
// gather between steps): with at most 50 us each waited for a sleeping worker, and its epoch
// on 2 idle cores took 0.53-0.54 s (best of 5, two alternating runs) against 0.48 s with 400;
// in the contention section (two runs each) the default count took 0.85-1.04x the one-thread
// time with 400 and 0.95-1.13x with 50.
constexpr Ns kMaxSpin{400'000};
// The caller polls this many times for the last chunks before it sleeps until they are done: a
// sleeping thread gets its core back at once when woken, a polling one waits its turn.
constexpr int kCallerPolls = 500;
// The caller waiting this much longer than twice its own chunk time is a stall.
constexpr Ns kStallSlack{20'000};
constexpr Ns kMaxCredit{2'000'000};
constexpr Ns kMinPause{1'000'000}, kMaxPause{1'000'000'000}, kCleanRun{1'000'000'000};
// A loss this many pauses' lengths after the last pause ended doubles the next pause.
constexpr int kRecurring = 4;
constexpr Ns kMinCrowded{100'000}, kMaxCrowded{16'000'000};

std::atomic<int> gThreads{1};
thread_local bool tInsideJob = false;

// The job ticket: generation (32 bits), chunk count (16) and next chunk (16) in one word, so a
// worker claims a chunk of the job it saw or fails, never one of a later job.
constexpr uint64_t pack(uint32_t gen, int parts, int next) { return (uint64_t{gen} << 32) | (uint64_t(parts) << 16) | uint64_t(next); }
constexpr uint32_t genOf(uint64_t t) { return static_cast<uint32_t>(t >> 32); }
constexpr int partsOf(uint64_t t) { return static_cast<int>((t >> 16) & 0xffff); }
constexpr int nextOf(uint64_t t) { return static_cast<int>(t & 0xffff); }

class WorkerPool {
 public:
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(sleepMu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void run(int parts, void (*call)(void*, int), void* fn) {
    std::unique_lock<std::mutex> job(jobMu_, std::defer_lock);
    const int helpers = std::min(parts, activeThreads()) - 1;
    const auto start = Clock::now();
    if (tInsideJob || helpers <= 0 || !job.try_lock()) return inline_(parts, call, fn);
    if (start < pauseUntil_ || start < crowdedUntil_) {
      paused_.fetch_add(1, std::memory_order_relaxed);
      job.unlock();
      return inline_(parts, call, fn);
    }
    while (static_cast<int>(threads_.size()) < helpers)
      threads_.emplace_back([this, seen = genOf(ticket_.load())] { loop(seen); });
    call_ = call;
    fn_ = fn;
    error_ = nullptr;
    callerCpu_.store(currentCpu(), std::memory_order_relaxed);
    displaced_.store(false, std::memory_order_relaxed);
    remaining_.store(parts, std::memory_order_relaxed);
    const uint32_t gen = ++gen_;
    ticket_.store(pack(gen, parts, 0), std::memory_order_release);
    parallel_.fetch_add(1, std::memory_order_relaxed);
    wakeHelpers(helpers);
    tInsideJob = true;
    const int mine = drain(gen);
    tInsideJob = false;
    const auto drained = Clock::now();
    waitForChunks();
    if (displaced_.load(std::memory_order_relaxed)) crowded(Clock::now());
    else judge(start, drained, mine, parts);
    if (error_) std::rethrow_exception(error_);
  }

 PoolStats stats() const { return {parallel_.load(), paused_.load(), stalls_.load(), losses_.load(), crowded_.load()}; }

 private:
  // All chunks on the calling thread, in order.
  static void inline_(int parts, void (*call)(void*, int), void* fn) {
    const bool outer = !tInsideJob;
    tInsideJob = true;
    try {
      for (int p = 0; p < parts; p++) call(fn, p);
    } catch (...) {
      if (outer) tInsideJob = false;
      throw;
    }
    if (outer) tInsideJob = false;
  }

  // Claims and runs chunks of job `gen` until none is left (or, for a worker, until it finds
  // itself on the caller's core); returns how many it ran.
  int drain(uint32_t gen, bool worker = false) {
    int ran = 0;
    uint64_t t = ticket_.load(std::memory_order_acquire);
    for (;;) {
      if (genOf(t) != gen || nextOf(t) >= partsOf(t)) return ran;
      if (worker && ran > 0 && onCallersCpu()) return ran;
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      try {
        call_(fn_, nextOf(t));
      } catch (...) {
        std::lock_guard<std::mutex> lock(errorMu_);
        if (!error_) error_ = std::current_exception();
      }
      ran++;
      if (remaining_.fetch_sub(1) == 1 && callerWaiting_.load()) {
        std::lock_guard<std::mutex> lock(doneMu_);
        done_.notify_one();
      }
      t = ticket_.load(std::memory_order_acquire);
    }
  }

  // Whether parallel jobs pay: each adds to a balance the time it saved (the caller's time per
  // chunk times the chunks, less the job's wall time) or lost (a chunk held by a descheduled
  // thread). The balance is capped, so old gains cannot hide new losses for long; when it goes
  // below zero, jobs run on the caller alone for a pause that doubles while losses recur soon
  // after the last pause and starts again from the shortest when they come seldom (a core
  // taken for a moment by the VM's host or V8's own threads): doubling at every loss, the idle
  // MLP epoch on 2 threads had grown its pauses to run up to half of its jobs on one thread.
  void judge(Clock::time_point start, Clock::time_point drained, int mine, int parts) {
    const auto end = Clock::now();
    if (mine == 0) return;  // the caller itself was away: nothing to compare with
    const Ns perChunk = std::chrono::duration_cast<Ns>(drained - start) / mine;
    if (end - drained > 2 * perChunk + kStallSlack) stalls_.fetch_add(1, std::memory_order_relaxed);
    balance_ = std::min(kMaxCredit, balance_ + perChunk * parts - std::chrono::duration_cast<Ns>(end - start));
    if (balance_.count() < 0) {
      losses_.fetch_add(1, std::memory_order_relaxed);
      const bool recurring = pause_.count() > 0 && end - pauseUntil_ < kRecurring * pause_;
      pause_ = recurring ? std::clamp(2 * pause_, kMinPause, kMaxPause) : kMinPause;
      pauseUntil_ = end + pause_;
      lastChange_ = end;
      balance_ = kMaxCredit / 2;
    } else if (pause_.count() > 0 && end - lastChange_ > kCleanRun) {
      pause_ /= 2;
      if (pause_ < kMinPause) pause_ = Ns{0};
      lastChange_ = end;
    }
  }

  // A worker woke on the caller's core: no core was free for it, and waking one costs the caller
  // two context switches (about 6 us: the seed step's calls took 31.8 us against 25.4 on one
  // thread while a second process kept the other core busy). The caller then runs jobs alone for
  // a pause that starts short and doubles while this recurs soon after the last pause. V8's own
  // threads (the garbage collector's, the compiler's) take the other core for moments too, and
  // pauses of 1 ms or more after each such moment kept the idle seed step on one thread for a
  // third of its calls.
  void crowded(Clock::time_point now) {
    crowded_.fetch_add(1, std::memory_order_relaxed);
    crowdedPause_ = now - crowdedUntil_ < 4 * crowdedPause_ ? std::min(kMaxCrowded, 2 * crowdedPause_) : kMinCrowded;
    crowdedUntil_ = now + crowdedPause_;
  }

  // Until every chunk is done: polled briefly, then slept for (the last worker wakes us).
  void waitForChunks() {
    for (int k = 0; k < kCallerPolls; k++)
      if (remaining_.load(std::memory_order_acquire) == 0) return;
      else THEANODE_PAUSE();
    std::unique_lock<std::mutex> lock(doneMu_);
    callerWaiting_.store(true);
    done_.wait(lock, [&] { return remaining_.load() == 0; });
    callerWaiting_.store(false);
  }

  void wakeHelpers(int helpers) {
    int sleepers;
    {
      // Under the lock, so that a worker about to sleep sees the new ticket.
      std::lock_guard<std::mutex> lock(sleepMu_);
      sleepers = sleepers_;
    }
    const int wanted = std::min(sleepers, helpers - spinners_.load(std::memory_order_relaxed));
    for (int i = 0; i < wanted; i++) wake_.notify_one();
  }

  // Whether this thread now runs on the core the current job's caller ran on when it started
  // the job. With a second process keeping one of 2 cores busy, a worker woken for the seed
  // step's job was put on the caller's core and ran in its place in 19.5% of the jobs (the
  // caller descheduled until the worker finished and stopped polling): 53-94 us jobs instead of
  // 10-22 us.
  bool onCallersCpu() const {
    const int c = callerCpu_.load(std::memory_order_relaxed);
    return c >= 0 && currentCpu() == c;
  }

  void loop(uint32_t seen) {
    Ns spin{0};
    auto idleSince = Clock::now();
    for (;;) {
      if (!waitForJob(seen, spin)) return;
      const auto now = Clock::now();
      // Poll next time about twice the longest recent gap, if jobs come that fast; else less. A
      // short gap alone would cut the polling a longer one in the same step needs: in the MLP
      // step a product after a 15 us kernel that followed a 4 us one took 85-90 us on two
      // threads (its worker asleep) instead of 51.
      const Ns gap = std::chrono::duration_cast<Ns>(now - idleSince);
      spin = gap < kMaxSpin ? std::max(std::min(kMaxSpin, 2 * gap), spin * 7 / 8) : spin / 2;
      seen = genOf(ticket_.load(std::memory_order_acquire));
      if (onCallersCpu()) {
        // Woken onto the caller's core (the other cores busy), this worker could only run in
        // the caller's place: it leaves the job to the caller, says so, and sleeps at once.
        displaced_.store(true, std::memory_order_relaxed);
        spin = Ns{0};
        idleSince = Clock::now();
        continue;
      }
      tInsideJob = true;
      drain(seen, true);
      tInsideJob = false;
      if (onCallersCpu()) spin = Ns{0};  // moved there meanwhile: polling would hold the caller off
      idleSince = Clock::now();
    }
  }

  // Polls up to `spin` for a job after `seen`, then sleeps for one; false when stopping.
  bool waitForJob(uint32_t seen, Ns spin) {
    if (spin.count() > 0) {
      spinners_.fetch_add(1, std::memory_order_relaxed);
      const auto until = Clock::now() + spin;
      bool got = false;
      for (int k = 0;; k++) {
        if (genOf(ticket_.load(std::memory_order_acquire)) != seen) {
          got = true;
          break;
        }
        if ((k & 63) == 63 && Clock::now() > until) break;
        THEANODE_PAUSE();
      }
      spinners_.fetch_sub(1, std::memory_order_relaxed);
      if (got) return true;
    }
    std::unique_lock<std::mutex> lock(sleepMu_);
    sleepers_++;
    wake_.wait(lock, [&] { return stop_ || genOf(ticket_.load(std::memory_order_acquire)) != seen; });
    sleepers_--;
    return !stop_;
  }

  std::mutex jobMu_;  // held by the caller whose job the workers serve
  std::vector<std::thread> threads_;
  void (*call_)(void*, int) = nullptr;
  void* fn_ = nullptr;
  uint32_t gen_ = 0;
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> remaining_{0};
  std::atomic<int> callerCpu_{-1};
  std::atomic<bool> displaced_{false};
  std::mutex doneMu_;
  std::condition_variable done_;
  std::atomic<bool> callerWaiting_{false};
  std::mutex errorMu_;
  std::exception_ptr error_;
  // Stall pauses (touched only under jobMu_).
  Ns pause_{0}, balance_{kMaxCredit};
  Clock::time_point pauseUntil_{}, lastChange_{};
  Ns crowdedPause_{kMinCrowded};
  Clock::time_point crowdedUntil_{};
  // Sleeping workers.
  std::mutex sleepMu_;
  std::condition_variable wake_;
  int sleepers_ = 0;
  std::atomic<int> spinners_{0};
  bool stop_ = false;
  std::atomic<uint64_t> parallel_{0}, paused_{0}, stalls_{0}, losses_{0}, crowded_{0};
};

WorkerPool& pool() {
  static WorkerPool p;
  return p;
}

}  // namespace

void setKernelThreads(int n) { gThreads.store(std::max(1, n)); }
int kernelThreads() { return gThreads.load(); }
int activeThreads() { return std::min(kernelThreads(), usableCores()); }

int parallelParts(double work, int perThread) {
  const int threads = activeThreads();
  if (threads <= 1) return 1;
  const double byWork = work / kMinWorkPerPart;
  return byWork < 2 ? 1 : static_cast<int>(std::min<double>(threads * std::max(1, perThread), byWork));
}

PoolStats poolStats() { return pool().stats(); }

#if defined(THEANODE_POOL_OPENMP) || defined(THEANODE_POOL_TBB)
void runOnPoolAlternative(int parts, void (*call)(void*, int), void* fn);
void runOnPool(int parts, void (*call)(void*, int), void* fn) { runOnPoolAlternative(parts, call, fn); }
#else
void runOnPool(int parts, void (*call)(void*, int), void* fn) {
  if (parts > 0xffff) {  // more than a ticket counts (never from parallelParts): one thread
    for (int p = 0; p < parts; p++) call(fn, p);
    return;
  }
  pool().run(parts, call, fn);
}
#endif

}  // namespace theanode
