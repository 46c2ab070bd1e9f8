// A strict reader of HTTP/1.x request heads (RFC 9112 sections 2-6), pure logic, no I/O.
// Both lanes of the public port use it: the event loop's fast lane reads the plain form
// itself (request line, "Name: value" fields, a Content-Length body or none) and hands any
// other valid form (chunked bodies, Expect, upgrades, large heads) to the full Poco-based
// path; the full path checks the raw bytes of every head it reads with it too, because
// Poco's parser accepts forms RFC 9112 refuses (bare LF, folded lines) and hides them.
// A head that breaks the syntax or frames its body ambiguously (request smuggling: two
// Content-Lengths, Transfer-Encoding with Content-Length, a coding other than a final
// chunked, ...) is Malformed, with the reason: answered 400 and the connection closed.
// The rules are written down in docs/http-connections.md ("Message framing").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace codestats::host {

struct RequestHead {
  std::string_view method, target;
  bool http10 = false;          // HTTP/1.0 (else HTTP/1.1)
  bool keepAlive = true;        // what Poco's HTTPRequest::getKeepAlive() would say
  bool chunked = false;         // Transfer-Encoding: chunked (then contentLength is 0)
  int64_t contentLength = 0;    // 0 when absent
  size_t headLength = 0;        // bytes up to and including the blank line
  const char* error = nullptr;  // why the head is Malformed (a static string)
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // views into the input
};

enum class HeadStatus {
  Incomplete,  // no blank line yet (and within the size limit): read more
  Complete,    // the plain form, parsed; the views point into the input
  HandOff,     // valid but not the plain form (or too large): the full HTTP path reads it
  Malformed,   // invalid syntax or ambiguous framing (`error` says which): answer 400
};

// The longest head the fast lane reads; longer ones are handed off.
constexpr size_t kMaxFastHead = 16 * 1024;

// `maxHead`: a head not complete within this many bytes is handed off (the full path passes
// a larger bound: it checks heads Poco already read whole).
HeadStatus parseRequestHead(std::string_view input, RequestHead& out, size_t maxHead = kMaxFastHead);

}  // namespace codestats::host
