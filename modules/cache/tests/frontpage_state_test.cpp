// Front-page aggregates: everyone's total, the capped 4 h history, the 24 h languages.
#include <catch2/catch.hpp>

#include "frontpage_state.hpp"

using namespace codestats::cache;

namespace {
constexpr int64_t kNow = 1'780'000'000'000;

Pulse pulse(int64_t id, int64_t sentAt, std::vector<PulseXp> xps) {
  Pulse p;
  p.id = id;
  p.userId = 1;
  p.sentAt = sentAt;
  p.xps = std::move(xps);
  return p;
}
}  // namespace

TEST_CASE("frontpage: load, then pulses, each counted once", "[cache]") {
  FrontpageState f;
  uint64_t t = f.beginLoad();
  f.applyPulse(pulse(5, kNow - 1000, {{1, 100}}), kNow);  // in the snapshot too
  f.applyPulse(pulse(6, kNow - 1000, {{2, 50}}), kNow);   // committed after the snapshot
  FrontpageSnapshot snap;
  snap.total = 1100;
  snap.window = {{5, kNow - 1000, 1, 100}};
  snap.recentIds = {5};
  REQUIRE(f.finishLoad(t, snap, kNow));
  CHECK(f.total() == 1150);
  f.applyPulse(pulse(6, kNow - 1000, {{2, 50}}), kNow);  // replayed: ignored
  CHECK(f.total() == 1150);
  auto langs = f.languages24h(kNow);
  CHECK(langs.size() == 2);
}

TEST_CASE("frontpage: xp history caps each row at 400 and keeps 4 hours, newest first", "[cache]") {
  FrontpageState f;
  uint64_t t = f.beginLoad();
  REQUIRE(f.finishLoad(t, {}, kNow));
  f.applyPulse(pulse(1, kNow - 60'000, {{1, 1000}, {2, 10}}), kNow);
  f.applyPulse(pulse(2, kNow - 5 * kMsPerHour, {{1, 7}}), kNow);
  f.applyPulse(pulse(3, kNow, {{1, 1}}), kNow);
  auto h = f.xpHistory(kNow);
  REQUIRE(h.size() == 2);
  CHECK(h[0].second == 1);
  CHECK(h[1].second == 410);
  CHECK(h[0].first > h[1].first);
  CHECK(f.total() == 1018);
  int64_t sum = 0;
  for (auto& [l, xp] : f.languages24h(kNow)) sum += xp;
  CHECK(sum == 1018);
}
