// Validation of a pulse request body (spec codestats.md §3.3-3.5), in the original order
// with the original messages. Pure logic (the JSON is read by pulse_json.hpp), no SDK.
#pragma once

#include <codestats/json.hpp>
#include <codestats/text.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"

namespace codestats::ingest {

// Cap on xps items per pulse (400 above it); documented in docs/decisions.md.
inline constexpr size_t kMaxXpsItems = 1000;
// Longest language name in code points after trimming (400 above it).
inline constexpr size_t kMaxLanguageLength = 255;
inline constexpr int64_t kMaxXp = 2147483647;

inline constexpr std::string_view kErrXpsFormat = "Invalid xps format.";
inline constexpr std::string_view kErrCodedAt = "Invalid coded_at format.";
inline constexpr std::string_view kErrDate = "Invalid date.";
inline constexpr std::string_view kErrOffset = "Invalid TZ offset!";
inline constexpr std::string_view kErrXp = "Invalid XP format.";
inline constexpr std::string_view kErrTooMany = "Too many xps (at most 1000).";

struct XpItem {
  std::string language;  // trimmed; "Plain text" when empty
  int64_t amount = 0;
};

struct PulseInput {
  common::PulseTime time;
  std::vector<XpItem> xps;
};

struct Validation {
  int status = 0;     // 0 when valid, else the HTTP status (400)
  std::string error;  // the message for {"error": ...}
  PulseInput pulse;
};

// Validates `body` (JSON text). `queryCodedAt` is coded_at from the query string, used when
// the body has none (the original merged query and body params). `nowUs`: server UTC time.
Validation validatePulseBody(std::string_view body, const std::string* queryCodedAt, int64_t nowUs);

// Trim (ASCII whitespace), "Plain text" when empty.
std::string normaliseLanguage(std::string_view name);
using codestats::validUtf8;

// {"error":"..."} with JSON escaping.
std::string errorJson(std::string_view message);
// JSON string literal with escaping.
using codestats::jsonString;  // <codestats/json.hpp>

}  // namespace codestats::ingest
