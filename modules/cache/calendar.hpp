// Calendar arithmetic the cache needs (proleptic Gregorian, no time zones: local times
// arrive as "local wall clock as Unix milliseconds", docs/events.md), on top of
// common/timestamp.hpp (the civil-date conversions, ISO dates and instants). Pure, no SDK.
#pragma once

#include <cstdint>

namespace codestats::cache {

constexpr int64_t kMsPerMinute = 60'000;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// yyyymmdd of the day containing `ms` (the digits of a wall-clock instant).
int32_t dayOf(int64_t ms);
// 0-23 of the hour containing `ms`.
int hourOf(int64_t ms);
// Days since 1970-01-01 of a yyyymmdd day, and back.
int64_t epochDayOf(int32_t yyyymmdd);
int32_t dayFromEpochDay(int64_t epochDay);

}  // namespace codestats::cache
