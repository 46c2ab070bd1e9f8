// What a host hands its successor besides the listening sockets: the modules' exported
// state, the WebSockets and the idle HTTP keep-alive connections it moves, encoded as
// HandoverChannel message bodies.
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

// Idle HTTP keep-alive connections move after "done", while the old host drains: a
// successor that takes them says this word in its "ready" body, and its predecessor, when it
// will send them, in its "sockets-end" body. Either end of another version leaves them out
// (an older successor sends an empty "ready" and ignores the "sockets-end" body).
inline constexpr std::string_view kHttpConnectionsFollow = "http-connections";

// A WebSocket and the hub's state for it (ws/socket_handover), or an HTTP connection and
// the public server's (http/connection_handover); fd is owned by the holder.
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
