// The load protocol: pulses that race a load are neither lost nor counted twice.
#include <catch2/catch.hpp>

#include <thread>

#include "user_store.hpp"

using namespace codestats::cache;

namespace {
constexpr int64_t kNow = 1'780'000'000'000;

Pulse pulse(int64_t id, int64_t user, int64_t xp) {
  Pulse p;
  p.id = id;
  p.userId = user;
  p.machineId = 1;
  p.sentAt = kNow - 1000;
  p.localDay = dayOf(p.sentAt);
  p.localHour = hourOf(p.sentAt);
  p.xps = {{3, xp}};
  return p;
}

// What the DB would return after pulses `ids` (each 10 XP) were committed.
UserAggregates snapshot(int64_t user, std::vector<int64_t> ids) {
  UserAggregates a;
  a.userId = user;
  for (int64_t id : ids) a.apply(pulse(id, user, 10), kNow);
  return a;
}

int64_t total(UserStore& s, int64_t user) {
  int64_t t = -1;
  s.read(user, kNow, [&](const UserAggregates& a) { t = a.total; });
  return t;
}
}  // namespace

TEST_CASE("user store: pulses for absent users are ignored, warm users are updated", "[cache]") {
  UserStore s;
  CHECK(s.applyPulse(pulse(1, 5, 10), kNow) == UserStore::PulseResult::Ignored);
  uint64_t t = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1}), kNow));
  CHECK(total(s, 5) == 10);
  CHECK(s.applyPulse(pulse(2, 5, 10), kNow) == UserStore::PulseResult::Applied);
  CHECK(s.applyPulse(pulse(2, 5, 10), kNow) == UserStore::PulseResult::Duplicate);
  CHECK(total(s, 5) == 20);
}

TEST_CASE("user store: a pulse buffered during a load counts once whether or not the snapshot had it", "[cache]") {
  UserStore s;
  uint64_t t = s.beginLoad(5);
  // pulse 2 committed before the snapshot query, pulse 3 after: both events arrive during the load
  CHECK(s.applyPulse(pulse(2, 5, 10), kNow) == UserStore::PulseResult::Buffered);
  CHECK(s.applyPulse(pulse(3, 5, 10), kNow) == UserStore::PulseResult::Buffered);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1, 2}), kNow));
  CHECK(total(s, 5) == 30);
}

TEST_CASE("user store: a reload keeps serving exact data and supersedes older loads", "[cache]") {
  UserStore s;
  uint64_t t1 = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t1, snapshot(5, {1}), kNow));
  uint64_t t2 = s.beginLoad(5);
  s.applyPulse(pulse(2, 5, 10), kNow);
  CHECK(total(s, 5) == 20);  // old data plus the new pulse while reloading
  uint64_t t3 = s.beginLoad(5);
  CHECK_FALSE(s.finishLoad(5, t2, snapshot(5, {1}), kNow));  // superseded
  REQUIRE(s.finishLoad(5, t3, snapshot(5, {1}), kNow));      // snapshot before pulse 2
  CHECK(total(s, 5) == 20);
}

TEST_CASE("user store: stale users are not served; removed users stay removed", "[cache]") {
  UserStore s;
  uint64_t t = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1}), kNow));
  REQUIRE(s.markStale(5));
  CHECK(total(s, 5) == -1);
  CHECK(s.isStale(5));
  t = s.beginLoad(5);
  s.remove(5);
  CHECK_FALSE(s.finishLoad(5, t, snapshot(5, {1}), kNow));  // deleted while loading
  CHECK(total(s, 5) == -1);
  CHECK(s.applyPulse(pulse(9, 5, 10), kNow) == UserStore::PulseResult::Ignored);
}

TEST_CASE("user store: never-rebuilt users are rebuilt first, then the oldest", "[cache]") {
  UserStore s;
  for (int64_t u : {1, 2, 3}) {
    auto a = snapshot(u, {u * 10});
    a.rebuiltAt = u == 2 ? 0 : 1000 * u;
    uint64_t t = s.beginLoad(u);
    s.finishLoad(u, t, std::move(a), kNow);
  }
  CHECK(s.leastRecentlyRebuilt() == 2);
}

TEST_CASE("user store: concurrent pulses and loads add up", "[cache]") {
  UserStore s;
  uint64_t t = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {}), kNow));
  std::thread writer([&] {
    for (int64_t id = 1; id <= 2000; ++id) s.applyPulse(pulse(id, 5, 1), kNow);
  });
  for (int i = 0; i < 200; ++i) total(s, 5);
  writer.join();
  CHECK(total(s, 5) == 2000);
}

TEST_CASE(
    "user store: every change of a user's data gives it a new version; reads, duplicates and equal reloads do not",
    "[cache]") {
  UserStore s;
  auto version = [&](int64_t user) {
    uint64_t v = 0;
    s.read(user, kNow, [&](const UserAggregates& a) { v = a.version; });
    return v;
  };
  uint64_t t = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1}), kNow));
  uint64_t v1 = version(5);
  CHECK(v1 != 0);
  CHECK(version(5) == v1);
  s.applyPulse(pulse(2, 5, 10), kNow);
  uint64_t v2 = version(5);
  CHECK(v2 != v1);
  s.applyPulse(pulse(2, 5, 10), kNow);  // duplicate: same data
  CHECK(version(5) == v2);
  t = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1, 2}), kNow));  // a reload that found the same data
  CHECK(version(5) == v2);
  t = s.beginLoad(5);
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1, 2, 3}), kNow));  // one that found more
  CHECK(version(5) != v2);
  // Versions are unique across users: a memo keyed by name cannot confuse two users.
  t = s.beginLoad(6);
  REQUIRE(s.finishLoad(6, t, snapshot(6, {7}), kNow));
  CHECK(version(6) != version(5));
}

#include "directory.hpp"

TEST_CASE("directory: its version changes with user info and language names, not with equal puts", "[cache]") {
  Directory d;
  uint64_t v0 = d.version();
  d.putUser(UserInfo{1, "ann", false, 5});
  uint64_t v1 = d.version();
  CHECK(v1 != v0);
  d.putUser(UserInfo{1, "ann", false, 5});  // a reload of an unchanged user
  CHECK(d.version() == v1);
  d.putUser(UserInfo{1, "ann", true, 5});  // privacy changed
  uint64_t v2 = d.version();
  CHECK(v2 != v1);
  d.putLanguage(3, "C++");
  uint64_t v3 = d.version();
  CHECK(v3 != v2);
  d.putLanguage(3, "C++");
  CHECK(d.version() == v3);
  d.putLanguage(3, "c++");  // renamed
  CHECK(d.version() != v3);
  uint64_t v4 = d.version();
  d.removeUser(1);
  CHECK(d.version() != v4);
}

TEST_CASE("user store: a load is in progress from beginLoad until it is finished, superseded and finished, or aborted",
          "[cache]") {
  UserStore s;
  CHECK_FALSE(s.isLoading(5));
  uint64_t t = s.beginLoad(5);
  CHECK(s.isLoading(5));
  REQUIRE(s.finishLoad(5, t, snapshot(5, {1}), kNow));
  CHECK_FALSE(s.isLoading(5));

  uint64_t first = s.beginLoad(5);
  uint64_t second = s.beginLoad(5);  // supersedes the first
  CHECK_FALSE(s.finishLoad(5, first, snapshot(5, {1}), kNow));
  CHECK(s.isLoading(5));  // the second is still running
  s.abortLoad(5, second);
  CHECK_FALSE(s.isLoading(5));
  CHECK(total(s, 5) == 10);  // the data from before stays
}

TEST_CASE("user store: awaitLoad returns when the load in progress ends, or false after its timeout", "[cache]") {
  UserStore s;
  CHECK(s.awaitLoad(5, std::chrono::milliseconds(0)));  // nothing in progress
  uint64_t t = s.beginLoad(5);
  CHECK_FALSE(s.awaitLoad(5, std::chrono::milliseconds(20)));  // still loading
  std::thread loader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s.finishLoad(5, t, snapshot(5, {1}), kNow);
  });
  CHECK(s.awaitLoad(5, std::chrono::seconds(10)));
  CHECK(total(s, 5) == 10);
  loader.join();

  uint64_t again = s.beginLoad(5);
  std::thread aborter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s.abortLoad(5, again);
  });
  CHECK(s.awaitLoad(5, std::chrono::seconds(10)));
  aborter.join();
}
