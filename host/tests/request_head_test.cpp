// Tests for host/src/http/request_head: what the fast lane reads itself and what it hands off.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include "http/request_head.hpp"

using namespace codestats::host;

namespace {

HeadStatus parse(const std::string& s, RequestHead& h) { return parseRequestHead(s, h); }

const std::string kPulse =
    "POST /api/my/pulses HTTP/1.1\r\nHost: x\r\nX-API-Token: abc\r\nContent-Type: application/json\r\n"
    "Content-Length: 12\r\n\r\n{\"xps\": []}";

}  // namespace

TEST_CASE("request head: a plain pulse request is read completely", "[head]") {
  RequestHead h;
  REQUIRE(parse(kPulse, h) == HeadStatus::Complete);
  CHECK(h.method == "POST");
  CHECK(h.target == "/api/my/pulses");
  CHECK_FALSE(h.http10);
  CHECK(h.keepAlive);
  CHECK(h.contentLength == 12);
  CHECK(h.headLength == kPulse.size() - 11);
  REQUIRE(h.headers.size() == 4);
  CHECK(h.headers[1].first == "X-API-Token");
  CHECK(h.headers[1].second == "abc");
}

TEST_CASE("request head: every prefix of a head is incomplete, never an error", "[head]") {
  const size_t headLength = kPulse.find("\r\n\r\n") + 4;
  for (size_t n = 0; n < headLength; ++n) {
    RequestHead h;
    INFO(n);
    CHECK(parse(kPulse.substr(0, n), h) == HeadStatus::Incomplete);
  }
}

TEST_CASE("request head: keep-alive follows Poco's rule", "[head]") {
  RequestHead h;
  REQUIRE(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", h) == HeadStatus::Complete);
  CHECK_FALSE(h.keepAlive);
  REQUIRE(parse("GET / HTTP/1.1\r\nHost: x\r\nconnection: Keep-Alive\r\n\r\n", h) == HeadStatus::Complete);
  CHECK(h.keepAlive);
  REQUIRE(parse("GET / HTTP/1.0\r\n\r\n", h) == HeadStatus::Complete);
  CHECK(h.http10);
  CHECK_FALSE(h.keepAlive);
  REQUIRE(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", h) == HeadStatus::Complete);
  CHECK(h.keepAlive);
}

TEST_CASE("request head: valid forms other than the plain one are handed off to the full path", "[head]") {
  const char* handOffs[] = {
      "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
      "GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
      "POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\n",  // no Host
      "POST /p HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: close\r\n\r\n",
      "POST /p HTTP/2.0\r\nHost: x\r\n\r\n",
      "post /p HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST http://x/p HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST * HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const char* raw : handOffs) {
    RequestHead h;
    INFO(raw);
    CHECK(parse(raw, h) == HeadStatus::HandOff);
  }
}

TEST_CASE("request head: broken syntax is malformed, on the fast lane and on the full path", "[head]") {
  const char* malformed[] = {
      "POST /p HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\nNoColon\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tfolded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
      "POST /p HTTP/1.1\r\n Folded: y\r\nHost: x\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\n",  // white space before the colon
      "POST /p HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nX: a\x01"
      "b\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
      "POST /p  HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /p HTTP/1.1 \r\nHost: x\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\nHost: x\r\n\r\n",  // a bare LF
      "GET / HTTP/1.1\r\nHost: x\n\n",
  };
  for (const char* raw : malformed) {
    RequestHead h;
    INFO(raw);
    CHECK(parse(raw, h) == HeadStatus::Malformed);
    CHECK(std::string(h.error) == "Malformed request");
    CHECK(parseRequestHead(raw, h, SIZE_MAX) == HeadStatus::Malformed);
  }
  RequestHead h;
  // A bare LF is refused before the head is complete; a line without a colon once it is.
  CHECK(parse("GET / HTTP/1.1\nHost", h) == HeadStatus::Malformed);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n", h) == HeadStatus::Incomplete);
  // Empty lines before the request line are skipped (RFC 9112 section 2.2).
  const std::string leading = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";  // (h's views point into it)
  REQUIRE(parse(leading, h) == HeadStatus::Complete);
  CHECK(h.headLength == 31);
  CHECK(h.target == "/");
}

TEST_CASE("request head: ambiguous body framing is malformed, with the reason", "[head][framing]") {
  const std::pair<const char*, const char*> cases[] = {
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "Duplicate Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", "Duplicate Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5 5\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999999999999\r\n\r\n", "Invalid Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
       "Transfer-Encoding with Content-Length"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       "Transfer-Encoding with Content-Length"},
      {"POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding in HTTP/1.0"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", "Unsupported Transfer-Encoding"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Unsupported Transfer-Encoding"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       "Unsupported Transfer-Encoding"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", "Unsupported Transfer-Encoding"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", "Unsupported Transfer-Encoding"},
      {"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n", "Unsupported Transfer-Encoding"},
  };
  for (const auto& [raw, reason] : cases) {
    RequestHead h;
    INFO(raw);
    REQUIRE(parse(raw, h) == HeadStatus::Malformed);
    CHECK(std::string(h.error) == reason);
  }
  RequestHead h;
  CHECK(parse("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n", h) == HeadStatus::Complete);
  CHECK(h.contentLength == 7);
  CHECK(parse("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999\r\n\r\n", h) == HeadStatus::Complete);
  CHECK(h.contentLength == 999999999999999999);
  CHECK(parse("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked \r\n\r\n", h) == HeadStatus::HandOff);
  CHECK(h.chunked);
}

TEST_CASE("request head: heads over the fast lane's size are handed off, complete or not", "[head]") {
  std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(kMaxFastHead, 'a');
  RequestHead h;
  CHECK(parse(big, h) == HeadStatus::HandOff);
  CHECK(parse(big + "\r\n\r\n", h) == HeadStatus::HandOff);
  // Poco's field limits, which answer 400 on the full path
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(8193, 'v') + "\r\n\r\n", h) == HeadStatus::HandOff);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(8000, 'v') + "\r\n\r\n", h) == HeadStatus::Complete);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\n" + std::string(257, 'n') + ": v\r\n\r\n", h) == HeadStatus::HandOff);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 99; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(parse(many + "\r\n", h) == HeadStatus::Complete);  // 100 fields
  CHECK(parse(many + "X-last: v\r\n\r\n", h) == HeadStatus::HandOff);
  CHECK(parse("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\nHost: x\r\n\r\n", h) == HeadStatus::HandOff);
}
