#include "decode.h"

#include <stdexcept>
#include <string>

#include "kernels/registry.h"

namespace theanode {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw std::runtime_error("executor: " + msg); }

int64_t intOf(const Json& v, const char* what) {
  if (v.type != Json::Number) fail(std::string(what) + " must be a number");
  const double d = v.num;
  if (!(d >= -9.0e15 && d <= 9.0e15) || d != static_cast<double>(static_cast<int64_t>(d))) fail(std::string(what) + " must be an integer");
  return static_cast<int64_t>(d);
}

std::vector<int> bufferList(const Json& v, size_t limit, const char* what) {
  if (v.type != Json::Array) fail(std::string(what) + " must be an array");
  std::vector<int> out;
  for (const Json& x : v.arr) {
    const int64_t b = intOf(x, what);
    if (b < 0 || static_cast<size_t>(b) >= limit) fail(std::string(what) + " refers to a missing buffer");
    out.push_back(static_cast<int>(b));
  }
  return out;
}

const Json& arrayOf(const Json& o, const char* key, size_t length, const char* what) {
  const Json& a = o[key];
  if (a.type != Json::Array || (length != SIZE_MAX && a.size() != length)) fail(what);
  return a;
}

// One instruction's workspaces (null: none), each inside the arena of its dtype.
std::vector<Workspace> workspacesOf(const Json& v, const int64_t arenaElements[4], size_t k) {
  std::vector<Workspace> out;
  if (v.isNull()) return out;
  const std::string where = "instruction " + std::to_string(k) + ": ";
  if (v.type != Json::Array) fail(where + "its workspace must be an array or null");
  for (const Json& w : v.arr) {
    if (w.type != Json::Object) fail(where + "a workspace must be {dtype, offset, elements}");
    if (!w.has("dtype") || w["dtype"].type != Json::String) fail(where + "a workspace needs a dtype");
    Workspace ws{parseDType(w["dtype"].str), intOf(w["offset"], "workspace offset"), intOf(w["elements"], "workspace size")};
    if (ws.offset < 0 || ws.elements < 0 || ws.offset > arenaElements[static_cast<int>(ws.dtype)] - ws.elements) fail(where + "a workspace does not fit its arena");
    out.push_back(ws);
  }
  return out;
}

}  // namespace

void decodeProgram(const Json& prog, const Json& plan, std::vector<std::vector<uint8_t>> constants, Program& out, int64_t arenaElements[4]) {
  const Json& bufs = arrayOf(prog, "buffers", SIZE_MAX, "the program's buffers must be an array");
  const size_t nb = bufs.size();
  out.bound = false;  // its buffers are about to change
  const Json& shapes = arrayOf(plan, "shapes", nb, "plan does not match the program's buffers");
  const Json& offsets = arrayOf(plan, "offsets", nb, "plan does not match the program's buffers");
  const Json& alias = arrayOf(plan, "alias", nb, "plan does not match the program's buffers");
  const Json& arena = plan["arena"];
  for (DType d : {DType::F64, DType::F32, DType::I32, DType::BOOL}) {
    const char* name = dtypeName(d);
    arenaElements[static_cast<int>(d)] = arena.has(name) ? intOf(arena[name], "arena size") : 0;
    if (arenaElements[static_cast<int>(d)] < 0) fail("negative arena size");
  }
  for (size_t i = 0; i < nb; i++) {
    const Json& o = bufs[i];
    Buffer b{};
    b.dtype = parseDType(o["dtype"].str);
    const std::string& kind = o["kind"].str;
    b.kind = kind == "input" ? Buffer::Input : kind == "shared" ? Buffer::Shared : kind == "const" ? Buffer::Const : kind == "temp" ? Buffer::Temp : (fail("unknown buffer kind " + kind), Buffer::Temp);
    b.ref = static_cast<int>(intOf(o["ref"], "buffer ref"));
    b.alias = static_cast<int>(intOf(alias[i], "alias"));
    b.offset = intOf(offsets[i], "offset");
    const Json& s = shapes[i];
    if (s.type != Json::Array) fail("a buffer's shape must be an array");
    b.size = 1;
    for (const Json& dim : s.arr) {
      const int64_t d = intOf(dim, "shape");
      if (d < 0) fail("negative dimension");
      b.shape.push_back(d);
      b.size *= d;
    }
    out.buffers.push_back(b);
  }
  // Views must point at a root of the same dtype that is at least as large; temps must fit their arena.
  for (size_t i = 0; i < nb; i++) {
    const Buffer& b = out.buffers[i];
    if (b.alias >= 0) {
      if (static_cast<size_t>(b.alias) >= nb || out.buffers[b.alias].alias >= 0 || out.buffers[b.alias].dtype != b.dtype || out.buffers[b.alias].size < b.size) fail("invalid view in the plan");
      continue;
    }
    if (b.kind == Buffer::Temp && (b.offset < 0 || b.offset + b.size > arenaElements[static_cast<int>(b.dtype)])) fail("a temporary does not fit its arena");
    if (b.kind == Buffer::Const) {
      if (b.ref < 0 || static_cast<size_t>(b.ref) >= constants.size()) fail("missing constant");
      if (static_cast<int64_t>(constants[b.ref].size()) != b.size * static_cast<int64_t>(bytesOf(b.dtype))) fail("a constant's size does not match its shape");
    }
  }
  out.constants = std::move(constants);
  out.inputs = bufferList(prog["inputs"], nb, "inputs");
  out.shared = bufferList(prog["shared"], nb, "shared");
  out.outputs = bufferList(prog["outputs"], nb, "outputs");
  const Json& ups = arrayOf(prog, "updates", SIZE_MAX, "updates must be an array");
  const Json& snap = arrayOf(plan, "snapshot", ups.size(), "plan does not match the program's updates");
  for (size_t i = 0; i < ups.size(); i++) {
    const int buffer = static_cast<int>(intOf(ups[i]["buffer"], "update buffer"));
    const int slot = static_cast<int>(intOf(ups[i]["shared"], "update slot"));
    if (buffer < 0 || static_cast<size_t>(buffer) >= nb) fail("update refers to a missing buffer");
    if (slot < 0 || static_cast<size_t>(slot) >= out.shared.size()) fail("update refers to a missing shared variable");
    out.updates.push_back({slot, buffer, snap[i].truthy()});
    out.updateBuffers.push_back(buffer);
  }
  const Json& instrs = arrayOf(prog, "instructions", SIZE_MAX, "instructions must be an array");
  const Json& skip = arrayOf(plan, "skip", instrs.size(), "plan does not match the program's instructions");
  const Json& decisions = arrayOf(plan, "decisions", instrs.size(), "plan does not match the program's instructions");
  // A plan without workspaces gives none to any instruction.
  const Json* work = plan.has("workspace") ? &arrayOf(plan, "workspace", instrs.size(), "plan does not match the program's instructions") : nullptr;
  for (size_t k = 0; k < instrs.size(); k++) {
    const Json& o = instrs[k];
    Instruction ins;
    ins.opcode = o["opcode"].str;
    ins.in = bufferList(o["inputs"], nb, "instruction inputs");
    ins.out = bufferList(o["outputs"], nb, "instruction outputs");
    ins.skip = skip[k].truthy();
    const Json& decision = decisions[k];
    if (work) ins.workspace = workspacesOf((*work)[k], arenaElements, k);
    ins.workPtr.assign(ins.workspace.size(), nullptr);
    KernelArgs args{o["attrs"], ins.in, ins.out, {}, {}, {}, {}, decision.isNull() ? nullptr : &decision, ins.workspace};
    for (int b : ins.in) {
      args.inTypes.push_back(out.buffers[b].dtype);
      args.inShapes.push_back(out.buffers[b].shape);
    }
    for (int b : ins.out) {
      args.outTypes.push_back(out.buffers[b].dtype);
      args.outShapes.push_back(out.buffers[b].shape);
    }
    try {
      // Views run nothing, but the opcode must still be known.
      ins.kernel = makeKernel(ins.opcode, args);
    } catch (const std::exception& e) {
      throw std::runtime_error("instruction " + std::to_string(k) + " (" + ins.opcode + "): " + e.what());
    }
    out.instructions.push_back(std::move(ins));
  }
}

std::vector<std::vector<uint8_t>> constantsFromJson(const Json& list) {
  std::vector<std::vector<uint8_t>> out;
  if (list.type != Json::Array) fail("constants must be an array");
  for (const Json& c : list.arr) {
    const DType d = parseDType(c["dtype"].str);
    const Json& data = c["data"];
    if (data.type != Json::Array) fail("a constant's data must be an array");
    std::vector<uint8_t> bytes(data.size() * bytesOf(d));
    for (size_t i = 0; i < data.size(); i++) store(d, bytes.data(), static_cast<int64_t>(i), data[i].number());
    out.push_back(std::move(bytes));
  }
  return out;
}

}  // namespace theanode
