// What one established WebSocket carries from a host to its successor (issue #19): the
// opaque state blob that travels with the socket's descriptor, written by
// ChannelHub::detachAll and read by ChannelHub::adopt. Pure code, no sockets.
//
// Format (version 1), integers big-endian, str = u32 length + bytes:
//   "CSWS"  u8 version (1)  u8 serializer (1 = V1, 2 = V2)
//   str identity  str remote
//   u32 joins, then per join: str topic  str joinRef  str module  str assigns
//   str unsentOutput   server frames not yet written, from the first unsent byte
//   str partialInput   client frames received but not yet a message (FrameDecoder::unconsumed)
// Nothing may follow. A blob of another version is refused, not guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ws/phoenix_message.hpp"

namespace codestats::host::ws {

inline constexpr uint8_t kSocketStateVersion = 1;

struct JoinState {
  std::string topic;
  std::string joinRef;
  std::string module;   // the module that accepted the join
  std::string assigns;  // what its join handler returned, kept for its event and leave calls
};

struct SocketState {
  Serializer serializer = Serializer::V2;
  std::string identity;
  std::string remote;
  std::vector<JoinState> joins;
  std::string unsentOutput;
  std::string partialInput;
};

std::string encodeSocketState(const SocketState& state);
// nullopt for anything that is not a complete version-1 blob.
std::optional<SocketState> decodeSocketState(std::string_view blob);

}  // namespace codestats::host::ws
