#include "calendar.hpp"

#include <cstdio>

namespace codestats::cache {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int32_t dayFromEpochDay(int64_t epochDay) {
  int64_t y, m, d;
  civilFromDays(epochDay, y, m, d);
  return static_cast<int32_t>(y * 10000 + m * 100 + d);
}

int32_t dayOf(int64_t ms) { return dayFromEpochDay(floorDiv(ms, kMsPerDay)); }

int hourOf(int64_t ms) { return static_cast<int>(floorDiv(ms, kMsPerHour) - floorDiv(ms, kMsPerDay) * 24); }

int64_t epochDayOf(int32_t yyyymmdd) { return daysFromCivil(yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100); }

std::string isoDate(int32_t yyyymmdd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
  return buf;
}

std::string isoInstant(int64_t ms) {
  int64_t day = floorDiv(ms, kMsPerDay);
  int64_t sec = floorDiv(ms, 1000) - day * 86400;
  int32_t ymd = dayFromEpochDay(day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", ymd / 10000, ymd / 100 % 100, ymd % 100,
                static_cast<int>(sec / 3600), static_cast<int>(sec / 60 % 60), static_cast<int>(sec % 60));
  return buf;
}

}  // namespace codestats::cache
