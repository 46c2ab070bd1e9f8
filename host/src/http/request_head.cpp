#include "http/request_head.hpp"

#include <charconv>

#include "http/http_syntax.hpp"
#include "util/ascii_case.hpp"

namespace codestats::host {
namespace {

constexpr const char* kMalformed = "Malformed request";

// Where the body ends (RFC 9112 section 6.3), from every Content-Length and
// Transfer-Encoding field of the head. Refuses what a proxy in front of us could read
// differently: any second Content-Length (also an equal one, as nginx and llhttp do), a
// value that is not plain decimal or does not fit, Transfer-Encoding together with
// Content-Length or in HTTP/1.0, and a coding list that is not exactly "chunked" (we decode
// no other coding, and chunked must be the final one).
class Framing {
 public:
  void field(std::string_view name, std::string_view value) {
    if (equalsIgnoringAsciiCase(name, "content-length")) {
      ++lengths_;
      length_ = value;
    } else if (equalsIgnoringAsciiCase(name, "transfer-encoding")) {
      forEachListElement(value, [&](std::string_view coding) {
        ++codings_;
        if (!equalsIgnoringAsciiCase(coding, "chunked")) otherCoding_ = true;
      });
      encodingFields_++;
    }
  }

  // nullptr when the framing is unambiguous; sets `chunked` and `length`.
  const char* resolve(bool http10, bool& chunked, int64_t& length) const {
    chunked = false;
    length = 0;
    if (lengths_ > 1) return "Duplicate Content-Length";
    if (encodingFields_ > 0) {
      if (lengths_ > 0) return "Transfer-Encoding with Content-Length";
      if (http10) return "Transfer-Encoding in HTTP/1.0";
      if (codings_ != 1 || otherCoding_) return "Unsupported Transfer-Encoding";
      chunked = true;
      return nullptr;
    }
    if (lengths_ == 1) {
      const std::string_view v = length_;
      if (v.empty() || v.size() > 18 || !isDigits(v)) return "Invalid Content-Length";
      std::from_chars(v.data(), v.data() + v.size(), length);  // 18 digits always fit
    }
    return nullptr;
  }

 private:
  static bool isDigits(std::string_view s) {
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return true;
  }
  int lengths_ = 0, encodingFields_ = 0, codings_ = 0;
  bool otherCoding_ = false;
  std::string_view length_;
};

// One request-line: method SP request-target SP HTTP-version, single spaces.
bool splitRequestLine(std::string_view line, RequestHead& out, std::string_view& version) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return false;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  version = line.substr(sp2 + 1);
  if (!isToken(out.method) || out.target.empty() || version.empty()) return false;
  for (char c : out.target)
    if (c <= 32 || c == 127) return false;
  for (char c : version)
    if (c <= 32 || c == 127) return false;
  return true;
}

}  // namespace

HeadStatus parseRequestHead(std::string_view input, RequestHead& out, size_t maxHead) {
  out = RequestHead{};
  // A server should ignore empty lines before the request-line (RFC 9112 section 2.2).
  size_t start = 0;
  while (input.substr(start, 2) == "\r\n") start += 2;
  // Every LF ends a line only after a CR; a bare LF (or CR) is refused at once, before the
  // head is complete: some parsers end lines there, others do not.
  size_t end = std::string_view::npos;
  for (size_t i = start; i < input.size(); ++i) {
    const char c = input[i];
    if (c == '\n' && (i == 0 || input[i - 1] != '\r')) {
      out.error = kMalformed;
      return HeadStatus::Malformed;
    }
    if (c == '\r' && i + 1 < input.size() && input[i + 1] != '\n') {
      out.error = kMalformed;
      return HeadStatus::Malformed;
    }
    if (c == '\n' && i >= start + 3 && input[i - 2] == '\n') {
      end = i + 1;
      break;
    }
    if (i - start >= maxHead) break;
  }
  if (end == std::string_view::npos)
    return input.size() - start > maxHead ? HeadStatus::HandOff : HeadStatus::Incomplete;
  out.headLength = end;
  std::string_view head = input.substr(start, end - start - 2);  // every line ends in CRLF
  bool fullPath = end > maxHead;                                 // valid forms the fast lane leaves to the full path

  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  std::string_view version;
  if (!splitRequestLine(line, out, version)) {
    out.error = kMalformed;
    return HeadStatus::Malformed;
  }
  if (out.method.size() > 32 || out.target.front() != '/') fullPath = true;
  for (char c : out.method)
    if (c < 'A' || c > 'Z') fullPath = true;
  if (version == "HTTP/1.0") out.http10 = true;
  else if (version != "HTTP/1.1") fullPath = true;  // the full path answers 400 (unknown version)

  Framing framing;
  bool host = false;
  std::string_view connection;
  int connections = 0;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    // obs-fold (a line starting with white space) and a line without a colon: RFC 9112
    // section 5.2 lets a server refuse both; Poco folds the first and skips the second.
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t') {
      out.error = kMalformed;
      return HeadStatus::Malformed;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trimOws(line.substr(colon + 1));
    // A name is a token (no white space before the colon); a value has no control bytes.
    if (!isToken(name) || !isFieldValue(value)) {
      out.error = kMalformed;
      return HeadStatus::Malformed;
    }
    // Poco's limits (names 256 bytes, values 8 KiB, 100 fields): it answers 400 beyond.
    if (name.size() > 256 || line.size() - colon - 1 > 8192) fullPath = true;
    framing.field(name, value);
    if (equalsIgnoringAsciiCase(name, "expect") || equalsIgnoringAsciiCase(name, "upgrade")) {
      fullPath = true;  // 100-continue and upgrades: the full path
    } else if (equalsIgnoringAsciiCase(name, "connection")) {
      ++connections;
      connection = value;
    } else if (equalsIgnoringAsciiCase(name, "host")) {
      host = true;
    }
    out.headers.emplace_back(name, value);
  }
  if (const char* problem = framing.resolve(out.http10, out.chunked, out.contentLength)) {
    out.error = problem;
    return HeadStatus::Malformed;
  }
  if (fullPath || out.chunked || out.headers.size() > 100 || connections > 1) return HeadStatus::HandOff;
  if (!out.http10 && !host) return HeadStatus::HandOff;  // the full path answers 400
  // Poco's rule: HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 closes it
  // unless "Connection: keep-alive". Any other token list: the full path decides.
  if (connection.empty()) out.keepAlive = !out.http10;
  else if (equalsIgnoringAsciiCase(connection, "close")) out.keepAlive = false;
  else if (equalsIgnoringAsciiCase(connection, "keep-alive")) out.keepAlive = true;
  else return HeadStatus::HandOff;
  return HeadStatus::Complete;
}

}  // namespace codestats::host
