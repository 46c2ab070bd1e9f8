#include "common/timestamp.hpp"

#include <cstdio>

#include "common/ascii.hpp"

namespace codestats::common {
namespace {

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t micros = 0;
  bool zulu = false;
  bool hasOffset = false;
  int offsetMinutes = 0;
};

// Reads n digits at s[i..]; advances i.
bool digits(std::string_view s, size_t& i, int n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    if (!isAsciiDigit(s[i + k])) return false;
    v = v * 10 + (s[i + k] - '0');
  }
  out = v;
  i += n;
  return true;
}

// An optional single non-digit separator.
void optSep(std::string_view s, size_t& i) {
  if (i < s.size() && !isAsciiDigit(s[i])) ++i;
}

// The pattern of §3.5 A anchored at `start`.
bool matchAt(std::string_view s, size_t start, Fields& f) {
  size_t i = start;
  if (!digits(s, i, 4, f.year)) return false;
  optSep(s, i);
  if (!digits(s, i, 2, f.month)) return false;
  optSep(s, i);
  if (!digits(s, i, 2, f.day)) return false;
  if (i >= s.size() || isAsciiDigit(s[i])) return false;  // exactly one non-digit separator
  ++i;
  if (!digits(s, i, 2, f.hour)) return false;
  optSep(s, i);
  if (!digits(s, i, 2, f.minute)) return false;
  optSep(s, i);
  if (!digits(s, i, 2, f.second)) return false;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && isAsciiDigit(s[i + 1])) {
    ++i;
    int64_t us = 0;
    int n = 0;
    while (i < s.size() && isAsciiDigit(s[i])) {
      if (n < 6) us = us * 10 + (s[i] - '0');
      ++n;
      ++i;
    }
    for (; n < 6; ++n) us *= 10;
    f.micros = us;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    f.zulu = true;
    ++i;
  }
  // [+-] \d{1,2} :? \d{2}, with the regex's backtracking on the hour digits
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    size_t j = i + 1;
    for (int hourDigits = 2; hourDigits >= 1; --hourDigits) {
      size_t k = j;
      int hh = 0, mm = 0;
      if (!digits(s, k, hourDigits, hh)) continue;
      if (k < s.size() && s[k] == ':') {
        size_t k2 = k + 1;
        if (digits(s, k2, 2, mm)) {
          f.hasOffset = true;
          f.offsetMinutes = sign * (hh * 60 + mm);
          break;
        }
      }
      if (digits(s, k, 2, mm)) {
        f.hasOffset = true;
        f.offsetMinutes = sign * (hh * 60 + mm);
        break;
      }
    }
  }
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int daysIn(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::optional<int64_t> parseCodedAt(std::string_view text) {
  Fields f;
  bool found = false;
  for (size_t start = 0; start < text.size() && !found; ++start) {
    Fields cand;
    if (matchAt(text, start, cand)) {
      f = cand;
      found = true;
    }
  }
  if (!found || (!f.zulu && !f.hasOffset)) return std::nullopt;
  if (f.month < 1 || f.month > 12) return std::nullopt;
  if (f.day < 1 || f.day > daysIn(f.year, f.month)) return std::nullopt;
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return std::nullopt;
  int offset = f.zulu ? 0 : f.offsetMinutes;
  int64_t days = daysFromCivil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
  int64_t secs = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - static_cast<int64_t>(offset) * 60;
  return secs * 1000000 + f.micros;
}

std::optional<int> parseTzOffset(std::string_view text) {
  std::string_view s = trimAsciiSpace(text);
  if (s.empty()) return std::nullopt;
  if (s.back() == 'z' || s.back() == 'Z') return 0;
  auto d = [&](size_t k) { return s[k] - '0'; };
  // sign HH MM (5) or sign HH : MM (6)
  for (size_t len : {size_t(6), size_t(5)}) {
    if (s.size() < len) continue;
    size_t p = s.size() - len;
    char sign = s[p];
    if (sign != '+' && sign != '-') continue;
    bool ok = isAsciiDigit(s[p + 1]) && isAsciiDigit(s[p + 2]);
    size_t m = p + 3;
    if (len == 6) {
      ok = ok && s[m] == ':';
      ++m;
    }
    ok = ok && isAsciiDigit(s[m]) && isAsciiDigit(s[m + 1]);
    if (!ok) continue;
    int minutes = (d(p + 1) * 10 + d(p + 2)) * 60 + d(m) * 10 + d(m + 1);
    return sign == '-' ? -minutes : minutes;
  }
  return std::nullopt;
}

TimestampError resolvePulseTime(std::string_view codedAt, int64_t nowUs, PulseTime& out) {
  auto t = parseCodedAt(codedAt);
  if (!t) return TimestampError::Format;
  int64_t diffUs = nowUs - *t;
  int64_t instantUs = *t;
  if (diffUs <= 0) {
    instantUs = nowUs;  // now or future: the server's time
  } else if (diffUs / 1000000 > 604800) {
    return TimestampError::Date;
  }
  auto offset = parseTzOffset(codedAt);
  if (!offset) return TimestampError::Offset;
  int64_t secs = floorDiv(instantUs, 1000000);
  out.sentAtMs = secs * 1000;
  out.tzOffset = *offset;
  int64_t localSecs = secs + static_cast<int64_t>(*offset) * 60;
  out.sentAtLocalMs = localSecs * 1000;
  int64_t day = floorDiv(localSecs, 86400);
  int64_t y;
  unsigned m, d;
  civilFromDays(day, y, m, d);
  out.localDay = static_cast<int32_t>(y * 10000 + m * 100 + d);
  out.localHour = static_cast<int>((localSecs - day * 86400) / 3600);
  return TimestampError::None;
}

std::string isoDate(int32_t d) {
  if (d < 0 || d > 99991231) {  // not a four-digit year: as printf writes it
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d / 10000, (d / 100) % 100, d % 100);
    return buf;
  }
  // Digit by digit: profile answers write a year of dates (snprintf was most of their cost).
  std::string out(10, '-');
  auto two = [&](size_t at, int v) {
    out[at] = static_cast<char>('0' + v / 10);
    out[at + 1] = static_cast<char>('0' + v % 10);
  };
  two(0, d / 1000000);
  two(2, d / 10000 % 100);
  two(5, d / 100 % 100);
  two(8, d % 100);
  return out;
}

std::optional<int32_t> parseIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int32_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::string formatUtc(int64_t ms) {
  int64_t secs = floorDiv(ms, 1000);
  int64_t day = floorDiv(secs, 86400);
  int64_t rem = secs - day * 86400;
  int64_t y;
  unsigned m, d;
  civilFromDays(day, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

std::string formatLocal(int64_t localMs, int tzOffset) {
  std::string s = formatUtc(localMs);
  s.pop_back();  // 'Z'
  int a = tzOffset < 0 ? -tzOffset : tzOffset;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", tzOffset < 0 ? '-' : '+', a / 60, a % 60);
  return s + buf;
}

}  // namespace codestats::common
