// Tests for host/src/http/RequestHead: what the fast lane reads itself and what it hands off.
#include <catch2/catch.hpp>

#include <string>

#include "http/RequestHead.hpp"

using namespace codestatsd;

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

TEST_CASE("request head: anything but the plain form is handed off to the full path", "[head]") {
  const char* handOffs[] = {
      "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
      "GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
      "POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\n",                             // no Host
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",  // twice
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\n",
      "POST /p HTTP/2.0\r\nHost: x\r\n\r\n",
      "POST /p  HTTP/1.1\r\nHost: x\r\n\r\n",
      "post /p HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST http://x/p HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST * HTTP/1.1\r\nHost: x\r\n\r\n",
      "GARBAGE\r\n\r\n",
  };
  for (const char* raw : handOffs) {
    RequestHead h;
    INFO(raw);
    CHECK(parse(raw, h) == HeadStatus::HandOff);
  }
}

TEST_CASE("request head: a header line without a colon is malformed, a folded one is handed off", "[head]") {
  RequestHead h;
  CHECK(parse("POST /p HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", h) == HeadStatus::Malformed);
  CHECK(parse("GET / HTTP/1.1\r\nNoColon\r\nHost: x\r\n\r\n", h) == HeadStatus::Malformed);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tfolded\r\n\r\n", h) == HeadStatus::HandOff);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", h) == HeadStatus::HandOff);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n", h) == HeadStatus::Incomplete);  // only once complete
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
