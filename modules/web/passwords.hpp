// Password hashing: argon2id (libsodium) for new hashes; bcrypt ($2a$/$2b$/$2y$, libxcrypt)
// verified for hashes imported from an original Code::Stats instance, rehashed at login.
// Pure logic: no SDK, unit-tested in tests/passwords_test.cpp.
#pragma once

#include <string>
#include <string_view>

namespace codestats::web {

// An argon2id hash in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
std::string hashPassword(std::string_view password);

// Constant-time verification against an argon2id or bcrypt hash; false for anything else.
bool verifyPassword(std::string_view password, std::string_view hash);

// Whether a verified hash should be replaced (bcrypt, or argon2id with weaker parameters).
bool needsRehash(std::string_view hash);

// The same work as a real verification, for unknown users (login timing, spec §7.3).
void dummyVerify(std::string_view password);

}  // namespace codestats::web
