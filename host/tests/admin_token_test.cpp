// Tests for tokenMatches() in host/src/admin/admin_server.hpp.
#include <catch2/catch.hpp>

#include <string>

#include "admin/admin_server.hpp"

using codestats::host::tokenMatches;

TEST_CASE("admin token: the right bearer token matches", "[admin]") {
  CHECK(tokenMatches("abc123", "Bearer abc123"));
  std::string tok(43, 'x');
  tok[10] = '-';
  tok[42] = '_';
  CHECK(tokenMatches(tok, "Bearer " + tok));
}

TEST_CASE("admin token: a wrong token does not match", "[admin]") {
  CHECK_FALSE(tokenMatches("abc123", "Bearer abc124"));
  CHECK_FALSE(tokenMatches("abc123", "Bearer xbc123"));
  CHECK_FALSE(tokenMatches("abc123", "Bearer ABC123"));
  // differing only in the high bit of a byte
  CHECK_FALSE(tokenMatches("abc123", std::string("Bearer abc12") + char('3' | 0x80)));
}

TEST_CASE("admin token: a token of another length does not match", "[admin]") {
  CHECK_FALSE(tokenMatches("abc123", "Bearer abc12"));
  CHECK_FALSE(tokenMatches("abc123", "Bearer abc1234"));
  CHECK_FALSE(tokenMatches("abc123", "Bearer abc123 "));
  CHECK_FALSE(tokenMatches("abc123", "Bearer  abc123"));
  CHECK_FALSE(tokenMatches("abc123", "Bearer "));
  CHECK_FALSE(tokenMatches("abc123", "Bearer"));
}

TEST_CASE("admin token: the Bearer scheme is required", "[admin]") {
  CHECK_FALSE(tokenMatches("abc123", "abc123"));
  CHECK_FALSE(tokenMatches("abc123", ""));
  CHECK_FALSE(tokenMatches("abc123", "Basic abc123"));
  CHECK_FALSE(tokenMatches("abc123", "Bearerabc123"));
  CHECK_FALSE(tokenMatches("abc123", "Bearer\tabc123"));
  CHECK_FALSE(tokenMatches("abc123", " Bearer abc123"));
  // The host accepts only the exact "Bearer " spelling that codestatsctl sends.
  CHECK_FALSE(tokenMatches("abc123", "bearer abc123"));
  CHECK_FALSE(tokenMatches("abc123", "BEARER abc123"));
}

TEST_CASE("admin token: an empty expected token never matches", "[admin]") {
  CHECK_FALSE(tokenMatches("", "Bearer "));
  CHECK_FALSE(tokenMatches("", ""));
  CHECK_FALSE(tokenMatches("", "Bearer x"));
  CHECK_FALSE(tokenMatches("", "Bearer"));
}
