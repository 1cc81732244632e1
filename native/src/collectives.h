// The table of collective operations that the MPI addon (native/mpi) hands to this addon, so
// that this addon never links MPI: its `allreduce` kernel calls through the table, and throws
// a clear error while no table is set (distributed.init() sets it).
#pragma once
#include <cstddef>
#include <cstdint>

namespace theanode {

// Changes whenever the layout or the meaning of the table changes: a mismatched pair refuses.
constexpr uint32_t kCollectivesMagic = 0x74686d70;  // "thmp"
constexpr uint32_t kCollectivesVersion = 1;

enum CollectiveDType : int32_t { kCollF64 = 0, kCollF32 = 1, kCollI32 = 2 };
enum CollectiveOp : int32_t { kCollSum = 0, kCollMax = 1 };

struct CollectivesTable {
  uint32_t magic;
  uint32_t version;
  // Every rank first agrees on a header (did any rank fail? do all send `count` elements?), then
  // reduces `data` in place. `failed` != 0 joins the header only, so that the peers of a rank
  // whose call failed throw instead of waiting forever. Returns 0, or fills `err` and returns -1.
  int (*allreduce)(void* data, int64_t count, int32_t dtype, int32_t op, int32_t failed, char* err, size_t errLen);
  int32_t (*size)();
  int32_t (*rank)();
};

}  // namespace theanode

namespace theanode {
// Set by the main addon's setCollectives() (from the MPI addon's table), read by the kernel.
void setCollectives(const CollectivesTable* t);
const CollectivesTable* collectives();
}  // namespace theanode
