// The cache.v1 JSON shapes.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "render.hpp"

using namespace codestats::cache;

namespace {
constexpr int64_t kNow = 1'780'000'000'000;

Poco::JSON::Object::Ptr parse(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}
}  // namespace

TEST_CASE("render: profile has the §4 fields, hides inactive machines, counts new XP in 12 h", "[cache]") {
  Directory dir;
  dir.putLanguage(1, "C++");
  dir.putLanguage(2, "Elixir");
  UserInfo u{7, "Nicd", false, kNow - 100 * kMsPerDay};
  UserAggregates a;
  a.userId = 7;
  a.machineInfo = {{1, "laptop", true}, {2, "old", false}};
  auto add = [&](int64_t id, int64_t sentAt, int64_t machine, int64_t lang, int64_t xp) {
    Pulse p;
    p.id = id;
    p.userId = 7;
    p.machineId = machine;
    p.sentAt = sentAt;
    p.localDay = dayOf(sentAt);
    p.localHour = hourOf(sentAt);
    p.xps = {{lang, xp}};
    a.apply(p, kNow);
  };
  add(1, kNow - kMsPerHour, 1, 1, 10);
  add(2, kNow - 13 * kMsPerHour, 1, 2, 20);
  add(3, kNow - 2 * kMsPerHour, 2, 2, 5);
  auto j = parse(renderProfile(u, a, dir, kNow, "s-1"));
  CHECK(j->getValue<std::string>("stamp") == "s-1");
  CHECK(j->getValue<std::string>("user") == "Nicd");
  CHECK(j->getValue<int64_t>("total_xp") == 35);
  CHECK(j->getValue<int64_t>("new_xp") == 15);
  CHECK(j->getObject("languages")->getObject("C++")->getValue<int64_t>("xps") == 10);
  CHECK(j->getObject("languages")->getObject("Elixir")->getValue<int64_t>("new_xps") == 5);
  CHECK(j->getObject("machines")->size() == 1);
  CHECK(j->getObject("machines")->getObject("laptop")->getValue<int64_t>("xps") == 30);
  CHECK(j->getObject("machines")->getObject("laptop")->getValue<int64_t>("new_xps") == 10);
  int64_t dates = 0;
  for (const auto& [k, v] : *j->getObject("dates")) dates += v.convert<int64_t>();
  CHECK(dates == 35);
  CHECK(j->getArray("day_language_xps")->size() >= 2);
  CHECK(j->getValue<bool>("private") == false);
  CHECK(j->getValue<bool>("avatar") == false);
  CHECK_FALSE(j->isNull("last_programmed"));
  u.avatar = true;  // gravatar_email set: the page shows the avatar
  CHECK(parse(renderProfile(u, a, dir, kNow, "s-2"))->getValue<bool>("avatar") == true);
}

TEST_CASE("render: a profile answer is valid until a pulse leaves the 12 h window or the UTC date turns", "[cache]") {
  UserAggregates a;
  int64_t midnight = (kNow / kMsPerDay + 1) * kMsPerDay;
  CHECK(profileValidUntil(a, kNow) == midnight);  // no recent pulse: only the date matters
  Pulse p;
  p.id = 1;
  p.userId = 7;
  p.machineId = 1;
  p.sentAt = kNow - 11 * kMsPerHour;  // leaves the window in 1 h (+1 ms: the window is >=)
  p.localDay = dayOf(p.sentAt);
  p.xps = {{1, 5}};
  a.apply(p, kNow);
  int64_t leaves = p.sentAt + 12 * kMsPerHour + 1;
  CHECK(profileValidUntil(a, kNow) == std::min(leaves, midnight));
  // Out of the window already: no longer a bound.
  CHECK(profileValidUntil(a, leaves) == (leaves / kMsPerDay + 1) * kMsPerDay);
  // Stamps name their parts; any part changing changes the stamp.
  auto s = profileStamp(0xab, 2, 3, 4);
  CHECK(s == "00000000000000ab-2-3-4");
  CHECK(s != profileStamp(0xac, 2, 3, 4));
  CHECK(s != profileStamp(0xab, 9, 3, 4));
  CHECK(s != profileStamp(0xab, 2, 9, 4));
  CHECK(s != profileStamp(0xab, 2, 3, 9));
}

TEST_CASE("render: xp_history is the channels frontpage join reply", "[cache]") {
  // 2026-05-28 20:26 UTC = minute 29666666
  CHECK(renderXpHistory({{29666666, 12}}) == R"({"xp_history":[[[[2026,5,28],[20,26]],12]]})");
}

#include "events.hpp"

TEST_CASE("profile requests: bad input gets a clear message", "[cache]") {
  CHECK(parseProfileRequest(R"({"username":"a"})").username == "a");
  auto r = parseProfileRequest(R"({"username":"a","viewer":"b","case_insensitive":true})");
  CHECK(r.viewer == "b");
  CHECK(r.caseInsensitive);
  CHECK_FALSE(parseProfileRequest(R"({"username":"a","viewer":null})").viewer);
  CHECK(parseProfileRequest(R"({"username":"a","if_stamp":"x-1"})").ifStamp == "x-1");
  CHECK_THROWS_WITH(parseProfileRequest(R"({"username":"a","if_stamp":1})"),
                    "invalid request: \"if_stamp\" must be a string or null");
  CHECK_THROWS_WITH(parseProfileRequest("[]"), "invalid request: expected a JSON object");
  CHECK_THROWS_WITH(parseProfileRequest("{"), "invalid request: expected a JSON object");
  CHECK_THROWS_WITH(parseProfileRequest(R"({"username":5})"), "invalid request: \"username\" must be a string");
  CHECK_THROWS_WITH(parseProfileRequest(R"({"username":"a","viewer":1})"),
                    "invalid request: \"viewer\" must be a string or null");
  CHECK_THROWS_WITH(parseProfileRequest(R"({"username":"a","case_insensitive":"yes"})"),
                    "invalid request: \"case_insensitive\" must be true or false");
}
