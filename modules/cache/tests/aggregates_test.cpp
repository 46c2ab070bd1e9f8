// A user's aggregates: what a pulse adds, idempotence by pulse id, the recent window.
#include <catch2/catch.hpp>

#include "aggregates.hpp"
#include "calendar.hpp"
#include "common/timestamp.hpp"

using namespace codestats::cache;

namespace {
constexpr int64_t kNow = 1'780'000'000'000;  // 2026-05-28

Pulse pulse(int64_t id, int64_t sentAt, std::vector<PulseXp> xps, int64_t machine = 1, int tz = 0) {
  Pulse p;
  p.id = id;
  p.userId = 7;
  p.machineId = machine;
  p.sentAt = sentAt;
  p.localDay = dayOf(sentAt + tz * kMsPerMinute);
  p.localHour = hourOf(sentAt + tz * kMsPerMinute);
  p.xps = std::move(xps);
  p.machineName = "m" + std::to_string(machine);
  return p;
}
}  // namespace

TEST_CASE("calendar: days and hours of wall-clock instants", "[cache]") {
  CHECK(dayOf(0) == 19700101);
  CHECK(dayOf(-1) == 19691231);
  CHECK(hourOf(-1) == 23);
  CHECK(dayFromEpochDay(epochDayOf(20240229)) == 20240229);
  CHECK(codestats::common::isoDate(20240229) == "2024-02-29");
  CHECK(codestats::common::formatUtc(kNow) == "2026-05-28T20:26:40Z");
  CHECK(epochDayOf(20000301) - epochDayOf(20000101) == 60);
}

TEST_CASE("aggregates: a pulse adds to every total once", "[cache]") {
  UserAggregates a;
  a.userId = 7;
  REQUIRE(a.apply(pulse(1, kNow - 1000, {{10, 5}, {11, 7}}, 1, 120), kNow));
  CHECK(a.total == 12);
  CHECK(a.languages == Counts{{10, 5}, {11, 7}});
  CHECK(a.machines == Counts{{1, 12}});
  REQUIRE(a.days.size() == 1);
  CHECK(a.days[0] == std::pair<int32_t, int64_t>{dayOf(kNow - 1000 + 120 * kMsPerMinute), 12});
  CHECK(a.hours[static_cast<size_t>(hourOf(kNow - 1000 + 120 * kMsPerMinute))] == 12);
  CHECK(a.lastPulseAt == kNow - 1000);
  CHECK(a.machineInfo.size() == 1);
  // the same pulse again (an event racing a load) changes nothing
  CHECK_FALSE(a.apply(pulse(1, kNow - 1000, {{10, 5}, {11, 7}}, 1, 120), kNow));
  CHECK(a.total == 12);
  // an older day is inserted in order
  REQUIRE(a.apply(pulse(2, kNow - 3 * kMsPerDay, {{10, 1}}), kNow));
  REQUIRE(a.days.size() == 2);
  CHECK(a.days[0].first < a.days[1].first);
}

TEST_CASE("aggregates: recent rows older than the keep window are dropped, totals stay", "[cache]") {
  UserAggregates a;
  a.apply(pulse(1, kNow - kKeepRecentMs - 1, {{10, 5}}), kNow - kKeepRecentMs);
  a.apply(pulse(2, kNow, {{10, 3}}), kNow);
  CHECK(a.recent.size() == 1);
  CHECK(a.recent[0].pulseId == 2);
  CHECK(a.total == 8);
}

#include "events.hpp"

TEST_CASE("events: pulse.created with Unix ms or with RFC 3339 text (ingest 0.2)", "[cache]") {
  auto ms = parsePulseCreated(
      R"({"pulse_id":1,"user_id":2,"machine_id":3,"sent_at":1780000000000,"sent_at_local":1780007200000,"tz_offset":120,"xps":[{"language":"C++","amount":4}]})");
  REQUIRE(ms);
  CHECK(ms->sentAt == 1780000000000);
  CHECK(ms->sentAtLocal == 1780007200000);
  auto text = parsePulseCreated(
      R"({"pulse_id":1,"user_id":2,"machine_id":3,"sent_at":"2026-05-28T20:26:40Z","sent_at_local":"2026-05-28T22:26:40+02:00","tz_offset":120,"xps":[{"language":"C++","original_language":"c++","amount":4}],"extra":true})");
  REQUIRE(text);
  CHECK(text->sentAt == 1780000000000);
  CHECK(text->sentAtLocal == 1780007200000);
  REQUIRE(text->xps.size() == 1);
  CHECK(text->xps[0].amount == 4);
  auto negative = parsePulseCreated(
      R"({"pulse_id":1,"user_id":2,"machine_id":3,"sent_at":"2026-05-28T20:26:40.5Z","sent_at_local":"2026-05-28T15:26:40-05:00","xps":[]})");
  REQUIRE(negative);
  CHECK(negative->sentAt == 1780000000500);
  CHECK(dayOf(negative->sentAtLocal) == 20260528);
  CHECK(hourOf(negative->sentAtLocal) == 15);
  CHECK_FALSE(parsePulseCreated(
      R"({"pulse_id":1,"user_id":2,"machine_id":3,"sent_at":"yesterday","sent_at_local":1,"xps":[]})"));
  CHECK_FALSE(parsePulseCreated("not json"));
}
