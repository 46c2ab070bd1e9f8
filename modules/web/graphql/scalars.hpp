// The custom scalars of the profile schema (spec §9.2): Date and Datetime, input and output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codestats::graphql {

// A calendar date as yyyymmdd (20260101), the form of pulses.local_day.
using Yyyymmdd = int32_t;

// Strict "YYYY-MM-DD" with a real calendar date, years 0001-9999.
std::optional<Yyyymmdd> parseDate(std::string_view text);
std::string formatDate(Yyyymmdd day);
// Days since 1970-01-01 of a yyyymmdd date, and back.
int64_t daysSinceEpoch(Yyyymmdd day);
Yyyymmdd dateFromDays(int64_t days);

// RFC 3339 with an offset, by the same parser as a pulse's coded_at (spec §9.2, §3.5 A):
// Unix milliseconds, UTC.
std::optional<int64_t> parseDatetime(std::string_view text);
// "2016-05-30T12:34:56Z"
std::string formatDatetime(int64_t unixMs);

// "YYYY-MM-DDTHH:MM:SS" with an optional fraction and no offset (NaiveDatetime; declared
// by the schema, used by no field).
bool isNaiveDatetime(std::string_view text);

}  // namespace codestats::graphql
