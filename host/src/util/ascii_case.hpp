// Case-insensitive comparison of ASCII text (HTTP field names, tokens): locale-free, so a
// byte outside A-Z is compared as it is.
#pragma once

#include <string_view>

namespace codestats::host {

constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool equalsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  return true;
}

}  // namespace codestats::host
