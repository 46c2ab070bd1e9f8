#include "calendar.hpp"

#include "common/timestamp.hpp"

namespace codestats::cache {
namespace {

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int32_t dayFromEpochDay(int64_t epochDay) {
  int64_t y;
  unsigned m, d;
  common::civilFromDays(epochDay, y, m, d);
  return static_cast<int32_t>(y * 10000 + m * 100 + d);
}

int32_t dayOf(int64_t ms) { return dayFromEpochDay(floorDiv(ms, kMsPerDay)); }

int hourOf(int64_t ms) { return static_cast<int>(floorDiv(ms, kMsPerHour) - floorDiv(ms, kMsPerDay) * 24); }

int64_t epochDayOf(int32_t yyyymmdd) {
  return common::daysFromCivil(yyyymmdd / 10000, static_cast<unsigned>(yyyymmdd / 100 % 100),
                               static_cast<unsigned>(yyyymmdd % 100));
}

}  // namespace codestats::cache
