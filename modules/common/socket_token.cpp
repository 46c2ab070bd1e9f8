#include "common/socket_token.hpp"

#include <sodium.h>

#include <vector>

namespace codestats::common {
namespace {

constexpr std::string_view kKeyContext = "codestats socket token v1";

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::optional<std::string> unb64url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

// A key for this purpose only, so a socket token can never double as another signature.
std::string derivedKey(std::string_view secret) {
  unsigned char key[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(kKeyContext.data()), kKeyContext.size());
  crypto_auth_hmacsha256_final(&st, key);
  return std::string(reinterpret_cast<char*>(key), sizeof key);
}

std::string mac(std::string_view secret, std::string_view message) {
  std::string key = derivedKey(secret);
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&st, out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace

std::string signSocketToken(std::string_view secret, std::string_view username, int64_t issuedMs) {
  std::string signedPart = "v1." + b64url(username) + "." + std::to_string(issuedMs);
  return signedPart + "." + b64url(mac(secret, signedPart));
}

std::optional<std::string> verifySocketToken(std::string_view secret, std::string_view token, int64_t nowMs) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 4 || parts[0] != "v1" || parts[2].empty() || parts[2].size() > 15) return std::nullopt;
  int64_t issued = 0;
  for (char c : parts[2]) {
    if (c < '0' || c > '9') return std::nullopt;
    issued = issued * 10 + (c - '0');
  }
  auto sig = unb64url(parts[3]);
  if (!sig || sig->size() != crypto_auth_hmacsha256_BYTES) return std::nullopt;
  std::string expected = mac(secret, token.substr(0, token.size() - parts[3].size() - 1));
  if (sodium_memcmp(expected.data(), sig->data(), expected.size()) != 0) return std::nullopt;
  if (issued > nowMs + 60000 || nowMs - issued > kSocketTokenMaxAgeMs) return std::nullopt;
  auto user = unb64url(parts[1]);
  if (!user || user->empty()) return std::nullopt;
  return user;
}

}  // namespace codestats::common
