// Tests for host/src/http/response_bytes: the fast lane writes what Poco's path wrote.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "abi/exchange.hpp"
#include "http/response_bytes.hpp"

using namespace codestats::host;

TEST_CASE("response bytes: the same head as Poco's path, in the same order", "[response]") {
  cs_http_resp r;
  r.status = 201;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
  r.body = R"({"ok":"Great success!"})";
  const std::string out = responseBytes(false, true, "abc123", r);
  // Captured from the Poco-based server before the fast lane existed (the Date varies).
  const std::regex expected(
      "HTTP/1\\.1 201 Created\r\n"
      "Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} "
      "\\d\\d:\\d\\d:\\d\\d GMT\r\n"
      "Connection: Keep-Alive\r\n"
      "X-Request-Id: abc123\r\n"
      "Content-Type: application/json; charset=utf-8\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Content-Length: 23\r\n"
      "\r\n"
      "\\{\"ok\":\"Great success!\"\\}");
  CHECK(std::regex_match(out, expected));
}

TEST_CASE("response bytes: HTTP/1.0, closing, repeated names and cookies", "[response]") {
  cs_http_resp r;
  r.status = 403;
  r.headers = {
      {"Set-Cookie", "a=1"}, {"X-Thing", "old"}, {"Set-Cookie", "b=2"}, {"x-thing", "new"}, {"Content-Length", "999"}};
  r.body = "no";
  const std::string out = responseBytes(true, false, "id", r);
  const size_t headEnd = out.find("\r\n\r\n");
  const std::string head = out.substr(0, headEnd);
  CHECK(head.rfind("HTTP/1.0 403 Forbidden\r\nDate: ", 0) == 0);
  const std::string rest = head.substr(head.find("\r\nConnection"));
  CHECK(rest ==
        "\r\nConnection: Close\r\nX-Request-Id: id\r\nSet-Cookie: a=1\r\nX-Thing: new\r\nSet-Cookie: b=2\r\n"
        "Content-Length: 2");
  CHECK(out.substr(headEnd + 4) == "no");
}
