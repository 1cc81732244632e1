// Why in C++: the rows of a shuffled batch are scattered over the whole data set (Fashion-MNIST's
// 60000 images are 188 MB as float32), so each row starts with a cache miss that the hardware
// prefetcher, which follows one stream within a page, does not hide. Asking for the lines of
// the rows two ahead while copying the current one, and copying on the pool's threads, took an
// epoch's gather (469 batches of 128 rows of 3136 bytes) from 47 ms in TypeScript (a
// TypedArray.set per row) to 30-37 ms on one thread and 18-28 ms on two, and the MLP epoch on
// 2 threads from 0.47-0.52 s to 0.43-0.46 s (bench/mlp-epoch.ts, best of 5).
#include "rows.h"

#include <algorithm>
#include <cstring>

#include "pool.h"

namespace theanode {
namespace {

constexpr int64_t kAhead = 2;    // rows prefetched ahead of the one copied
constexpr int64_t kLine = 64;

inline void prefetchRow(const uint8_t* row, int64_t bytes) {
  for (int64_t b = 0; b < bytes; b += kLine) __builtin_prefetch(row + b);
}

void copyRows(const uint8_t* src, int64_t rowBytes, const int32_t* order, int64_t from, int64_t to, uint8_t* dst) {
  for (int64_t i = from; i < to; i++) {
    if (i + kAhead < to) prefetchRow(src + order[i + kAhead] * rowBytes, rowBytes);
    std::memcpy(dst + i * rowBytes, src + order[i] * rowBytes, static_cast<size_t>(rowBytes));
  }
}

}  // namespace

void gatherRows(const uint8_t* src, int64_t rowBytes, const int32_t* order, int64_t count, uint8_t* dst) {
  if (count <= 0 || rowBytes <= 0) return;
  // A copy is about one "multiply-add" per 4 bytes for parallelParts' purposes; the rows are
  // cut into contiguous ranges, so each thread streams its own part of dst.
  const int parts = static_cast<int>(std::min<int64_t>(parallelParts(static_cast<double>(count) * static_cast<double>(rowBytes) / 4), count));
  parallelRun(parts, [&](int p) { copyRows(src, rowBytes, order, count * p / parts, count * (p + 1) / parts, dst); });
}

}  // namespace theanode
