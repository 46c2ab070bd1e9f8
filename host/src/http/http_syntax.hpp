// The small pieces of HTTP grammar (RFC 9110 section 5) the host's strict parsers share:
// tokens, field values, optional white space, comma-separated lists. Pure, header-only.
#pragma once

#include <string_view>

namespace codestats::host {

// tchar: visible ASCII except the delimiters "(),/:;<=>?@[\]{}
constexpr bool isTokenChar(char c) {
  if (c <= 32 || c >= 127) return false;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
    case '{':
    case '}': return false;
    default: return true;
  }
}

constexpr bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!isTokenChar(c)) return false;
  return true;
}

// A field value: visible bytes, spaces, tabs and obs-text; no other control byte (NUL, CR, LF).
constexpr bool isFieldValue(std::string_view s) {
  for (char c : s)
    if ((static_cast<unsigned char>(c) < 32 && c != '\t') || c == 127) return false;
  return true;
}

constexpr bool isOws(char c) { return c == ' ' || c == '\t'; }

constexpr std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f with each non-empty element of a #list value, white space trimmed.
template <class F>
void forEachListElement(std::string_view value, F&& f) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view element = trimOws(value.substr(0, comma));
    if (!element.empty()) f(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace codestats::host
