// Level maths (spec §5) and the /api/users/:name body (§4) from a cache.v1 answer.
#include <catch2/catch.hpp>

#include "common/profile_codec.hpp"
#include "levels.hpp"
#include "profile_json.hpp"
#include "profile_view.hpp"

using namespace codestats::web;

TEST_CASE("levels: spec §5 boundaries, doctests and progress examples", "[web][levels]") {
  CHECK(levelOf(0) == 0);
  CHECK(levelOf(-1000) == 0);
  CHECK(levelOf(6400) == 2);
  CHECK(levelOf(1599) == 0);
  CHECK(levelOf(1600) == 1);
  CHECK(levelOf(160000) == 10);
  CHECK(levelOf(1000000) == 25);
  for (int64_t l = 1; l <= 3000; ++l) {
    CHECK(levelOf(1600 * l * l - 1) == l - 1);
    CHECK(levelOf(1600 * l * l) == l);
  }
  CHECK(nextLevelXp(-1) == 0);
  CHECK(nextLevelXp(0) == 1600);
  CHECK(progressPercent(800) == 50);
  CHECK(progressPercent(3000) == 29);
  CHECK(progressPercent(10000) == 45);
  CHECK(levelOf(3073421) == 43);
  CHECK(progressPercent(3073421) == 83);
}

TEST_CASE("levels: progress bar split into old and recent XP", "[web][levels]") {
  // 3000 XP, 200 new: have = 1400 > 200, old = progress(2800) = 25, recent = 29 - 25.
  auto b = xpBar(3000, 200);
  CHECK(b.oldPercent == 25);
  CHECK(b.recentPercent == 4);
  // All of this level's XP is new: old 0, recent = progress(total).
  b = xpBar(3000, 2000);
  CHECK(b.oldPercent == 0);
  CHECK(b.recentPercent == 29);
}

TEST_CASE("profile json: a cache.v1 answer becomes the §4 body", "[web][api]") {
  auto p = codestats::common::decodeProfile(
      R"({"user":"Nicd","user_id":7,"private":false,"registered":"2016-05-30T12:34:56Z","total_xp":3073421,)"
      R"("new_xp":3289,"languages":{"C++":{"xps":12,"new_xps":0},"Elixir":{"xps":3073409,"new_xps":3289}},)"
      R"("machines":{"Best \"Machine\"":{"xps":2827305,"new_xps":3289}},"dates":{"2017-01-01":120,"2016-12-31":3289},)"
      R"("hours":{"9":1200,"22":2209},"last_programmed":"2017-01-01","day_language_since":"2016-12-18",)"
      R"("day_language_xps":[{"date":"2016-12-31","language":"Elixir","xp":3289}]})");
  normalise(p);
  CHECK(p.userId == 7);
  CHECK(p.registeredMs == 1464611696000);
  REQUIRE(p.languages.size() == 2);
  CHECK(p.languages[0].name == "Elixir");  // largest first
  REQUIRE(p.dayLanguages.size() == 1);
  CHECK(*p.dayLanguageSince == 20161218);
  CHECK(apiUserJson(p) ==
        R"({"dates":{"2016-12-31":3289,"2017-01-01":120},"languages":{"Elixir":{"xps":3073409,"new_xps":3289},)"
        R"("C++":{"xps":12,"new_xps":0}},"machines":{"Best \"Machine\"":{"xps":2827305,"new_xps":3289}},)"
        R"("new_xp":3289,"total_xp":3073421,"user":"Nicd"})");
}

TEST_CASE("profile view: texts, bars, the year moved to 2000 and the shades", "[web][levels]") {
  CHECK(formatXp(3073421) == "3,073,421");
  CHECK(formatXp(999) == "999");
  CHECK(levelText(3000, 200) == "Level 1 (3,000 XP) (+200)");
  CHECK(levelText(800, 0, "Elixir level") == "Elixir level 0 (800 XP)");
  CHECK(xpBarSvg(3000, 200) ==
        R"(<svg class="xp-bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-label="29 %"><rect class="old" )"
        R"(height="4" width="25"></rect><rect class="recent" height="4" x="25" width="4"></rect></svg>)");
  ProfileData p;
  p.dates = {{20230301, 5}, {20240301, 7}, {20240229, 11}, {20250101, 13}, {20251231, 17}};
  auto year = dayOfYear(p);
  CHECK(year[61] == 12);  // 1 March is always day 61
  CHECK(year[60] == 11);  // 29 February
  CHECK(year[1] == 13);
  CHECK(year[366] == 17);
  CHECK(heatStep(0, 100) == 0);
  CHECK(heatStep(100, 100) == 4);
  CHECK(heatStep(1, 100) == 1);
  // The calendar's cell titles: day of year in 2000 back to a date.
  CHECK(dayOfYearLabel(1) == "1 Jan");
  CHECK(dayOfYearLabel(31) == "31 Jan");
  CHECK(dayOfYearLabel(32) == "1 Feb");
  CHECK(dayOfYearLabel(60) == "29 Feb");
  CHECK(dayOfYearLabel(61) == "1 Mar");
  CHECK(dayOfYearLabel(366) == "31 Dec");
  CHECK(dayOfYearLabel(0).empty());
  CHECK(dayOfYearLabel(367).empty());
  CHECK(monthDayYear(1464611696000) == "May 30, 2016");
}
