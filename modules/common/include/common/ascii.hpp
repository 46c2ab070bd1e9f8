// ASCII text helpers, independent of the locale: what modules used to copy into their own
// files (lower-casing keys and names, trimming header values and user input).
// The predicates are constexpr inline (no static locals: safe with -fno-gnu-unique); the
// rest is compiled once in the common library.
#pragma once

#include <string>
#include <string_view>

namespace codestats::common {

// '0'-'9'.
constexpr bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }
// ' ', '\t', '\n', '\v', '\f', '\r': what std::isspace accepts in the "C" locale.
constexpr bool isAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// 'A'-'Z' become 'a'-'z'; every other byte (UTF-8 included) is kept.
std::string lowerAscii(std::string_view s);

// Without leading and trailing isAsciiSpace characters.
std::string_view trimAsciiSpace(std::string_view s);

// Without leading and trailing spaces and tabs: HTTP's optional whitespace (OWS, RFC 9110
// §5.6.3) around header list items, media types and form values.
std::string_view trimSpaceTab(std::string_view s);

}  // namespace codestats::common
