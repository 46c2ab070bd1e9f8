// cache.v1's profile answer: the wire format both modules depend on, and its round trip.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "common/profile_codec.hpp"

using namespace codestats::common;

namespace {

Profile sample() {
  Profile p;
  p.userId = 7;
  p.username = "Nicd";
  p.registeredMs = 1464611696000;  // 2016-05-30T12:34:56Z
  p.avatar = true;
  p.totalXp = 3073421;
  p.newXp = 3289;
  p.languages = {{"Elixir", 3073409, 3289}, {"C++", 12, 0}};
  p.machines = {{"Best \"Machine\"", 2827305, 3289}};
  p.dates = {{20161231, 3289}, {20170101, 120}};
  p.hours = {{9, 1200}, {22, 2209}};
  p.lastPulseAtMs = 1483272000000;  // 2017-01-01T12:00:00Z
  p.dayLanguageSince = 20161218;
  p.dayLanguages = {{20161231, "Elixir", 3289}};
  p.stamp = "00000000000000ab-3-9-1483315200000";
  return p;
}

void checkEqual(const Profile& a, const Profile& b) {
  CHECK(a.userId == b.userId);
  CHECK(a.username == b.username);
  CHECK(a.isPrivate == b.isPrivate);
  CHECK(a.avatar == b.avatar);
  CHECK(a.registeredMs == b.registeredMs);
  CHECK(a.totalXp == b.totalXp);
  CHECK(a.newXp == b.newXp);
  REQUIRE(a.languages.size() == b.languages.size());
  for (size_t i = 0; i < a.languages.size(); ++i) {
    CHECK(a.languages[i].name == b.languages[i].name);
    CHECK(a.languages[i].xp == b.languages[i].xp);
    CHECK(a.languages[i].newXp == b.languages[i].newXp);
  }
  REQUIRE(a.machines.size() == b.machines.size());
  for (size_t i = 0; i < a.machines.size(); ++i) {
    CHECK(a.machines[i].name == b.machines[i].name);
    CHECK(a.machines[i].xp == b.machines[i].xp);
    CHECK(a.machines[i].newXp == b.machines[i].newXp);
  }
  CHECK(a.dates == b.dates);
  CHECK(a.hours == b.hours);
  CHECK(a.lastPulseAtMs == b.lastPulseAtMs);
  CHECK(a.dayLanguageSince == b.dayLanguageSince);
  REQUIRE(a.dayLanguages.size() == b.dayLanguages.size());
  for (size_t i = 0; i < a.dayLanguages.size(); ++i) {
    CHECK(a.dayLanguages[i].day == b.dayLanguages[i].day);
    CHECK(a.dayLanguages[i].language == b.dayLanguages[i].language);
    CHECK(a.dayLanguages[i].xp == b.dayLanguages[i].xp);
  }
  CHECK(a.stamp == b.stamp);
}

}  // namespace

TEST_CASE("profile codec: the wire format (docs/cache.md)", "[profile]") {
  CHECK(encodeProfile(sample()) ==
        R"({"user":"Nicd","user_id":7,"private":false,"registered":"2016-05-30T12:34:56Z","avatar":true,)"
        R"("total_xp":3073421,"new_xp":3289,"languages":{"Elixir":{"xps":3073409,"new_xps":3289},)"
        R"("C++":{"xps":12,"new_xps":0}},"machines":{"Best \"Machine\"":{"xps":2827305,"new_xps":3289}},)"
        R"("dates":{"2016-12-31":3289,"2017-01-01":120},"hours":{"9":1200,"22":2209},)"
        R"("last_programmed":"2017-01-01","last_pulse_at":"2017-01-01T12:00:00Z","day_language_since":"2016-12-18",)"
        R"("day_language_xps":[{"date":"2016-12-31","language":"Elixir","xp":3289}],)"
        R"("stamp":"00000000000000ab-3-9-1483315200000"})");
  Profile empty;
  empty.username = "new";
  empty.userId = 1;
  CHECK(encodeProfile(empty) ==
        R"({"user":"new","user_id":1,"private":false,"registered":"1970-01-01T00:00:00Z","avatar":false,)"
        R"("total_xp":0,"new_xp":0,"languages":{},"machines":{},"dates":{},"hours":{},"last_programmed":null,)"
        R"("last_pulse_at":null,"day_language_since":null,"day_language_xps":[],"stamp":""})");
}

TEST_CASE("profile codec: decode(encode(p)) is p", "[profile]") {
  checkEqual(decodeProfile(encodeProfile(sample())), sample());
  // Names are bytes: quotes, backslashes, control characters, UTF-8 and NUL survive.
  Profile odd = sample();
  odd.username = "a\\b\"c";
  odd.languages = {{std::string("nul\0inside", 10), 5, 1}, {"tab\there\n", 4, 0}, {"Ünïcødé ✓", 3, 3}};
  odd.machines.clear();
  odd.isPrivate = true;
  odd.avatar = false;
  odd.lastPulseAtMs = 0;
  odd.dayLanguageSince.reset();
  odd.dayLanguages.clear();
  checkEqual(decodeProfile(encodeProfile(odd)), odd);
}

TEST_CASE("profile codec: what the reader tolerates", "[profile]") {
  // Optional keys absent, unknown keys ignored, nulls read as absent, bad date keys skipped.
  Profile p = decodeProfile(R"({"user":"x","user_id":2,"total_xp":5,"future":{"a":[1,2]},"registered":null,)"
                            R"("dates":{"2020-01-02":5,"yesterday":9},"day_language_since":null})");
  CHECK(p.username == "x");
  CHECK(p.totalXp == 5);
  CHECK(p.registeredMs == 0);
  CHECK(p.dates == std::vector<std::pair<int32_t, int64_t>>{{20200102, 5}});
  CHECK_FALSE(p.dayLanguageSince);
  CHECK(p.languages.empty());
}

TEST_CASE("profile codec: malformed answers are refused with a reason", "[profile]") {
  auto refused = [](const std::string& json, const std::string& why) {
    INFO(json);
    CHECK_THROWS_WITH(decodeProfile(json),
                      Catch::StartsWith("cache.v1 profile answer is malformed: ") && Catch::Contains(why));
  };
  refused("not json", "Invalid value");
  refused(R"({"user":"x","user_id":1,"total_xp":1} trailing)", "at byte");
  refused("[]", "not an object");
  refused(R"({"user":1,"user_id":1,"total_xp":1})", "user is not a string");
  refused(R"({"user":"x","total_xp":1})", "no \"user_id\"");
  refused(R"({"user":"x","user_id":"1","total_xp":1})", "user_id is not an integer");
  refused(R"({"user":"x","user_id":1,"total_xp":1.5})", "total_xp is not an integer");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"private":"no"})", "\"private\" is not a boolean");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"languages":[]})", "\"languages\" is not an object");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"languages":{"C":5}})", "an entry of \"languages\"");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"machines":{"m":{"new_xps":1}}})", "no \"xps\"");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"hours":{"24":1}})", "hour \"24\"");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"hours":{"9x":1}})", "hour \"9x\"");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"registered":"last week"})", "registered is not an instant");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"day_language_xps":{}})", "day_language_xps is not an array");
  refused(R"({"user":"x","user_id":1,"total_xp":1,"day_language_xps":[{"date":"2020-01-01","xp":1}]})",
          "no \"language\"");
  refused(std::string(100000, '[') + std::string(100000, ']'), "malformed");  // deep nesting: no stack overflow
}
