// What a host hands its successor besides the listening sockets: the modules' exported
// state and the WebSockets it moves, encoded as HandoverChannel message bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::host::upgrade {

// A module's export_state blob, imported by the successor's generation before its start
// (a module reload's hand-over, across processes).
struct ModuleState {
  std::string module;
  uint32_t schema = 0;
  std::string blob;
};

// A WebSocket and the hub's state for it (ws/socket_handover); fd is owned by the holder.
struct MovedSocket {
  int fd = -1;
  std::string state;
};

std::string encodeModuleState(const ModuleState& s);
ModuleState decodeModuleState(std::string_view body);  // throws HandoverError

// The states of sockets.size() sockets whose descriptors travel with the message, in order.
std::string encodeSocketStates(const std::vector<MovedSocket>& sockets, size_t from, size_t count);
std::vector<std::string> decodeSocketStates(std::string_view body);  // throws HandoverError

}  // namespace codestats::host::upgrade
