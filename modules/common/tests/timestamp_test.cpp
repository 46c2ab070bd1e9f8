#include <catch2/catch.hpp>

#include "common/timestamp.hpp"

using namespace codestats::common;

namespace {
// 2020-09-01T12:00:00Z in microseconds
constexpr int64_t kNoonUs = 1598961600LL * 1000000;

int64_t utcUs(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return (daysFromCivil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * 1000000LL;
}
}  // namespace

TEST_CASE("timestamp: RFC 3339 variants parse (§3.5 A)", "[timestamp]") {
  const int64_t t = utcUs(2020, 9, 1, 10, 0, 0);
  CHECK(parseCodedAt("2020-09-01T10:00:00Z") == t);
  CHECK(parseCodedAt("2020-09-01t10:00:00z") == t);
  CHECK(parseCodedAt("2020-09-01 10:00:00Z") == t);
  CHECK(parseCodedAt("2020-09-01T12:00:00+02:00") == t);
  CHECK(parseCodedAt("2020-09-01T12:00:00+0200") == t);
  CHECK(parseCodedAt("2020-09-01T05:00:00-05:00") == t);
  CHECK(parseCodedAt("2020-09-01T05:00:00-0500") == t);
  CHECK(parseCodedAt("20200901T100000Z") == t);
  CHECK(parseCodedAt("2020-09-01T12:00:00+2:00") == t);  // passes A, fails C
  CHECK(parseCodedAt("2020-09-01T12:00:00+00:00") == utcUs(2020, 9, 1, 12, 0, 0));
  // 0-9 fraction digits, '.' or ','
  CHECK(parseCodedAt("2020-09-01T10:00:00.Z") == std::nullopt);  // '.' with no digit: then "." is not a zone
  CHECK(parseCodedAt("2020-09-01T10:00:00.1Z") == t + 100000);
  CHECK(parseCodedAt("2020-09-01T10:00:00,123Z") == t + 123000);
  CHECK(parseCodedAt("2020-09-01T10:00:00.123456Z") == t + 123456);
  CHECK(parseCodedAt("2020-09-01T11:00:00.1234567+01:00") == t + 123456);
  CHECK(parseCodedAt("2020-09-01T12:00:00.123456789+02:00") == t + 123456);
  // unanchored: leading garbage is skipped
  CHECK(parseCodedAt("at 2020-09-01T10:00:00Z please") == t);
}

TEST_CASE("timestamp: invalid coded_at (§3.5 A)", "[timestamp]") {
  CHECK_FALSE(parseCodedAt(""));
  CHECK_FALSE(parseCodedAt("yesterday"));
  CHECK_FALSE(parseCodedAt("2020-09-01T10:00:00"));  // no zone
  CHECK_FALSE(parseCodedAt("2020-09-01"));
  CHECK_FALSE(parseCodedAt("2020-13-01T10:00:00Z"));
  CHECK_FALSE(parseCodedAt("2020-02-30T10:00:00Z"));
  CHECK_FALSE(parseCodedAt("2020-02-30T10:00:00+02:00"));  // rejected, not rolled over
  CHECK_FALSE(parseCodedAt("2020-09-01T24:00:00Z"));
  CHECK_FALSE(parseCodedAt("2020-09-01T10:60:00Z"));
  CHECK_FALSE(parseCodedAt("2020-09-01T10:00:61Z"));
  CHECK_FALSE(parseCodedAt("2020-09-01T10:00:00+-5:0-30"));  // the drracket bug
  CHECK(parseCodedAt("2020-02-29T10:00:00Z"));
  CHECK_FALSE(parseCodedAt("2019-02-29T10:00:00Z"));
}

TEST_CASE("timestamp: offsets (§3.5 C)", "[timestamp]") {
  CHECK(parseTzOffset("2020-09-01T10:00:00Z") == 0);
  CHECK(parseTzOffset(" 2020-09-01T10:00:00z ") == 0);
  CHECK(parseTzOffset("2020-09-01T10:00:00+02:00") == 120);
  CHECK(parseTzOffset("2020-09-01T10:00:00+0200") == 120);
  CHECK(parseTzOffset("2020-09-01T10:00:00-05:00") == -300);
  CHECK(parseTzOffset("2020-09-01T10:00:00-0530") == -330);
  CHECK(parseTzOffset("2020-09-01T10:00:00-00:30") == -30);
  CHECK(parseTzOffset("2020-09-01T10:00:00+99:99") == 99 * 60 + 99);  // not range-checked
  CHECK_FALSE(parseTzOffset("2020-09-01T10:00:00+2:00"));
  CHECK_FALSE(parseTzOffset("2020-09-01T10:00:00+200"));
  CHECK_FALSE(parseTzOffset("2020-09-01T10:00:00"));
  CHECK_FALSE(parseTzOffset("2020-09-01T10:00:00+02:0"));
}

TEST_CASE("timestamp: age window, future, stored values (§3.5 B, D)", "[timestamp]") {
  PulseTime p;
  SECTION("a past instant is kept, truncated to seconds, local time and offset stored") {
    REQUIRE(resolvePulseTime("2020-09-01T13:30:00.900+02:00", kNoonUs, p) == TimestampError::None);
    CHECK(p.sentAtMs == (kNoonUs / 1000000 - 1800) * 1000);
    CHECK(p.tzOffset == 120);
    CHECK(p.sentAtLocalMs == p.sentAtMs + 120 * 60 * 1000);
    CHECK(p.localDay == 20200901);
    CHECK(p.localHour == 13);
  }
  SECTION("the local day can differ from the UTC day") {
    REQUIRE(resolvePulseTime("2020-09-01T01:00:00+03:00", kNoonUs, p) == TimestampError::None);
    CHECK(p.localDay == 20200901);
    CHECK(p.localHour == 1);
    REQUIRE(resolvePulseTime("2020-08-31T20:00:00-05:00", kNoonUs, p) == TimestampError::None);
    CHECK(p.localDay == 20200831);
    CHECK(p.localHour == 20);
    CHECK(formatUtc(p.sentAtMs) == "2020-09-01T01:00:00Z");
    CHECK(formatLocal(p.sentAtLocalMs, p.tzOffset) == "2020-08-31T20:00:00-05:00");
  }
  SECTION("exactly 7 days passes, 604800.9 s passes, 604801 s fails") {
    const int64_t week = 604800LL * 1000000;
    CHECK(resolvePulseTime("2020-08-25T12:00:00Z", kNoonUs, p) == TimestampError::None);
    CHECK(resolvePulseTime("2020-08-25T12:00:00Z", kNoonUs + 900000, p) == TimestampError::None);
    CHECK(resolvePulseTime("2020-08-25T11:59:59Z", kNoonUs, p) == TimestampError::Date);
    CHECK(resolvePulseTime("2020-08-25T12:00:00Z", kNoonUs + 1000000, p) == TimestampError::Date);
    (void)week;
  }
  SECTION("future and now become now; the offset still comes from the string") {
    REQUIRE(resolvePulseTime("2099-01-01T00:00:00+02:00", kNoonUs + 250000, p) == TimestampError::None);
    CHECK(p.sentAtMs == kNoonUs / 1000);
    CHECK(p.tzOffset == 120);
    CHECK(p.sentAtLocalMs == kNoonUs / 1000 + 7200000);
    REQUIRE(resolvePulseTime("2020-09-01T12:00:00Z", kNoonUs, p) == TimestampError::None);
    CHECK(p.sentAtMs == kNoonUs / 1000);
  }
  SECTION("order of failures: format, then date, then offset") {
    CHECK(resolvePulseTime("garbage", kNoonUs, p) == TimestampError::Format);
    CHECK(resolvePulseTime("2019-01-01T00:00:00+2:00", kNoonUs, p) == TimestampError::Date);
    CHECK(resolvePulseTime("2020-09-01T11:00:00+2:00", kNoonUs, p) == TimestampError::Offset);
    CHECK(resolvePulseTime("2020-09-01T11:00:00+01:00 x", kNoonUs, p) == TimestampError::Offset);
  }
}

TEST_CASE("timestamp: formatting", "[timestamp]") {
  CHECK(formatUtc(0) == "1970-01-01T00:00:00Z");
  CHECK(formatLocal(0, -30) == "1970-01-01T00:00:00-00:30");  // sign of the total offset (quirk 7 fixed)
  CHECK(formatLocal(0, 330) == "1970-01-01T00:00:00+05:30");
}

TEST_CASE("timestamp: ISO dates both ways", "[timestamp]") {
  CHECK(isoDate(20240229) == "2024-02-29");
  CHECK(isoDate(10101) == "0001-01-01");
  CHECK(isoDate(99991231) == "9999-12-31");
  CHECK(isoDate(100000101) == "10000-01-01");  // past four digits: as printf
  CHECK(parseIsoDate("2024-02-29") == 20240229);
  CHECK(parseIsoDate("0001-01-01") == 10101);
  CHECK_FALSE(parseIsoDate("2024-2-29"));
  CHECK_FALSE(parseIsoDate("2024-02-29T"));
  CHECK_FALSE(parseIsoDate("2024/02/29"));
  CHECK_FALSE(parseIsoDate("20a4-02-29"));
  for (int32_t d : {19700101, 20161231, 20260131}) CHECK(parseIsoDate(isoDate(d)) == d);
}
