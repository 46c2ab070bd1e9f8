// coded_at handling (spec codestats.md §3.5): parsing, age window, offset, stored values.
// Pure logic, no SDK: ingest resolves pulse times with it, web's GraphQL engine parses
// Datetime input and formats instants with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codestats::common {

// §3.5 A: the first (leftmost) RFC 3339-like match anywhere in the text. Returns the UTC
// instant in microseconds since the epoch. Fields out of range are rejected (the original
// rolled some of them over for non-zero offsets; the spec allows rejecting them).
std::optional<int64_t> parseCodedAt(std::string_view text);

// §3.5 C: the offset in minutes read from the end of the trimmed, lower-cased string:
// "z" -> 0, or sign + exactly 2 hour digits + optional ':' + 2 minute digits. Not range-checked.
std::optional<int> parseTzOffset(std::string_view text);

enum class TimestampError { None, Format, Date, Offset };

struct PulseTime {
  int64_t sentAtMs = 0;       // UTC, truncated to whole seconds
  int64_t sentAtLocalMs = 0;  // sentAt + offset, truncated to whole seconds
  int tzOffset = 0;           // minutes
  int32_t localDay = 0;       // yyyymmdd of sentAtLocal
  int localHour = 0;          // 0-23 of sentAtLocal
};

// §3.5 A-D in order, with `nowUs` the server's current UTC time in microseconds.
// Future instants (and now) become now; older than 604800 whole seconds -> Date.
TimestampError resolvePulseTime(std::string_view codedAt, int64_t nowUs, PulseTime& out);

// Calendar helpers (proleptic Gregorian, UTC).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d);
void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d);
// "YYYY-MM-DDTHH:MM:SSZ"
std::string formatUtc(int64_t ms);
// 20260131 -> "2026-01-31"; "2026-01-31" -> 20260131 (nullopt unless exactly that form).
std::string isoDate(int32_t yyyymmdd);
std::optional<int32_t> parseIsoDate(std::string_view s);
// "YYYY-MM-DDTHH:MM:SS+HH:MM" (wall time sentAtLocal with the offset; sign of the total offset)
std::string formatLocal(int64_t localMs, int tzOffset);

}  // namespace codestats::common
