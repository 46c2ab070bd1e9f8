#include "upgrade/handover_messages.hpp"

#include <cstring>

#include "upgrade/handover_channel.hpp"

namespace codestats::host::upgrade {

namespace {

void putU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

uint32_t takeU32(std::string_view& in) {
  if (in.size() < sizeof(uint32_t)) throw HandoverError("truncated handover message");
  uint32_t v;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return v;
}

std::string_view takeBytes(std::string_view& in) {
  uint32_t n = takeU32(in);
  if (in.size() < n) throw HandoverError("truncated handover message");
  std::string_view s = in.substr(0, n);
  in.remove_prefix(n);
  return s;
}

}  // namespace

std::string encodeModuleState(const ModuleState& s) {
  std::string out;
  putU32(out, static_cast<uint32_t>(s.module.size()));
  out += s.module;
  putU32(out, s.schema);
  out += s.blob;  // the rest of the body
  return out;
}

ModuleState decodeModuleState(std::string_view body) {
  ModuleState s;
  s.module = std::string(takeBytes(body));
  s.schema = takeU32(body);
  s.blob = std::string(body);
  return s;
}

std::string encodeSocketStates(const std::vector<MovedSocket>& sockets, size_t from, size_t count) {
  std::string out;
  putU32(out, static_cast<uint32_t>(count));
  for (size_t i = from; i < from + count; ++i) {
    putU32(out, static_cast<uint32_t>(sockets[i].state.size()));
    out += sockets[i].state;
  }
  return out;
}

std::vector<std::string> decodeSocketStates(std::string_view body) {
  uint32_t n = takeU32(body);
  std::vector<std::string> states;
  states.reserve(n);
  for (uint32_t i = 0; i < n; ++i) states.emplace_back(takeBytes(body));
  if (!body.empty()) throw HandoverError("trailing bytes in a handover message");
  return states;
}

}  // namespace codestats::host::upgrade
