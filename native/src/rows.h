// Rows of an array copied in a given order into one contiguous batch: the shuffled minibatches
// of lib/train/minibatches.ts.
#pragma once
#include <cstdint>

namespace theanode {

// dst row i = src row order[i], for i < count; every order[i] must be a row of src (checked by
// the caller). Rows are `rowBytes` long.
void gatherRows(const uint8_t* src, int64_t rowBytes, const int32_t* order, int64_t count, uint8_t* dst);

}  // namespace theanode
