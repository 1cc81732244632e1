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

static void registerAll() {
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
    registerCumulative();
    registerSort();
    registerAlloc();
    registerConv();
    registerPool2d();
    registerLoop();
    registerRandom();
    registerAllreduce();
  });
}

std::vector<std::string> registeredOpcodes() {
  registerAll();
  std::vector<std::string> out;
  for (auto& [name, f] : table()) out.push_back(name);
  return out;
}

std::unique_ptr<Kernel> makeKernel(const std::string& opcode, const KernelArgs& args) {
  registerAll();
  auto it = table().find(opcode);
  if (it == table().end()) throw std::runtime_error("the native backend has no kernel for opcode '" + opcode + "'");
  return it->second(args);
}

}  // namespace theanode
