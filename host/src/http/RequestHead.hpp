// A strict reader of HTTP/1.x request heads for the event-driven front end's fast lane.
// It recognises only the plain, common form: request line, header fields "Name: value",
// CRLF line ends, a Content-Length body or none. Anything else (chunked bodies, Expect,
// folded or oversized lines, odd bytes) is not an error here but a hand-off: the request goes
// to the full Poco-based path, which answers it exactly as before (including its 400s). The
// one error found here: a header line without a colon (not a fold), which Poco's parser
// would silently drop (RFC 9112 makes it an invalid request: 400).
// Pure logic, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace codestatsd {

struct RequestHead {
  std::string_view method, target;
  bool http10 = false;        // HTTP/1.0 (else HTTP/1.1)
  bool keepAlive = true;      // what Poco's HTTPRequest::getKeepAlive() would say
  int64_t contentLength = 0;  // 0 when absent
  size_t headLength = 0;      // bytes up to and including the blank line
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // views into the input
};

enum class HeadStatus {
  Incomplete,  // no blank line yet (and within the size limit): read more
  Complete,    // parsed; the views point into the input
  HandOff,     // not the plain form (or too large): let the full HTTP path read it
  Malformed,   // a header line without a colon, which Poco would skip: answer 400
};

// The longest head the fast lane reads; longer ones are handed off.
constexpr size_t kMaxFastHead = 16 * 1024;

HeadStatus parseRequestHead(std::string_view input, RequestHead& out);

}  // namespace codestatsd
