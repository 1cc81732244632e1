// A Program and its Plan, decoded once from the JavaScript objects, and the executor core that
// binds buffers, runs the instructions and commits outputs and updates.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dtype.h"

namespace theanode {

struct Buffer {
  DType dtype;
  enum Kind : uint8_t { Input, Shared, Const, Temp } kind;
  int ref;          // input / shared / constant index
  int alias;        // buffer owning the storage (views), or -1
  int64_t offset;   // element offset in the arena of its dtype (temps)
  std::vector<int64_t> shape;
  int64_t size;
};

// Everything a kernel may read at run time: pointers of the buffers bound for this call, and
// the running instruction's workspaces (Plan.workspace) in the order its kernel declared them.
struct Frame {
  std::vector<void*> ptr;
  const std::vector<void*>* work = nullptr;

  void* workspace(size_t i) const {
    if (!work || i >= work->size()) throw std::runtime_error("kernel: the plan gives this instruction no workspace " + std::to_string(i));
    return (*work)[i];
  }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // May throw std::runtime_error (e.g. an index out of bounds); nothing is committed then.
  virtual void run(Frame& f) = 0;
  // A collective whose call failed before reaching it joins its peers with a failure flag, so
  // they throw instead of waiting (collectives.h); other kernels do nothing.
  virtual void abandon() {}
};

// Scratch of one instruction, live only while it runs: `elements` from element `offset` of the
// arena of `dtype` (checked to fit when the plan is decoded).
struct Workspace {
  DType dtype;
  int64_t offset, elements;
};

struct Instruction {
  std::string opcode;
  std::vector<int> in, out;
  std::vector<Workspace> workspace;
  std::vector<void*> workPtr;  // resolved in the arena on each call
  bool skip = false;
  std::unique_ptr<Kernel> kernel;
};

struct Update {
  int shared;
  int buffer;
  bool snapshot;
};

struct Program {
  std::vector<Buffer> buffers;
  std::vector<Instruction> instructions;
  std::vector<std::vector<uint8_t>> constants;
  std::vector<int> inputs, shared, outputs;
  std::vector<Update> updates;
  std::vector<int> updateBuffers;  // updates[i].buffer, as a list
  uint8_t* arena[4] = {};          // one region per dtype, inside the executor's ArrayBuffer
  Frame frame;                     // reused by every call (calls are serialised)
  std::vector<std::vector<uint8_t>> snapshots;
  // Bindings made once per arena: constants and arena temporaries keep their pointers from call
  // to call (a loop body runs thousands of times a call), so a call binds only the buffers that
  // read the caller's arrays (inputs, shared storage, outputs computed in place).
  struct Binding {
    int buffer;
    enum From : uint8_t { Input, Shared, Output } from;
    int ref;
  };
  std::vector<Binding> perCall;
  uint8_t* boundArena[4] = {};
  bool bound = false;

  int root(int b) const { return buffers[b].alias >= 0 ? buffers[b].alias : b; }
};

// Raw storage the caller binds for one call (validated against the plan before use).
struct CallData {
  std::vector<void*> inputs, shared, outputs, updates;
};

// Run all instructions, then copy outputs and write updates. Throws before committing anything.
void execute(Program& p, const CallData& call);

}  // namespace theanode
