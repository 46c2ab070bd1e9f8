#include "util/random.hpp"

#include <sys/random.h>

#include <stdexcept>

namespace codestats::host {

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<size_t>(r);
  }
  return out;
}

std::string randomHex(size_t bytes) {
  static const char* digits = "0123456789abcdef";
  std::string raw = randomBytes(bytes), out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string randomBase64Url(size_t bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string raw = randomBytes(bytes), out;
  size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    unsigned v = (unsigned char)raw[i] << 16 | (unsigned char)raw[i + 1] << 8 | (unsigned char)raw[i + 2];
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (i < raw.size()) {
    unsigned v = (unsigned char)raw[i] << 16 | (i + 1 < raw.size() ? (unsigned char)raw[i + 1] << 8 : 0);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (i + 1 < raw.size()) out += alphabet[v >> 6 & 63];
  }
  return out;
}

}  // namespace codestats::host
