#include "http/connection_handover.hpp"

namespace codestats::host {

namespace {

constexpr std::string_view kMagic = "CSHC";

void putStr(std::string& out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
  out.append(s);
}

bool takeStr(std::string_view& in, std::string& out) {
  if (in.size() < 4) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
  in.remove_prefix(4);
  if (in.size() < n) return false;
  out.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

}  // namespace

std::string encodeIdleConnectionState(const IdleConnectionState& state) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kIdleConnectionStateVersion));
  putStr(out, state.peerIp);
  putStr(out, state.unread);
  return out;
}

std::optional<IdleConnectionState> decodeIdleConnectionState(std::string_view blob) {
  if (blob.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  blob.remove_prefix(kMagic.size());
  if (blob.empty() || static_cast<uint8_t>(blob.front()) != kIdleConnectionStateVersion) return std::nullopt;
  blob.remove_prefix(1);
  IdleConnectionState s;
  if (!takeStr(blob, s.peerIp) || !takeStr(blob, s.unread) || !blob.empty()) return std::nullopt;
  return s;
}

}  // namespace codestats::host
