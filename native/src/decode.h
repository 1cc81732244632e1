// Decoding a Program and its Plan from JSON (the form lib/backend/native and the loop
// instruction's body give them), checking every buffer reference and size before any memory is
// touched.
#pragma once
#include <cstdint>
#include <vector>

#include "json.h"
#include "program.h"

namespace theanode {

// Fills `out` (buffers, instructions with their kernels, inputs, outputs, updates) and the
// elements each dtype's arena needs. `constants` holds the bytes of Program.constants, in order.
void decodeProgram(const Json& prog, const Json& plan, std::vector<std::vector<uint8_t>> constants, Program& out, int64_t arenaElements[4]);

// The constants of a program nested in attributes: [{dtype, shape, data: [numbers]}].
std::vector<std::vector<uint8_t>> constantsFromJson(const Json& list);

}  // namespace theanode
