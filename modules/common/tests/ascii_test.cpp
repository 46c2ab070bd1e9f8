#include <catch2/catch.hpp>

#include <cctype>

#include "common/ascii.hpp"

using namespace codestats::common;

TEST_CASE("ascii: lowerAscii changes A-Z only", "[ascii]") {
  CHECK(lowerAscii("C++ ÄB") == "c++ Äb");  // from ingest's pulse body helpers test
  CHECK(lowerAscii("") == "");
  CHECK(lowerAscii("@[`{ AZaz09") == "@[`{ azaz09");
}

TEST_CASE("ascii: the predicates match <cctype> in the C locale", "[ascii]") {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    CHECK(isAsciiDigit(ch) == (std::isdigit(c) != 0));
    CHECK(isAsciiSpace(ch) == (std::isspace(c) != 0));
    CHECK(lowerAscii(std::string(1, ch)) == std::string(1, static_cast<char>(std::tolower(c))));
  }
}

TEST_CASE("ascii: trimming", "[ascii]") {
  CHECK(trimAsciiSpace("\t x \n") == "x");
  CHECK(trimAsciiSpace(" \t\n\v\f\r") == "");
  CHECK(trimAsciiSpace("a b") == "a b");
  CHECK(trimSpaceTab(" \tapplication/json\t ") == "application/json");
  CHECK(trimSpaceTab("\r\nx\r\n") == "\r\nx\r\n");  // only spaces and tabs
  CHECK(trimSpaceTab("") == "");
}
