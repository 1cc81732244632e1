#include "registry.h"

#include <map>
#include <mutex>
#include <stdexcept>

namespace theanode {

static std::map<std::string, KernelFactory>& table() {
  static std::map<std::string, KernelFactory> t;
  return t;
}

void registerKernel(const std::string& opcode, KernelFactory f) { table()[opcode] = std::move(f); }

std::unique_ptr<Kernel> makeKernel(const std::string& opcode, const KernelArgs& args) {
  static std::once_flag once;
  std::call_once(once, [] {
    registerElemwise();
    registerDot();
    registerReduce();
    registerShapeOps();
    registerIndex();
    registerSoftmax();
    registerRowPass();
    registerGemm();
    registerXent();
    registerConv();
    registerPool2d();
  });
  auto it = table().find(opcode);
  if (it == table().end()) throw std::runtime_error("the native backend has no kernel for opcode '" + opcode + "'");
  return it->second(args);
}

}  // namespace theanode
