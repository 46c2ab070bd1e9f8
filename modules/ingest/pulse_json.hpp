// One pass over a pulse body's JSON that keeps only what validatePulseBody checks: no DOM
// (rapidjson's SAX reader, no allocation per value). Pure logic, no SDK.
//
// It reads JSON the way Poco::JSON 1.11 (the parser ingest used before) did, because the
// answers must not change: at most 128 nested arrays/objects; a repeated key keeps its
// last value; a key ends at its first \u0000 (Poco kept keys as C strings), a value keeps
// it; a lone surrogate escape is malformed; an integer literal must fit int64 or uint64 and
// a number with a fraction or exponent must not overflow a double (1e999). Where this
// differs from Poco (a few integer literals beyond those ranges, numbers rapidjson cannot
// hold) is in docs/decisions.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::ingest {

// JSON nesting Poco::JSON accepted (its default depth); deeper is malformed.
inline constexpr size_t kMaxJsonDepth = 128;

// One element of "xps", as read; its checks are validatePulseBody's.
struct JsonXpItem {
  bool isObject = false;
  bool hasLanguage = false;
  bool languageIsString = false;
  std::string language;  // decoded, when languageIsString
  bool hasXp = false;
  bool xpIsInteger = false;  // an integer literal: no fraction, no exponent
  int64_t xp = 0;  // its value when xpIsInteger, clamped to int64 above (2^63-1 and beyond are refused anyway)
};

struct PulseJson {
  bool hasCodedAt = false;
  bool codedAtIsString = false;
  std::string codedAt;  // when codedAtIsString
  bool hasXps = false;
  bool xpsIsList = false;
  size_t xpsCount = 0;  // elements of the list, all counted
  // The first elements, up to `keepItems` of them (readPulseJson's argument): more are only counted.
  std::vector<JsonXpItem> xps;
};

// Reads `body` into `out`. False when it is not well-formed JSON (as Poco read it) or not
// an object; `out` is then unspecified. `body` must be valid UTF-8 (the caller checks). A
// raw NUL byte anywhere is malformed (Poco refused it; rapidjson would take it for the end).
bool readPulseJson(std::string_view body, size_t keepItems, PulseJson& out);

}  // namespace codestats::ingest
