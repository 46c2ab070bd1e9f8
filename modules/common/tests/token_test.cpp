#include <catch2/catch.hpp>
#include <sodium.h>

#include "common/token.hpp"

using namespace codestats::common;

namespace {
const std::string kSecret(64, 'x');
const std::string kSalt = "$2b$12$abcdefghijklmnopqrstuu";
}  // namespace

TEST_CASE("token: the spec's test vectors (§3.1)", "[token]") {
  REQUIRE(sodium_init() >= 0);
  CHECK(generateToken(kSecret, kSalt, "Nicd", 1) ==
        "SFMyNTY.VG1salpBPT0jI01RPT0.RurciEWNhilcbWcNtBcmBa7Fojqy7a4zZbmJ0ohn9OE");
  CHECK(generateToken(kSecret, kSalt, "foo bar", 42) ==
        "SFMyNTY.Wm05dklHSmhjZz09IyNOREk9.HSzHFwLvK79P-Xcq0Lq8i8VQxDVetmx7eg7yzYN3Bo0");
  CHECK(generateToken(kSecret, kSalt, "\xF0\x9F\x98\x82", 29) ==
        "SFMyNTY.OEotWWdnPT0jI01qaz0.EwHvLFMOCWWORCQ8Rm2SYMta4ZTjG-2joeEUeuXODv0");
}

TEST_CASE("token: parse and verify", "[token]") {
  std::string t = generateToken(kSecret, kSalt, "foo bar", 42);
  auto claims = parseToken(t);
  REQUIRE(claims);
  CHECK(claims->username == "foo bar");
  CHECK(claims->machineId == 42);
  CHECK(verifyTokenSignature(t, kSecret, kSalt));
  CHECK_FALSE(verifyTokenSignature(t, kSecret, kSalt + "x"));
  CHECK_FALSE(verifyTokenSignature(t, std::string(64, 'y'), kSalt));
  std::string tampered = t;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verifyTokenSignature(tampered, kSecret, kSalt));
  CHECK_FALSE(verifyTokenSignature(t.substr(0, t.rfind('.')), kSecret, kSalt));

  auto emoji = parseToken("SFMyNTY.OEotWWdnPT0jI01qaz0.X0wVEZquh8Ogau1iTtBihYqqL71FD8N6p5ChQiIpaxQ");
  REQUIRE(emoji);
  CHECK(emoji->username == "\xF0\x9F\x98\x82");
  CHECK(emoji->machineId == 29);

  CHECK_FALSE(parseToken(""));
  CHECK_FALSE(parseToken("garbage"));
  CHECK_FALSE(parseToken("a.b.c"));
  // machine id not numeric -> rejected (403, not the original's 400)
  std::string inner = base64UrlEncode("bob", true) + "##" + base64UrlEncode("x1", true);
  CHECK_FALSE(parseToken("SFMyNTY." + base64UrlEncode(inner, false) + ".sig"));
  // three pieces after ## split
  std::string three = base64UrlEncode("a", true) + "##" + base64UrlEncode("1", true) + "##x";
  CHECK_FALSE(parseToken("SFMyNTY." + base64UrlEncode(three, false) + ".sig"));
}

TEST_CASE("token: base64 accepts both alphabets, padding optional", "[token]") {
  CHECK(base64UrlEncode("\xfb\xff", true) == "-_8=");
  CHECK(base64UrlEncode("\xfb\xff", false) == "-_8");
  CHECK(base64Decode("-_8=") == std::optional<std::string>("\xfb\xff"));
  CHECK(base64Decode("+/8=") == std::optional<std::string>("\xfb\xff"));
  CHECK(base64Decode("+/8") == std::optional<std::string>("\xfb\xff"));
  CHECK(base64Decode("Zm9vYg==") == std::optional<std::string>("foob"));
  CHECK(base64Decode("Zm9vYg") == std::optional<std::string>("foob"));
  CHECK_FALSE(base64Decode("Zm9vY"));
  CHECK_FALSE(base64Decode("Zm9v*A=="));
  CHECK(base64Decode("") == std::optional<std::string>(""));
}
