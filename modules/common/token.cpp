#include "common/token.hpp"

#include <sodium.h>

#include <array>
#include <vector>

namespace codestats::common {
namespace {

constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t at = s.find(sep, pos);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, at - pos));
    pos = at + sep.size();
  }
}

std::string hmac256(std::string_view key, std::string_view msg) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  crypto_auth_hmacsha256_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

std::string hmac512(std::string_view key, std::string_view msg) {
  std::array<unsigned char, crypto_auth_hmacsha512_BYTES> mac{};
  crypto_auth_hmacsha512_state st;
  crypto_auth_hmacsha512_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha512_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  crypto_auth_hmacsha512_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += kUrlAlphabet[(v >> 6) & 63];
    out += kUrlAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = b(i) << 16;
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += kUrlAlphabet[(v >> 6) & 63];
    if (pad) out += "=";
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  size_t end = text.size();
  size_t pads = 0;
  while (end > 0 && text[end - 1] == '=' && pads < 2) {
    --end;
    ++pads;
  }
  std::string_view body = text.substr(0, end);
  if (body.size() % 4 == 1) return std::nullopt;
  if (pads > 0 && (body.size() + pads) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    int v = decodeChar(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // leftover bits must be zero (canonical encoding)
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string generateToken(std::string_view secretKeyBase, std::string_view apiSalt, std::string_view username,
                          int64_t machineId) {
  std::string inner = base64UrlEncode(username, true) + "##" + base64UrlEncode(std::to_string(machineId), true);
  std::string signingInput = "SFMyNTY." + base64UrlEncode(inner, false);
  std::string key = std::string(secretKeyBase) + std::string(apiSalt);
  return signingInput + "." + base64UrlEncode(hmac256(key, signingInput), false);
}

std::optional<TokenClaims> parseToken(std::string_view token) {
  auto parts = split(token, ".");
  std::string_view middle;
  if (parts.size() == 3) {
    middle = parts[1];
  } else {
    size_t at = token.find("##");
    middle = at == std::string_view::npos ? token : token.substr(0, at);
  }
  auto decoded = base64Decode(middle);
  if (!decoded) return std::nullopt;
  auto pieces = split(*decoded, "##");
  if (pieces.size() != 2) return std::nullopt;
  auto user = base64Decode(pieces[0]);
  auto id = base64Decode(pieces[1]);
  if (!user || !id || id->empty() || id->size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : *id) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return TokenClaims{std::move(*user), n};
}

bool verifyTokenSignature(std::string_view token, std::string_view secretKeyBase, std::string_view apiSalt) {
  auto parts = split(token, ".");
  if (parts.size() != 3) return false;
  auto header = base64Decode(parts[0]);
  if (!header) return false;
  std::string key = std::string(secretKeyBase) + std::string(apiSalt);
  std::string_view signingInput = token.substr(0, parts[0].size() + 1 + parts[1].size());
  std::string expected;
  if (*header == "HS256") expected = hmac256(key, signingInput);
  else if (*header == "HS512") expected = hmac512(key, signingInput);
  else return false;
  sodium_memzero(key.data(), key.size());
  auto given = base64Decode(parts[2]);
  if (!given || given->size() != expected.size()) return false;
  return sodium_memcmp(given->data(), expected.data(), expected.size()) == 0;
}

}  // namespace codestats::common
