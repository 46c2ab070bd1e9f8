#include <catch2/catch.hpp>

#include "common/socket_token.hpp"

using namespace codestats::common;

TEST_CASE("socket tokens verify for 90 days and only with the right secret", "[channels]") {
  const std::string secret(64, 's');
  const int64_t t0 = 1'700'000'000'000;
  std::string token = signSocketToken(secret, "alice", t0);
  CHECK(verifySocketToken(secret, token, t0) == std::optional<std::string>("alice"));
  CHECK(verifySocketToken(secret, token, t0 + kSocketTokenMaxAgeMs) == std::optional<std::string>("alice"));
  CHECK_FALSE(verifySocketToken(secret, token, t0 + kSocketTokenMaxAgeMs + 1));
  CHECK_FALSE(verifySocketToken(secret, token, t0 - 120000));  // issued in the future
  CHECK_FALSE(verifySocketToken(std::string(64, 'x'), token, t0));

  SECTION("any change to the token breaks it") {
    for (size_t i = 0; i < token.size(); ++i) {
      std::string forged = token;
      forged[i] = forged[i] == 'A' ? 'B' : 'A';
      INFO(forged);
      CHECK_FALSE(verifySocketToken(secret, forged, t0));
    }
  }
  SECTION("another user's name in the payload is rejected") {
    std::string other = signSocketToken(secret, "mallory", t0);
    std::string spliced = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
    CHECK_FALSE(verifySocketToken(secret, spliced, t0));
  }
  SECTION("garbage") {
    for (const char* bad :
         {"", "v1", "v1...", "v2.YWxpY2U.1.x", "v1.YWxpY2U.12x.abc", "v1.YWxpY2U.1.a.b", "v1..1700000000000.abc"})
      CHECK_FALSE(verifySocketToken(secret, bad, t0));
  }
  SECTION("unicode names round-trip") {
    std::string t = signSocketToken(secret, "😂 bar", t0);
    CHECK(verifySocketToken(secret, t, t0) == std::optional<std::string>("😂 bar"));
  }
}
