// The old implementation, unchanged but for its name (see pulse_body_reference.hpp).
#include "pulse_body_reference.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace codestats::ingest::reference {
namespace {

Validation fail(std::string_view msg) {
  Validation v;
  v.status = 400;
  v.error = std::string(msg);
  return v;
}

// A JSON integer (not a float such as 1.0) in [0, 2^31-1].
bool readXp(const Poco::Dynamic::Var& v, int64_t& out) {
  if (v.isEmpty() || !v.isInteger() || v.isString() || v.isBoolean()) return false;
  if (v.isSigned()) {
    int64_t n = v.convert<Poco::Int64>();
    if (n < 0 || n > kMaxXp) return false;
    out = n;
    return true;
  }
  Poco::UInt64 n = v.convert<Poco::UInt64>();
  if (n > static_cast<Poco::UInt64>(kMaxXp)) return false;
  out = static_cast<int64_t>(n);
  return true;
}

}  // namespace

Validation validatePulseBodyWithPocoDom(std::string_view body, const std::string* queryCodedAt, int64_t nowUs) {
  // 1. coded_at present and xps a list (malformed JSON, invalid UTF-8, a non-object body all
  // leave no params, which is this failure).
  if (!validUtf8(body)) return fail(kErrXpsFormat);
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(std::string(body));
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return fail(kErrXpsFormat);
    root = parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return fail(kErrXpsFormat);
  } catch (const std::exception&) {
    return fail(kErrXpsFormat);
  }
  if (!root) return fail(kErrXpsFormat);
  bool hasCodedAt = root->has("coded_at") || queryCodedAt != nullptr;
  if (!hasCodedAt || !root->has("xps") || !root->isArray("xps")) return fail(kErrXpsFormat);
  Poco::JSON::Array::Ptr xps = root->getArray("xps");
  if (!xps) return fail(kErrXpsFormat);
  if (xps->size() > kMaxXpsItems) return fail(kErrTooMany);

  // 2-4. timestamp
  std::string codedAt;
  if (root->has("coded_at")) {
    Poco::Dynamic::Var v = root->get("coded_at");
    if (!v.isString()) return fail(kErrCodedAt);
    codedAt = v.convert<std::string>();
  } else {
    codedAt = *queryCodedAt;
  }
  Validation ok;
  switch (common::resolvePulseTime(codedAt, nowUs, ok.pulse.time)) {
    case common::TimestampError::Format: return fail(kErrCodedAt);
    case common::TimestampError::Date: return fail(kErrDate);
    case common::TimestampError::Offset: return fail(kErrOffset);
    case common::TimestampError::None: break;
  }

  // 5. items
  ok.pulse.xps.reserve(xps->size());
  for (size_t i = 0; i < xps->size(); ++i) {
    if (!xps->isObject(i)) return fail(kErrXp);
    Poco::JSON::Object::Ptr item = xps->getObject(static_cast<unsigned>(i));
    if (!item || !item->has("language") || !item->has("xp")) return fail(kErrXp);
    Poco::Dynamic::Var lang = item->get("language");
    if (!lang.isString()) return fail(kErrXp);
    XpItem x;
    if (!readXp(item->get("xp"), x.amount)) return fail(kErrXp);
    x.language = normaliseLanguage(lang.convert<std::string>());
    size_t cps = 0;
    if (!validUtf8(x.language, &cps) || cps > kMaxLanguageLength || x.language.find('\0') != std::string::npos)
      return fail(kErrXp);
    ok.pulse.xps.push_back(std::move(x));
  }
  return ok;
}

}  // namespace codestats::ingest::reference
