#include "program.h"

#include <cstring>

namespace theanode {

void execute(Program& p, const CallData& call) {
  Frame& f = p.frame;
  const size_t nb = p.buffers.size();
  f.ptr.resize(nb);
  // A temporary that is an output (and owns its storage) is computed straight into the array
  // handed to the caller; a failed call discards that array, so nothing is published early.
  auto& direct = p.directOutput;
  direct.assign(nb, nullptr);
  for (size_t i = 0; i < p.outputs.size(); i++) {
    const int o = p.outputs[i];
    if (p.root(o) == o && p.buffers[o].kind == Buffer::Temp && !direct[o]) direct[o] = call.outputs[i];
  }
  for (size_t b = 0; b < nb; b++) {
    const int root = p.root(static_cast<int>(b));
    const Buffer& r = p.buffers[root];
    switch (r.kind) {
      case Buffer::Input: f.ptr[b] = call.inputs[r.ref]; break;
      case Buffer::Shared: f.ptr[b] = call.shared[r.ref]; break;
      case Buffer::Const: f.ptr[b] = p.constants[r.ref].data(); break;
      case Buffer::Temp: f.ptr[b] = direct[root] ? direct[root] : p.arena[static_cast<int>(r.dtype)] + r.offset * bytesOf(r.dtype); break;
    }
  }
  for (size_t k = 0; k < p.instructions.size(); k++) {
    auto& ins = p.instructions[k];
    if (ins.skip) continue;
    try {
      ins.kernel->run(f);
    } catch (...) {
      // The collectives this call will not reach are abandoned, so no peer waits for them.
      for (size_t j = k + 1; j < p.instructions.size(); j++)
        if (!p.instructions[j].skip) p.instructions[j].kernel->abandon();
      throw;
    }
  }
  // Every instruction succeeded: publish outputs, then updates (values from before the call).
  for (size_t i = 0; i < p.outputs.size(); i++) {
    const Buffer& b = p.buffers[p.outputs[i]];
    const size_t bytes = static_cast<size_t>(b.size) * bytesOf(b.dtype);
    if (bytes && f.ptr[p.outputs[i]] != call.outputs[i]) std::memcpy(call.outputs[i], f.ptr[p.outputs[i]], bytes);
  }
  auto& snaps = p.snapshots;
  snaps.resize(p.updates.size());
  for (size_t i = 0; i < p.updates.size(); i++) {
    const Update& u = p.updates[i];
    if (!u.snapshot) continue;
    const Buffer& b = p.buffers[u.buffer];
    auto src = static_cast<const uint8_t*>(f.ptr[u.buffer]);
    snaps[i].assign(src, src + static_cast<size_t>(b.size) * bytesOf(b.dtype));
  }
  for (size_t i = 0; i < p.updates.size(); i++) {
    const Update& u = p.updates[i];
    const Buffer& b = p.buffers[u.buffer];
    const size_t bytes = static_cast<size_t>(b.size) * bytesOf(b.dtype);
    const void* src = u.snapshot ? static_cast<const void*>(snaps[i].data()) : f.ptr[u.buffer];
    if (bytes && src != call.updates[i]) std::memmove(call.updates[i], src, bytes);
  }
}

}  // namespace theanode
