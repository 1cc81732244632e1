// Exponentials of rows with each row's maximum subtracted, the core of softmax and softmax
// cross-entropy (softmax.cc, xent.cc), in double.
#pragma once
#include <cstdint>
#include <vector>

#include "../dtype.h"

namespace theanode {

// e^x of n doubles in place, by the elementwise kernels' exp step (elemwise.cc): vectorised
// (vmath.h, within 2 ulp) where the CPU allows, libm in the plain x86-64 build.
void expDoubles(double* x, int64_t n);

struct RowExps {
  std::vector<double> e;    // e[r * cols + j] = exp(z_rj - max[r])
  std::vector<double> max;  // max_j z_rj, NaN if any is NaN, 0 for a row of -inf
  std::vector<double> sum;  // sum_j e[r * cols + j]

  // For `rows` rows of `cols` values of type `t` at `z`.
  void compute(DType t, const void* z, int64_t rows, int64_t cols);
};

}  // namespace theanode
