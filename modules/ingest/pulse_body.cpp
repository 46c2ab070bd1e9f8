#include "pulse_body.hpp"

#include "common/ascii.hpp"
#include "pulse_json.hpp"

namespace codestats::ingest {
namespace {

Validation fail(std::string_view msg) {
  Validation v;
  v.status = 400;
  v.error = std::string(msg);
  return v;
}

}  // namespace

std::string normaliseLanguage(std::string_view name) {
  std::string_view trimmed = common::trimAsciiSpace(name);
  if (trimmed.empty()) return "Plain text";
  return std::string(trimmed);
}

std::string errorJson(std::string_view message) { return "{\"error\":" + jsonString(message) + "}"; }

Validation validatePulseBody(std::string_view body, const std::string* queryCodedAt, int64_t nowUs) {
  // 1. coded_at present and xps a list (malformed JSON, invalid UTF-8, a non-object body all
  // leave no params, which is this failure).
  if (!validUtf8(body)) return fail(kErrXpsFormat);
  PulseJson json;
  if (!readPulseJson(body, kMaxXpsItems, json)) return fail(kErrXpsFormat);
  if (!(json.hasCodedAt || queryCodedAt != nullptr) || !json.hasXps || !json.xpsIsList) return fail(kErrXpsFormat);
  if (json.xpsCount > kMaxXpsItems) return fail(kErrTooMany);

  // 2-4. timestamp
  const std::string* codedAt = queryCodedAt;
  if (json.hasCodedAt) {
    if (!json.codedAtIsString) return fail(kErrCodedAt);
    codedAt = &json.codedAt;
  }
  Validation ok;
  switch (common::resolvePulseTime(*codedAt, nowUs, ok.pulse.time)) {
    case common::TimestampError::Format: return fail(kErrCodedAt);
    case common::TimestampError::Date: return fail(kErrDate);
    case common::TimestampError::Offset: return fail(kErrOffset);
    case common::TimestampError::None: break;
  }

  // 5. items: objects with a string language and an integer xp in [0, 2^31-1]
  ok.pulse.xps.reserve(json.xps.size());
  for (const JsonXpItem& item : json.xps) {
    if (!item.isObject || !item.hasLanguage || !item.hasXp || !item.languageIsString) return fail(kErrXp);
    if (!item.xpIsInteger || item.xp < 0 || item.xp > kMaxXp) return fail(kErrXp);
    XpItem x;
    x.amount = item.xp;
    x.language = normaliseLanguage(item.language);
    size_t cps = 0;
    if (!validUtf8(x.language, &cps) || cps > kMaxLanguageLength || x.language.find('\0') != std::string::npos)
      return fail(kErrXp);
    ok.pulse.xps.push_back(std::move(x));
  }
  return ok;
}

}  // namespace codestats::ingest
