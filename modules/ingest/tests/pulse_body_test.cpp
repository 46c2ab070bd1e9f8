#include <catch2/catch.hpp>

#include "pulse_body.hpp"

using namespace codestats::ingest;

namespace {
constexpr int64_t kNowUs = 1598961600LL * 1000000;  // 2020-09-01T12:00:00Z

std::string body(const std::string& xps, const std::string& codedAt = "\"2020-09-01T11:00:00+02:00\"") {
  return "{\"coded_at\":" + codedAt + ",\"xps\":" + xps + "}";
}
std::string err(const std::string& b) { return validatePulseBody(b, nullptr, kNowUs).error; }
}  // namespace

TEST_CASE("pulse body: valid bodies", "[body]") {
  auto v =
      validatePulseBody(body(R"([{"language":" C++ ","xp":15},{"language":"Elixir","xp":30,"x":1}])"), nullptr, kNowUs);
  REQUIRE(v.status == 0);
  REQUIRE(v.pulse.xps.size() == 2);
  CHECK(v.pulse.xps[0].language == "C++");
  CHECK(v.pulse.xps[0].amount == 15);
  CHECK(v.pulse.xps[1].language == "Elixir");
  CHECK(v.pulse.time.tzOffset == 120);

  CHECK(validatePulseBody(body("[]"), nullptr, kNowUs).status == 0);
  auto plain = validatePulseBody(body(R"([{"language":"   ","xp":0}])"), nullptr, kNowUs);
  REQUIRE(plain.status == 0);
  CHECK(plain.pulse.xps[0].language == "Plain text");
  CHECK(validatePulseBody(body(R"([{"language":"x","xp":2147483647}])"), nullptr, kNowUs).status == 0);
  CHECK(
      validatePulseBody(body(R"([{"language":")" + std::string(255, 'a') + R"(","xp":1}])"), nullptr, kNowUs).status ==
      0);
  // pretty printed, extra keys
  CHECK(validatePulseBody("{\n  \"coded_at\": \"2020-09-01T10:00:00Z\",\n  \"xps\": [],\n  \"extra\": 1\n}", nullptr,
                          kNowUs)
            .status == 0);
  // coded_at from the query string when the body has none
  std::string q = "2020-09-01T10:00:00Z";
  CHECK(validatePulseBody(R"({"xps":[]})", &q, kNowUs).status == 0);
}

TEST_CASE("pulse body: failures in the original order with the original messages", "[body]") {
  CHECK(err("not json") == "Invalid xps format.");
  CHECK(err("[]") == "Invalid xps format.");
  CHECK(err("\"x\"") == "Invalid xps format.");
  CHECK(err("") == "Invalid xps format.");
  CHECK(err("{\"coded_at\":\"x\",\"xps\":[\xff]}") == "Invalid xps format.");  // invalid UTF-8
  CHECK(err(R"({"xps":[]})") == "Invalid xps format.");
  CHECK(err(R"({"coded_at":"2020-09-01T10:00:00Z"})") == "Invalid xps format.");
  CHECK(err(body(R"({"language":"x","xp":1})")) == "Invalid xps format.");
  // coded_at checks come before the items
  CHECK(err(body(R"([{"xp":-1}])", "1")) == "Invalid coded_at format.");
  CHECK(err(body("[]", "null")) == "Invalid coded_at format.");
  CHECK(err(body("[]", "\"2020-09-01T10:00:00\"")) == "Invalid coded_at format.");
  CHECK(err(body("[]", "\"2020-08-01T10:00:00Z\"")) == "Invalid date.");
  CHECK(err(body("[]", "\"2020-09-01T10:00:00+2:00\"")) == "Invalid TZ offset!");
  // items
  for (const char* bad :
       {R"([1])", R"([{"language":"x"}])", R"([{"xp":1}])", R"([{"language":1,"xp":1}])",
        R"([{"language":"x","xp":1.0}])", R"([{"language":"x","xp":1.5}])", R"([{"language":"x","xp":"1"}])",
        R"([{"language":"x","xp":-1}])", R"([{"language":"x","xp":2147483648}])", R"([{"language":"x","xp":true}])",
        R"([{"language":"x","xp":null}])", R"([{"language":null,"xp":1}])",
        R"([{"language":"ok","xp":1},{"language":"x","xp":-1}])"})
    CHECK(err(body(bad)) == "Invalid XP format.");
  CHECK(err(body(R"([{"language":")" + std::string(256, 'a') + R"(","xp":1}])")) == "Invalid XP format.");
  // 255 multi-byte characters are fine, 256 are not
  std::string e255, e256;
  for (int i = 0; i < 255; ++i) e255 += "\xC3\xA9";
  e256 = e255 + "\xC3\xA9";
  CHECK(validatePulseBody(body(R"([{"language":")" + e255 + R"(","xp":1}])"), nullptr, kNowUs).status == 0);
  CHECK(err(body(R"([{"language":")" + e256 + R"(","xp":1}])")) == "Invalid XP format.");
  // the cap on items
  std::string many = "[";
  for (size_t i = 0; i <= kMaxXpsItems; ++i) many += std::string(i ? "," : "") + R"({"language":"x","xp":1})";
  many += "]";
  CHECK(err(body(many)) == "Too many xps (at most 1000).");
  CHECK(validatePulseBody(body(many), nullptr, kNowUs).status == 400);
}

TEST_CASE("pulse body: helpers", "[body]") {
  CHECK(errorJson("a\"b") == R"({"error":"a\"b"})");
  CHECK(normaliseLanguage("\t x \n") == "x");
  size_t n = 0;
  CHECK(validUtf8("a\xF0\x9F\x98\x82", &n));
  CHECK(n == 2);
  CHECK_FALSE(validUtf8("\xC0\x80"));
  CHECK_FALSE(validUtf8("\xED\xA0\x80"));
}
