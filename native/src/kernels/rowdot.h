// Row-wise products over a block of a row-major matrix X (m rows, f columns, row stride ld):
//   dotRows:  z_i = x_i · w             (the block's share of X·w)
//   axpyRows: y += sum_i g_i x_i          (the block's share of X^T·g)
// Four rows at a time (one from each quarter of the block), so w and y are loaded once per
// four rows. The dot products keep one
// partial sum per position modulo 64 bytes and add them in a fixed order, so results do not
// depend on where the arrays lie in memory (a compiler's own reduction would peel for
// alignment). The updates of y peel until X is 64-byte aligned instead (their results do not
// depend on the order): X streams from memory, and split loads of it cost the most.
#pragma once
#include <cstdint>

#include "../cpu.h"

namespace theanode {

template <typename T>
struct RowKernels {
  void (*dotRows)(const T* x, int64_t ld, int64_t m, int64_t f, const T* w, T* z);
  void (*axpyRows)(const T* x, int64_t ld, int64_t m, int64_t f, const T* g, T* y);
};

// The variant for this CPU.
template <typename T>
const RowKernels<T>& rowKernels();

}  // namespace theanode
