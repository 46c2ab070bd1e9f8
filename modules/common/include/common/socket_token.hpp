// Socket tokens: what a page hands the Phoenix client (`token` query parameter) so that the
// live-update socket knows who is connecting. Signed with a key derived from the host's
// secret_key_base, valid for 90 days (spec §6.1: the format is ours to choose, only this
// server issues and checks it). web signs them, the channels module verifies them.
//
//   v1.<base64url(username)>.<issued unix ms>.<base64url(HMAC-SHA256(key, "v1.<b64>.<ms>"))>
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codestats::common {

constexpr int64_t kSocketTokenMaxAgeMs = int64_t(90) * 24 * 3600 * 1000;

std::string signSocketToken(std::string_view secretKeyBase, std::string_view username, int64_t issuedMs);

// The username, or nullopt for a malformed, forged, expired or future token.
std::optional<std::string> verifySocketToken(std::string_view secretKeyBase, std::string_view token, int64_t nowMs);

}  // namespace codestats::common
