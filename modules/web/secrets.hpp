// Random tokens and their stored form: session, remember-me and CSRF tokens, password
// reset UUIDs. Tokens are stored only as SHA-256 digests, so a leaked table grants nothing.
// Pure logic (libsodium): no SDK, unit-tested in tests/secrets_test.cpp.
#pragma once

#include <string>
#include <string_view>

namespace codestats::web {

// `bytes` random bytes as unpadded base64url (32 bytes -> 43 characters).
std::string randomToken(size_t bytes = 32);
// A random version-4 UUID, lower-case hex with dashes.
std::string randomUuid();
// Whether `s` is a UUID in the 8-4-4-4-12 hex form (either case).
bool isUuid(std::string_view s);
// Lower-case hex SHA-256 of `s`.
std::string sha256Hex(std::string_view s);
// Constant-time equality (length leaks, content does not).
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace codestats::web
