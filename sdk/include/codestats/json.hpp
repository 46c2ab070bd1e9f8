// Small JSON text helpers shared by modules and the host (header-only, no dependencies).
// Inline functions without static locals: safe in modules built with -fno-gnu-unique.
#pragma once

#include <string>
#include <string_view>

namespace codestats {

// `s` as a quoted JSON string, with quotes, backslashes and control characters escaped.
inline std::string jsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += "0123456789abcdef"[(c >> 4) & 0xf];
          out += "0123456789abcdef"[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace codestats
