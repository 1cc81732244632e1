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
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const KernelArgs&)>;

// Throws for an unknown opcode (checked when an executor is created).
std::unique_ptr<Kernel> makeKernel(const std::string& opcode, const KernelArgs& args);

// Each kernel family registers its opcodes here.
void registerElemwise();
void registerDot();
void registerReduce();
void registerShapeOps();
void registerIndex();
void registerSoftmax();
void registerRowPass();
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

}  // namespace theanode
