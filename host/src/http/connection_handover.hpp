// What an idle keep-alive connection of the public port carries from a host to its
// successor during an upgrade (docs/operations.md, "Upgrading the host"), beside its
// descriptor: written by the old host's EventServer while it drains, read by the new one's
// EventServer::adopt. Pure code, no sockets.
//
// Format (version 1), integers big-endian, str = u32 length + bytes:
//   "CSHC"  u8 version (1)
//   str peerIp   the address the connection was accepted from (X-Forwarded-For is per request)
//   str unread   bytes read from the client but not yet a request (half a request)
// Nothing may follow. A blob of another version is refused, not guessed at. Deadlines are
// not carried: they restart on the new host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codestats::host {

inline constexpr uint8_t kIdleConnectionStateVersion = 1;

struct IdleConnectionState {
  std::string peerIp;
  std::string unread;
};

std::string encodeIdleConnectionState(const IdleConnectionState& state);
// nullopt for anything that is not a complete version-1 blob.
std::optional<IdleConnectionState> decodeIdleConnectionState(std::string_view blob);

}  // namespace codestats::host
