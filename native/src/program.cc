#include "program.h"

#include <cstring>

namespace theanode {

namespace {

// Pointers that do not depend on the call, and the list of those that do (see Program::perCall).
void bindOnce(Program& p) {
  Frame& f = p.frame;
  const size_t nb = p.buffers.size();
  f.ptr.assign(nb, nullptr);
  // A temporary that is an output (and owns its storage) is computed straight into the array
  // handed to the caller; a failed call discards that array, so nothing is published early.
  std::vector<int> direct(nb, -1);
  for (size_t i = 0; i < p.outputs.size(); i++) {
    const int o = p.outputs[i];
    if (p.root(o) == o && p.buffers[o].kind == Buffer::Temp && direct[o] < 0) direct[o] = static_cast<int>(i);
  }
  p.perCall.clear();
  for (size_t b = 0; b < nb; b++) {
    const int root = p.root(static_cast<int>(b));
    const Buffer& r = p.buffers[root];
    const int bi = static_cast<int>(b);
    switch (r.kind) {
      case Buffer::Input: p.perCall.push_back({bi, Program::Binding::Input, r.ref}); break;
      case Buffer::Shared: p.perCall.push_back({bi, Program::Binding::Shared, r.ref}); break;
      case Buffer::Const: f.ptr[b] = p.constants[r.ref].data(); break;
      case Buffer::Temp:
        if (direct[root] >= 0) p.perCall.push_back({bi, Program::Binding::Output, direct[root]});
        else f.ptr[b] = p.arena[static_cast<int>(r.dtype)] + r.offset * bytesOf(r.dtype);
        break;
    }
  }
  for (int d = 0; d < 4; d++) p.boundArena[d] = p.arena[d];
  p.bound = true;
}

}  // namespace

void execute(Program& p, const CallData& call) {
  Frame& f = p.frame;
  if (!p.bound || f.ptr.size() != p.buffers.size() || std::memcmp(p.boundArena, p.arena, sizeof p.arena) != 0) bindOnce(p);
  for (const Program::Binding& b : p.perCall) {
    switch (b.from) {
      case Program::Binding::Input: f.ptr[b.buffer] = call.inputs[b.ref]; break;
      case Program::Binding::Shared: f.ptr[b.buffer] = call.shared[b.ref]; break;
      case Program::Binding::Output: f.ptr[b.buffer] = call.outputs[b.ref]; break;
    }
  }
  for (size_t k = 0; k < p.instructions.size(); k++) {
    auto& ins = p.instructions[k];
    if (ins.skip) continue;
    for (size_t i = 0; i < ins.workspace.size(); i++) {
      const Workspace& w = ins.workspace[i];
      ins.workPtr[i] = p.arena[static_cast<int>(w.dtype)] + w.offset * bytesOf(w.dtype);
    }
    f.work = &ins.workPtr;
    try {
      ins.kernel->run(f);
    } catch (...) {
      f.work = nullptr;
      // The collectives this call will not reach are abandoned, so no peer waits for them.
      for (size_t j = k + 1; j < p.instructions.size(); j++)
        if (!p.instructions[j].skip) p.instructions[j].kernel->abandon();
      throw;
    }
  }
  f.work = nullptr;
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
