// Form, cookie and Accept parsing, URL encoding, UTF-8 checks.
#include <catch2/catch.hpp>

#include "forms.hpp"

using namespace codestats::web;

TEST_CASE("form bodies decode + and percent escapes; later duplicates win", "[web][forms]") {
  auto f = parseForm("user%5Busername%5D=a+b%21&x=1&x=2&flag&bad=%zz%4");
  CHECK(f["user[username]"] == "a b!");
  CHECK(f["x"] == "2");
  CHECK(f.count("flag") == 1);
  CHECK(f["flag"].empty());
  CHECK(f["bad"] == "%zz%4");
}

TEST_CASE("cookies: first occurrence wins, quotes and spaces are trimmed", "[web][forms]") {
  auto c = parseCookies(" a=1; b=\"two\" ;a=3; junk; =x");
  CHECK(c["a"] == "1");
  CHECK(c["b"] == "two");
  CHECK(c.size() == 2);
}

TEST_CASE("path segments encode everything but unreserved characters", "[web][forms]") {
  CHECK(encodePathSegment("foo bar") == "foo%20bar");
  CHECK(encodePathSegment("a-b.c_d~") == "a-b.c_d~");
  CHECK(encodePathSegment("\xF0\x9F\x98\x82") == "%F0%9F%98%82");
}

TEST_CASE("UTF-8 validation rejects overlongs, surrogates and truncation", "[web][forms]") {
  CHECK(validUtf8("héllo 😂"));
  CHECK_FALSE(validUtf8("\xC0\xAF"));
  CHECK_FALSE(validUtf8("\xED\xA0\x80"));
  CHECK_FALSE(validUtf8("\xE2\x82"));
}

TEST_CASE("Accept negotiation", "[web][forms]") {
  CHECK(acceptAllows(std::nullopt, "text/html"));
  CHECK(acceptAllows("text/html,application/xhtml+xml;q=0.9", "text/html"));
  CHECK(acceptAllows("*/*", "text/csv"));
  CHECK(acceptAllows("text/*", "text/csv"));
  CHECK_FALSE(acceptAllows("application/json", "text/html"));
  CHECK_FALSE(acceptAllows("text/html", "text/csv"));
}
