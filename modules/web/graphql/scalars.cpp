#include "scalars.hpp"

#include <cstdio>

#include "common/timestamp.hpp"  // the coded_at parser and calendar helpers, shared with ingest

namespace codestats::graphql {
namespace {

bool digitsAt(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t k = at; k < at + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  out = v;
  return true;
}

bool validDate(int y, int m, int d) {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

}  // namespace

std::optional<Yyyymmdd> parseDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!digitsAt(text, 0, 4, y) || !digitsAt(text, 5, 2, m) || !digitsAt(text, 8, 2, d)) return std::nullopt;
  if (!validDate(y, m, d)) return std::nullopt;
  return y * 10000 + m * 100 + d;
}

std::string formatDate(Yyyymmdd day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", day / 10000 % 10000, day / 100 % 100, day % 100);
  return buf;
}

int64_t daysSinceEpoch(Yyyymmdd day) {
  return common::daysFromCivil(day / 10000, static_cast<unsigned>(day / 100 % 100), static_cast<unsigned>(day % 100));
}

Yyyymmdd dateFromDays(int64_t days) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  common::civilFromDays(days, y, m, d);
  return static_cast<Yyyymmdd>(y * 10000 + m * 100 + d);
}

std::optional<int64_t> parseDatetime(std::string_view text) {
  const std::optional<int64_t> us = common::parseCodedAt(text);
  if (!us) return std::nullopt;
  // Floor division: an instant before 1970 with a fraction stays at or before itself.
  return *us >= 0 ? *us / 1000 : -((-*us + 999) / 1000);
}

std::string formatDatetime(int64_t unixMs) { return common::formatUtc(unixMs); }

bool isNaiveDatetime(std::string_view text) {
  int h = 0, mi = 0, s = 0;
  if (text.size() < 19 || !parseDate(text.substr(0, 10)) || (text[10] != 'T' && text[10] != ' ')) return false;
  if (!digitsAt(text, 11, 2, h) || text[13] != ':' || !digitsAt(text, 14, 2, mi) || text[16] != ':' ||
      !digitsAt(text, 17, 2, s))
    return false;
  if (h > 23 || mi > 59 || s > 59) return false;
  if (text.size() == 19) return true;
  if (text[19] != '.' || text.size() == 20) return false;
  for (size_t k = 20; k < text.size(); ++k)
    if (text[k] < '0' || text[k] > '9') return false;
  return true;
}

}  // namespace codestats::graphql
