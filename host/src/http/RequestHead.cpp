#include "http/RequestHead.hpp"

#include <charconv>

#include "util/AsciiCase.hpp"

namespace codestatsd {
namespace {

bool isTokenChar(char c) {
  if (c <= 32 || c >= 127) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\': case '"':
    case '/': case '[': case ']': case '?': case '=': case '{': case '}':
      return false;
    default:
      return true;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

HeadStatus parseRequestHead(std::string_view input, RequestHead& out) {
  const size_t end = input.find("\r\n\r\n");
  if (end == std::string_view::npos) return input.size() > kMaxFastHead ? HeadStatus::HandOff : HeadStatus::Incomplete;
  if (end + 4 > kMaxFastHead) return HeadStatus::HandOff;
  out = RequestHead{};
  out.headLength = end + 4;
  std::string_view head = input.substr(0, end + 2);  // every line ends in CRLF

  // Request line: METHOD SP target SP HTTP/1.x, single spaces, no control bytes.
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return HeadStatus::HandOff;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (out.method.empty() || out.method.size() > 32 || out.target.empty() || out.target.front() != '/')
    return HeadStatus::HandOff;
  for (char c : out.method)
    if (c < 'A' || c > 'Z') return HeadStatus::HandOff;
  for (char c : out.target)
    if (c <= 32 || c >= 127) return HeadStatus::HandOff;
  if (version == "HTTP/1.0") out.http10 = true;
  else if (version != "HTTP/1.1") return HeadStatus::HandOff;

  bool host = false, lengthSeen = false;
  std::string_view connection;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos && !line.empty() && line.front() != ' ' && line.front() != '\t')
      return HeadStatus::Malformed;
    if (colon == std::string_view::npos || colon == 0) return HeadStatus::HandOff;
    const std::string_view name = line.substr(0, colon);
    // Poco's limits (names 256 bytes, values 8 KiB): longer ones get its 400.
    if (name.size() > 256 || line.size() - colon - 1 > 8192) return HeadStatus::HandOff;
    for (char c : name)
      if (!isTokenChar(c)) return HeadStatus::HandOff;  // also catches obs-fold (leading space)
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((c < 32 && c != '\t') || c == 127) return HeadStatus::HandOff;
    if (equalsIgnoringAsciiCase(name, "content-length")) {
      if (lengthSeen || value.empty()) return HeadStatus::HandOff;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out.contentLength);
      if (ec != std::errc() || p != value.data() + value.size() || out.contentLength < 0) return HeadStatus::HandOff;
      lengthSeen = true;
    } else if (equalsIgnoringAsciiCase(name, "transfer-encoding") || equalsIgnoringAsciiCase(name, "expect") || equalsIgnoringAsciiCase(name, "upgrade")) {
      return HeadStatus::HandOff;  // chunked bodies, 100-continue and upgrades: the full path
    } else if (equalsIgnoringAsciiCase(name, "connection")) {
      if (!connection.empty()) return HeadStatus::HandOff;
      connection = value;
    } else if (equalsIgnoringAsciiCase(name, "host")) {
      host = true;
    }
    out.headers.emplace_back(name, value);
    if (out.headers.size() > 100) return HeadStatus::HandOff;
  }
  if (!out.http10 && !host) return HeadStatus::HandOff;  // the full path answers 400
  // Poco's rule: HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 closes it
  // unless "Connection: keep-alive". Any other token list: the full path decides.
  if (connection.empty()) out.keepAlive = !out.http10;
  else if (equalsIgnoringAsciiCase(connection, "close")) out.keepAlive = false;
  else if (equalsIgnoringAsciiCase(connection, "keep-alive")) out.keepAlive = true;
  else return HeadStatus::HandOff;
  return HeadStatus::Complete;
}

}  // namespace codestatsd
