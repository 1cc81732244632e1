// Kernel registry: one factory per opcode, the same names as the TypeScript kernels in lib/ops.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../json.h"
#include "../program.h"

namespace theanode {

struct KernelArgs {
  const Json& attrs;
  std::vector<int> in, out;  // buffer ids
  std::vector<DType> inTypes, outTypes;
  std::vector<std::vector<int64_t>> inShapes, outShapes;
  // The kernel's per-shape decisions from the Plan (KernelSpec.decide), or null.
  const Json* decision = nullptr;
  // The workspaces the Plan placed for this instruction (KernelSpec.workspace); the kernel
  // checks they are the size it needs, and reads them from Frame::workspace at run time.
  std::vector<Workspace> workspace;
};

// Checks that the plan gave workspace `i` of `dtype` with at least `elements` elements.
inline void requireWorkspace(const KernelArgs& a, size_t i, DType dtype, int64_t elements, const char* kernel) {
  if (i >= a.workspace.size() || a.workspace[i].dtype != dtype || a.workspace[i].elements < elements)
    throw std::runtime_error(std::string(kernel) + ": the plan's workspace " + std::to_string(i) + " is missing or too small (needs " + std::to_string(elements) + " elements)");
}

using KernelFactory = std::function<std::unique_ptr<Kernel>(const KernelArgs&)>;

// The kernel's per-shape decision from the Plan; throws when the plan carries none.
inline const Json& decisionOf(const KernelArgs& a, const char* kernel) {
  if (!a.decision) throw std::runtime_error(std::string(kernel) + ": the plan carries no decision");
  return *a.decision;
}

// Throws for an unknown opcode (checked when an executor is created).
std::unique_ptr<Kernel> makeKernel(const std::string& opcode, const KernelArgs& args);

// The opcodes and scalar ops this build implements; the loader compares them with TypeScript's.
std::vector<std::string> registeredOpcodes();
std::vector<std::string> scalarOpNames();

// Each kernel family registers its opcodes here.
void registerElemwise();
void registerDot();
void registerReduce();
void registerShapeOps();
void registerIndex();
void registerSoftmax();
void registerRowPass();
void registerGemm();
void registerXent();
void registerCumulative();
void registerSort();
void registerAlloc();
void registerConv();
void registerPool2d();
void registerLoop();
void registerRandom();
void registerAllreduce();
void registerKernel(const std::string& opcode, KernelFactory f);

inline int64_t sizeOf(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

inline std::vector<int64_t> stridesOf(const std::vector<int64_t>& s) {
  std::vector<int64_t> st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

// Flat offsets of every index of `shape` read with `strides` (0 on broadcast axes), in C order.
inline std::vector<int64_t> offsetsOf(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  std::vector<int64_t> out(static_cast<size_t>(sizeOf(shape)));
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t o = 0;
  for (size_t k = 0; k < out.size(); k++) {
    out[k] = o;
    for (size_t ax = shape.size(); ax-- > 0;) {
      idx[ax]++;
      o += strides[ax];
      if (idx[ax] < shape[ax]) break;
      o -= strides[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

// Strides for reading `shape` as if broadcast to `target` (right-aligned; 0 where stretched).
inline std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& target) {
  std::vector<int64_t> bs(target.size(), 0);
  auto st = stridesOf(shape);
  size_t off = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); i++) bs[off + i] = shape[i] == 1 ? 0 : st[i];
  return bs;
}

}  // namespace theanode
