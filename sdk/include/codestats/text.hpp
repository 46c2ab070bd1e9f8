// Small text helpers shared by modules and the host (header-only, no dependencies):
// percent-decoding of URLs and form bodies, and strict UTF-8 validation.
// Inline functions without static locals: safe in modules built with -fno-gnu-unique.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace codestats {

// The value of one hex digit, or -1.
inline int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding: %XX becomes a byte (a malformed escape is kept as it is), and with
// plusIsSpace (application/x-www-form-urlencoded, query strings) '+' becomes a space.
// The result may be any bytes: validate it (validUtf8) before treating it as text.
inline std::string urlDecode(std::string_view s, bool plusIsSpace = true) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plusIsSpace) {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hexDigitValue(s[i + 1]) >= 0 && hexDigitValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexDigitValue(s[i + 1]) * 16 + hexDigitValue(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing beyond U+10FFFF.
// Counts the code points into *codePoints when given.
inline bool validUtf8(std::string_view s, size_t* codePoints = nullptr) {
  size_t i = 0, n = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      ++n;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
    ++n;
  }
  if (codePoints) *codePoints = n;
  return true;
}

}  // namespace codestats
