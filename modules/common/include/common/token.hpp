// Machine API tokens (spec codestats.md §3.1): Plug.Crypto MessageVerifier with HS256,
// key = secret_key_base ++ machine api_salt, payload = b64url(username) "##" b64url(machine id).
// Pure logic (libsodium only): the ingest module verifies tokens, web generates them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codestats::common {

// Base64 with the URL-safe alphabet; `pad` adds '=' padding.
std::string base64UrlEncode(std::string_view bytes, bool pad);
// Decodes base64 in either alphabet ('+/' or '-_'), padding optional; nullopt on bad input.
std::optional<std::string> base64Decode(std::string_view text);

// The token the original server would show for this user and machine.
std::string generateToken(std::string_view secretKeyBase, std::string_view apiSalt, std::string_view username,
                          int64_t machineId);

// The claimed identity inside a token, before the signature is checked (step 1-3 of §3.1).
struct TokenClaims {
  std::string username;
  int64_t machineId = 0;
};
std::optional<TokenClaims> parseToken(std::string_view token);

// Step 6 of §3.1: the signature over part1.part2 with key secret ++ salt, compared in
// constant time. Accepts HS256 and HS512 headers (HS384 is not offered by libsodium and
// the original never issued it).
bool verifyTokenSignature(std::string_view token, std::string_view secretKeyBase, std::string_view apiSalt);

}  // namespace codestats::common
