// Start-up refusal of an admin API that anyone could reach or guess: the admin API loads
// code into the process, so it listens on loopback behind a token of at least 32 bytes
// unless the operator overrides that explicitly (admin.allow_public,
// admin.allow_short_token; docs/configuration.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace codestats::host {

struct HostConfig;

inline constexpr size_t kMinAdminTokenBytes = 32;

// 127.0.0.0/8 (also IPv4-mapped), ::1 and "localhost"; anything else (0.0.0.0, ::, a host
// name, a public address) counts as reachable from elsewhere.
bool isLoopbackHost(std::string_view host);

// Empty when the admin API may start; else one line naming the key and the override.
// tokenSource says where the token came from ("admin.token", or the token file's path).
std::string adminExposureProblem(const HostConfig& config, const std::string& token, const std::string& tokenSource);

}  // namespace codestats::host
